/**
 * `npm run bench:cli`: `batchtools run` on JSON Lines of small records `{ id, text }` against a plain single-threaded
 * script that reads, parses, computes, stringifies and writes the same lines, and against the same script with
 * `rt.map` in place of its loop (bench/child/cli-map.mjs), all timed as whole processes, node start-up included
 * (runs interleaved, the order rotating), at ~1 µs (ASCII text, and a third of the texts outside ASCII) and ~100 µs
 * per item; at ~100 µs also rt.map's speedup on the same records in one warm process (bench/child/map-records.mjs),
 * which pays neither node's start-up nor the workers' boot nor a cold JIT. Reports medians of the repeats and their
 * ratios, with the load average before and after (the machine may be shared: rerun when quiet).
 *
 * Targets (issue 11): CLI ÷ plain ≥ 1.5 at ~1 µs; at ~100 µs, the CLI's speedup within 5 % of rt.map's.
 * Options: --runs N (default 5), --lines N (1 µs input, default 300000), --lines100 N (default 30000: ~3 s of work, so
 * that process start-up, which rt.map's in-process figure does not pay, weighs little),
 * --out FILE (default bench/results/cli.json).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureCli } from './lib/extras.mjs';
import { calibrate } from './workloads.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string' }, lines: { type: 'string' }, lines100: { type: 'string' }, out: { type: 'string' } },
});
const runs = Number(values.runs ?? 5);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const log = (/** @type {string} */ s) => process.stderr.write(`${s}\n`);
const loadBefore = load();
log(`bench:cli on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; load average ${loadBefore}`);
const cal = calibrate();
const result = await measureCli({
  runs,
  lines1us: Number(values.lines ?? 300_000),
  lines100us: Number(values.lines100 ?? 30_000),
  nsPerIter: cal.nsPerIter,
  withMap: true,
  log,
});
const loadAfter = load();
const fmt = (/** @type {number} */ x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
for (const [label, r] of Object.entries(result)) {
  log(
    `  ${label}: ${r.lines} lines; plain script ${fmt(r.plainMs.median)} ms, batchtools run ${fmt(r.cliMs.median)} ms ` +
      `(medians of ${r.cliMs.n}); CLI ÷ plain = ${r.speedup.toFixed(2)}×; ` +
      `rt.map script ${fmt(r.scriptMs.median)} ms, ${r.scriptSpeedup.toFixed(2)}× (CLI at ${((r.speedup / r.scriptSpeedup) * 100).toFixed(0)} % of it)` +
      (r.map ? `; rt.map in a warm process ${r.map.speedup.toFixed(2)}× (CLI at ${((r.speedup / r.map.speedup) * 100).toFixed(0)} % of it)` : '') +
      (r.errors.length ? `; errors: ${r.errors.join('; ')}` : ''),
  );
}
log(`  load average before ${loadBefore}, after ${loadAfter}`);
const out = values.out ?? fileURLToPath(new URL('./results/cli.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadBefore, loadAfter, runs, result }, null, 2)}\n`);
log(`  written to ${out}`);
