#!/usr/bin/env node
/**
 * `node bench/short-timeline.mjs [--n 5000] [--kind rec|num] [--maps 40] [--dist DIR] [--show 10]`: where the time of
 * a short map goes, from the run's own trace (`onTrace`). On a warm runtime, `--maps` rounds of one plain loop and
 * one `rt.map` of `--n` items (`{ id, text }` records with the `1us-rec` task, or numbers with `work`, ~1 µs each);
 * per round: when the first chunk went out, how long each worker took from its chunk going out to its first item
 * (the later of the two is the one that matters), the workers' summed run time against the plain loop's, the time
 * from the last item's end to the run's end and from there to the call's return, and the main thread's active time
 * (event-loop utilisation). Prints the medians; `--show K` also prints the first K rounds chunk by chunk (worker,
 * items, sent, start, run, landed; ms from the call). `--dist` measures another build.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flagReader } from './lib/args.mjs';
import { median } from './lib/measure.mjs';
import { calibrate, work, workRecord } from './workloads.mjs';

const args = process.argv.slice(2);
const opt = flagReader(args);
const n = Number(opt('n', '5000'));
const kind = opt('kind', 'rec');
const maps = Number(opt('maps', '40'));
const show = Number(opt('show', '0'));
if (kind !== 'rec' && kind !== 'num') throw new RangeError(`--kind must be rec or num, got ${kind}`);
const distArg = opt('dist', '');
const dist = distArg ? pathToFileURL(`${resolve(distArg)}/`) : new URL('../dist/', import.meta.url);
const bt = await import(new URL('src/index.js', dist).href);

const iters = Math.max(1, Math.round(970 / calibrate().nsPerIter));
const tag = (/** @type {number} */ i) => ((i * 2654435761) >>> 0).toString(36);
const items =
  kind === 'rec'
    ? Array.from({ length: n }, (_, i) => ({ id: iters * 2 ** 20 + (i % 4096), text: `rec-${tag(i)}-abcdefghij`.slice(0, 20) }))
    : Array.from({ length: n }, (_, i) => iters * 2 ** 20 + (i % 4096));
const fn = kind === 'rec' ? workRecord : work;
const rt = bt.createRuntime();
const task = bt.defineTask(new URL('./workloads.mjs', import.meta.url), kind === 'rec' ? 'workRecord' : 'work');
for (let k = 0; k < 5; k++) await rt.map(items, task);

/** @type {Array<Record<string, number>>} */
const rows = [];
for (let k = 0; k < maps; k++) {
  let t = performance.now();
  for (const item of items) fn(/** @type {never} */ (item));
  const plainMs = performance.now() - t;
  /** @type {any} */
  let trace;
  t = performance.now();
  await rt.map(items, task, { onTrace: (/** @type {unknown} */ x) => (trace = x) });
  const mapMs = performance.now() - t;
  /** @type {Array<{ worker: number, items: number, sentMs: number, startMs: number, runMs: number, t: number }>} */
  const chunks = trace.chunks;
  const lastEnd = Math.max(...chunks.map((c) => c.startMs + c.runMs));
  rows.push({
    plainMs,
    mapMs,
    firstSentMs: Math.min(...chunks.map((c) => c.sentMs)),
    laterStartMs: Math.max(...chunks.map((c) => c.startMs - c.sentMs)),
    runSumMs: chunks.reduce((s, c) => s + c.runMs, 0),
    endGapMs: trace.elapsedMs - lastEnd,
    returnMs: mapMs - trace.elapsedMs,
    mainActiveMs: trace.main.activeMs,
  });
  if (k < show) {
    const line = chunks.map((c) => `w${c.worker} ${c.items} sent ${c.sentMs.toFixed(2)} start ${c.startMs.toFixed(2)} run ${c.runMs.toFixed(2)} landed ${c.t.toFixed(2)}`);
    process.stdout.write(`round ${k}: map ${mapMs.toFixed(2)} ms, plain ${plainMs.toFixed(2)} ms | ${line.join(' | ')}\n`);
  }
}
await rt.close();
const keys = Object.keys(rows[0] ?? {});
process.stdout.write(`${n} ${kind === 'rec' ? 'records' : 'numbers'}, medians of ${maps} rounds (ms): ${keys.map((key) => `${key} ${median(rows.map((r) => r[key] ?? Number.NaN)).toFixed(2)}`).join(', ')}\n`);
const late = rows.filter((r) => (r['laterStartMs'] ?? 0) > 1.5).length;
process.stdout.write(`rounds where a worker started its first item more than 1.5 ms after its chunk went out: ${late} of ${maps}\n`);
