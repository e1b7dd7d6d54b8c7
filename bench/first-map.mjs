#!/usr/bin/env node
/**
 * `node bench/first-map.mjs [--runs 5] [--n 10000]`: what the first map of a fresh process pays that later maps do
 * not. Each run is a fresh child process that maps the falling-cost workload three times with a trace (`onTrace`)
 * and reports each map's wall time (the first from `createRuntime()`) and, for the first two, when each worker
 * began its first chunk (ms after the map began: the trace's `startMs`); and, in another fresh child, how long two bare `new Worker()`s of an empty script take to
 * come online and answer (node's own thread start, nothing of batchtools). Medians over `--runs`. Needs
 * `npm run build`. Prints only; writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { flagReader } from './lib/args.mjs';

const opt = flagReader(process.argv.slice(2));
const runs = Number(opt('runs', '5'));
const n = Number(opt('n', '10000'));
const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (process.argv[2] === '--child-map') {
  const { WORKLOADS, calibrate } = await import('./workloads.mjs');
  const items = WORKLOADS.falling.make(Number(process.argv[3]), calibrate());
  const bt = await import(new URL('../dist/src/index.js', import.meta.url).href);
  const task = bt.defineTask(new URL('./workloads.mjs', import.meta.url), 'work');
  const t0 = performance.now();
  const rt = bt.createRuntime();
  const maps = [];
  for (let c = 0; c < 3; c++) {
    const t = c === 0 ? t0 : performance.now();
    /** @type {any} */
    let trace;
    await rt.map(items, task, { onTrace: (/** @type {any} */ x) => (trace = x) });
    const ms = performance.now() - t;
    /** @type {Record<number, number>} */
    const firstStart = {};
    for (const ch of trace.chunks) firstStart[ch.worker] = Math.min(firstStart[ch.worker] ?? Infinity, ch.startMs);
    maps.push({ ms, firstChunkStartMs: Object.values(firstStart) });
  }
  await rt.close();
  process.stdout.write(`${JSON.stringify({ maps })}\n`);
  process.exit(0);
}
if (process.argv[2] === '--child-bare') {
  const { Worker } = await import('node:worker_threads');
  const t0 = performance.now();
  const ready = await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve) => {
          const w = new Worker("require('node:worker_threads').parentPort.postMessage(0)", { eval: true });
          w.once('message', () => {
            resolve(performance.now() - t0);
            void w.terminate();
          });
        }),
    ),
  );
  process.stdout.write(`${JSON.stringify({ ready })}\n`);
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const child = (/** @type {string[]} */ args) => {
  const c = spawnSync(process.execPath, [self, ...args], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`child ${args[0]} failed: ${c.stderr.slice(-500)}`);
  return JSON.parse(c.stdout.trim().split('\n').at(-1) ?? '{}');
};
/** @type {number[][]} */
const mapMs = [[], [], []];
/** @type {number[][]} */
const starts = [[], []];
/** @type {number[]} */
const bare = [];
for (let r = 0; r < runs; r++) {
  const m = child(['--child-map', String(n)]);
  m.maps.forEach((/** @type {any} */ x, /** @type {number} */ c) => {
    mapMs[c].push(x.ms);
    if (c < 2) starts[c].push(Math.max(...x.firstChunkStartMs));
  });
  bare.push(Math.max(...child(['--child-bare']).ready));
}
console.log(`first map vs later maps (falling, N = ${n}, fresh process per run, medians of ${runs}; node ${process.version})`);
console.log(`  map wall time, ms: first ${median(mapMs[0]).toFixed(0)}, second ${median(mapMs[1]).toFixed(0)}, third ${median(mapMs[2]).toFixed(0)}`);
console.log(`  the last worker to begin its first chunk, ms after the map began: first map ${median(starts[0]).toFixed(1)}, second ${median(starts[1]).toFixed(1)}`);
console.log(`  two bare workers of an empty script, both answering, ms after new Worker(): ${median(bare).toFixed(1)}`);
