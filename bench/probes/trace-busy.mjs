#!/usr/bin/env node
/**
 * `node bench/probes/trace-busy.mjs <trace.json> [--window-ms 100]`: how busy a run's workers were, from the Trace
 * Event file `batchtools run … --trace-events <file>` (or a map's) writes. Prints the run's span (first chunk's start
 * to last chunk's end), the workers' busy share per window of `--window-ms` and overall, when each worker ended,
 * and the chunks' in-worker time per item (the sum of their run times over the sum of their items: for a CLI run,
 * wall time per line inside the workers, preemption included). The figures behind the CLI's ramp (busy share in
 * the first 100 ms) and its per-line cost in issue 11's closing notes.
 */
import { readFileSync } from 'node:fs';
import { flagReader } from '../lib/args.mjs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (file === undefined) {
  process.stderr.write('usage: node bench/probes/trace-busy.mjs <trace.json> [--window-ms 100]\n');
  process.exit(2);
}
const windowUs = Number(flagReader(args)('window-ms', '100')) * 1000;
const doc = JSON.parse(readFileSync(file, 'utf8'));
/** @type {Array<{ ts: number, dur: number, tid: number, args: { items: number, runMs: number } }>} */
const chunks = (doc.traceEvents ?? doc).filter((/** @type {any} */ e) => e.ph === 'X' && e.name === 'chunk');
if (chunks.length === 0) {
  process.stderr.write(`${file}: no chunk events\n`);
  process.exit(1);
}
chunks.sort((a, b) => a.ts - b.ts);
const t0 = chunks[0].ts;
const t1 = Math.max(...chunks.map((e) => e.ts + e.dur));
const workers = [...new Set(chunks.map((e) => e.tid))];
const windows = [];
for (let w = t0; w < t1; w += windowUs) {
  let busy = 0;
  for (const e of chunks) {
    const a = Math.max(e.ts, w);
    const b = Math.min(e.ts + e.dur, w + windowUs, t1);
    if (b > a) busy += b - a;
  }
  windows.push(`${((busy / ((Math.min(w + windowUs, t1) - w) * workers.length)) * 100).toFixed(0)}%`);
}
let busyAll = 0;
let runMs = 0;
let items = 0;
for (const e of chunks) {
  busyAll += e.dur;
  runMs += e.args.runMs;
  items += e.args.items;
}
const ends = workers.map((id) => Math.max(...chunks.filter((e) => e.tid === id).map((e) => e.ts + e.dur)));
process.stdout.write(
  `span ${((t1 - t0) / 1000).toFixed(0)} ms, ${chunks.length} chunks on ${workers.length} workers; busy per ${windowUs / 1000} ms: ` +
    `${windows.join(' ')}; overall ${((busyAll / ((t1 - t0) * workers.length)) * 100).toFixed(0)}%\n` +
    `workers ended at ${ends.map((e) => `${((e - t0) / 1000).toFixed(0)} ms`).join(', ')}; ` +
    `in-worker time per item ${((runMs * 1000) / items).toFixed(2)} µs over ${items} items\n`,
);
