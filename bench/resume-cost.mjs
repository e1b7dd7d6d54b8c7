// Resume cost (issue 16): "a kill loses at most the chunks in flight; resume runs at ≥ 0.95 of a clean run's
// throughput". Per repeat, on one input of ITEMS items of ~200 µs each:
//   1. a clean run (no checkpoint), timed from spawn to exit: T_N; its --json-report gives the chunk sizes;
//   2. the same run with --checkpoint, killed with SIGKILL at KILL_AT of T_N; its workers log every item they
//      finish (BT_BENCH_LOG, a write per item), so the items finished before the kill are known;
//   3. `batchtools resume` of that checkpoint, spawn to exit: T_R, for the M items the journal did not hold;
//   4. a clean run of exactly M items (the same items): T_M.
// Reported (medians of repeats):
//   - resume vs the same work: T_M / T_R. The fixed start-up of a process (node, module loading, worker spawn)
//     is in both, so this is what resuming itself costs (checkpoint checks, journal read, input hash, skipping).
//   - resume vs a clean run's steady state: (M / T_R) / ((N - M) / (T_N - T_M)); the denominator is a clean
//     run's throughput with its fixed costs cancelled (two clean runs of N and M items).
//   - lost work: items a worker finished before the kill that the journal did not hold (they run again), against
//     the chunks in flight (expressed in chunks of the clean run's steady state, from its trace).
//   - the CLI's own items/s for the clean run and the resume (what its summary prints).
// One command: `npm run bench:resume [-- repeats [items]]` (builds, runs, prints, writes
// bench/results/resume-cost.{json,md}); ~2.5 × T_N per repeat (~50 s per repeat on 2 quiet cores).
// Timings are meaningful only on a quiet machine: the load average is recorded with them.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'dist/src/cli/bin.js');
const REPEATS = Number(process.argv[2] ?? 3);
/** ~20 s of a clean run on 2 quiet cores (13,000 items/s measured before). */
const ITEMS = Number(process.argv[3] ?? 260_000);
const KILL_AT = 0.5;
const dir = mkdtempSync(join(tmpdir(), 'bt-resume-bench-'));
const task = join(dir, 'task.mjs');
// ~200 µs of integer mixing per item, the same for every item; with BT_BENCH_LOG, each worker notes the items it
// finished in a file of its own (one write per item, made before the result leaves the worker).
writeFileSync(
  task,
  [
    "import { openSync, writeSync } from 'node:fs';",
    "import { threadId } from 'node:worker_threads';",
    'const log = process.env.BT_BENCH_LOG ? openSync(process.env.BT_BENCH_LOG + "." + threadId, "a") : undefined;',
    'export default (x) => {',
    '  let h = x | 0;',
    '  for (let i = 0; i < 60000; i++) h = Math.imul(h ^ (h >>> 13) ^ i, 0x5bd1e995);',
    '  if (log !== undefined) writeSync(log, x + "\\n");',
    '  return h >>> 0;',
    '};',
    '',
  ].join('\n'),
);
writeFileSync(join(dir, 'in.jsonl'), Array.from({ length: ITEMS }, (_, i) => `${i}\n`).join(''));

function run(args, { killAfterMs, env } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let stderr = '';
    const p = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    p.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - t0, stderr });
    });
  });
}
const read = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const rate = (stderr) => Number(/\(([\d,]+) items\/s/.exec(stderr)?.[1]?.replace(/,/g, '') ?? 'NaN');
/** Item indices with a record in a journal (the index is the head of every record). */
const journaled = (path) => new Set([...read(path).matchAll(/^\{"index":(\d+),/gm)].map((m) => Number(m[1])));
/** Items the workers finished, by worker (the task's logs). */
function finished(prefix) {
  const byWorker = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${prefix}.`)) continue;
    byWorker.push(read(join(dir, name)).split('\n').filter(Boolean).map(Number));
  }
  return byWorker;
}
/** Median items per chunk in a clean run's trace (the steady part: its second half), and its threads. */
function chunkItems(reportPath) {
  const report = JSON.parse(read(reportPath) || '{}');
  const chunks = (report.trace?.chunks ?? []).filter((c) => !c.stolen && typeof c.items === 'number');
  const steady = chunks.slice(Math.floor(chunks.length / 2)).map((c) => c.items);
  return { items: steady.length > 0 ? median(steady) : Number.NaN, threads: report.threads ?? Number.NaN };
}

const perRepeat = [];
for (let r = 0; r < REPEATS; r++) {
  const c = await run(['run', task, '--input', 'in.jsonl', '--output', `clean-${r}.jsonl`, '--json-report', `clean-${r}.json`]);
  if (c.code !== 0) throw new Error(`the clean run ended with ${c.code}: ${c.stderr}`);
  const chunks = chunkItems(join(dir, `clean-${r}.json`));
  const log = join(dir, `done-${r}`);
  const ck = `ck-${r}`;
  const k = await run(['run', task, '--input', 'in.jsonl', '--output', `out-${r}.jsonl`, '--checkpoint', ck], {
    killAfterMs: c.ms * KILL_AT,
    env: { BT_BENCH_LOG: log },
  });
  if (k.code !== null) throw new Error(`the run to kill ended by itself (${k.code}) before the kill: ${k.stderr}`);
  const kept = journaled(join(dir, ck, 'journal.jsonl'));
  const byWorker = finished(`done-${r}`);
  const lostByWorker = byWorker.map((items) => items.filter((x) => !kept.has(x)).length);
  const lost = lostByWorker.reduce((a, b) => a + b, 0);
  const done = byWorker.reduce((a, b) => a + b.length, 0);
  const remaining = [];
  for (let i = 0; i < ITEMS; i++) if (!kept.has(i)) remaining.push(i);
  writeFileSync(join(dir, `rem-${r}.jsonl`), remaining.map((i) => `${i}\n`).join(''));

  const res = await run(['resume', ck]);
  if (res.code !== 0) throw new Error(`the resume ended with ${res.code}: ${res.stderr}`);
  if (read(join(dir, `out-${r}.jsonl`)) !== read(join(dir, `clean-${r}.jsonl`))) throw new Error('the resumed output differs from the clean one');
  const m = await run(['run', task, '--input', `rem-${r}.jsonl`, '--output', `rem-out-${r}.jsonl`]);
  if (m.code !== 0) throw new Error(`the clean run of the remainder ended with ${m.code}: ${m.stderr}`);

  const M = remaining.length;
  const steady = (ITEMS - M) / ((c.ms - m.ms) / 1000);
  const row = {
    cleanMs: Math.round(c.ms),
    killedAtMs: Math.round(c.ms * KILL_AT),
    journaled: kept.size,
    finishedBeforeKill: done,
    lost,
    lostByWorker,
    chunkItems: chunks.items,
    lostInChunks: round(lost / chunks.items, 2),
    remaining: M,
    resumeMs: Math.round(res.ms),
    remainderCleanMs: Math.round(m.ms),
    resumeVsSameWork: round(m.ms / res.ms),
    cleanSteadyItemsPerSecond: Math.round(steady),
    resumeItemsPerSecond: Math.round(M / (res.ms / 1000)),
    resumeVsSteady: round(M / (res.ms / 1000) / steady),
    cliCleanItemsPerSecond: rate(c.stderr),
    cliResumeItemsPerSecond: rate(res.stderr),
    threads: chunks.threads,
  };
  perRepeat.push(row);
  console.error(`repeat ${r + 1}/${REPEATS}: ${JSON.stringify(row)}`);
  for (const name of readdirSync(dir)) if (name.endsWith(`-${r}.jsonl`) || name.startsWith(`done-${r}.`)) rmSync(join(dir, name), { force: true });
}

const load = loadavg().map((x) => round(x, 2));
const med = (key) => median(perRepeat.map((p) => p[key]));
const result = {
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  loadAverage: load,
  date: new Date().toISOString(),
  items: ITEMS,
  killAt: KILL_AT,
  repeats: REPEATS,
  resumeVsSameWork: med('resumeVsSameWork'),
  resumeVsSteady: med('resumeVsSteady'),
  lostItems: med('lost'),
  chunkItems: med('chunkItems'),
  lostInChunks: med('lostInChunks'),
  cleanMs: med('cleanMs'),
  resumeMs: med('resumeMs'),
  remainderCleanMs: med('remainderCleanMs'),
  perRepeat,
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `resume vs a clean run of the same ${med('remaining')} items: ${result.resumeVsSameWork}; ` +
    `resume vs a clean run's steady state: ${result.resumeVsSteady} (goal ≥ 0.95); ` +
    `lost at the kill: ${result.lostItems} items = ${result.lostInChunks} chunks of ${result.chunkItems} items ` +
    `(${perRepeat[0]?.threads} threads); medians of ${REPEATS}; load ${load.join(' ')}`,
);
const out = join(root, 'bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'resume-cost.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(
  join(out, 'resume-cost.md'),
  `# Resume cost\n\n${result.machine}; load average ${load.join(' ')}; ${result.date}\n\n` +
    `${ITEMS.toLocaleString('en-US')} items of ~200 µs; a checkpointed run killed with SIGKILL at ${KILL_AT * 100} % of a clean run's ` +
    `time, then resumed; times from spawn to exit; medians of ${REPEATS}. See bench/resume-cost.mjs for the definitions.\n\n` +
    '| measure | value |\n|---|---|\n' +
    `| clean run of all items, ms | ${result.cleanMs} |\n` +
    `| resume, ms (the ${med('remaining')} items the journal lacked) | ${result.resumeMs} |\n` +
    `| clean run of exactly those items, ms | ${result.remainderCleanMs} |\n` +
    `| **resume vs the same work** (clean ms / resume ms) | **${result.resumeVsSameWork}** |\n` +
    `| **resume vs a clean run's steady state** (goal ≥ 0.95) | **${result.resumeVsSteady}** |\n` +
    `| items finished before the kill but not journaled (run again) | ${result.lostItems} |\n` +
    `| … in chunks of the clean run's steady state (${result.chunkItems} items) | ${result.lostInChunks} |\n\n` +
    '| repeat | clean ms | resume ms | remainder clean ms | same work | steady | lost | lost by worker | CLI clean items/s | CLI resume items/s |\n' +
    '|---|---|---|---|---|---|---|---|---|---|\n' +
    perRepeat
      .map(
        (p, i) =>
          `| ${i + 1} | ${p.cleanMs} | ${p.resumeMs} | ${p.remainderCleanMs} | ${p.resumeVsSameWork} | ${p.resumeVsSteady} | ${p.lost} | ${p.lostByWorker.join(' + ')} | ${p.cliCleanItemsPerSecond} | ${p.cliResumeItemsPerSecond} |`,
      )
      .join('\n') +
    '\n',
);
rmSync(dir, { recursive: true, force: true });
