#!/usr/bin/env node
/**
 * `node bench/probes/ab-map.mjs [--task workAsync] [--us 1] [--n 1000000] [--rounds 5] [--other DIR]`: `--n` items
 * of ~`--us` µs of bench/workloads.mjs's `--task` (`work`, or `workAsync`: every item returns a promise) mapped by a
 * warm runtime, against a plain loop (awaiting each item for `workAsync`); prints the median wall times, the speedup
 * and the workers' CPU time (the whole process's, less the main thread's; Linux /proc). With `--other DIR` (another
 * checkout, its `dist/` built) the same maps run on that build too, in turns, in this process: an A/B.
 *
 * On Node 20 and 22, a worker that keeps async hooks enabled (the context that names the chunk whose code ended a
 * worker, see src/worker/crash-owner.ts) pays ~0.5 µs per promise: `--task workAsync` shows it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/measure.mjs';
import { calibrate, encode, work, workAsync } from '../workloads.mjs';

const opt = flagReader(process.argv.slice(2));
const n = Number(opt('n', '1000000'));
const rounds = Number(opt('rounds', '5'));
const other = opt('other', '');
const taskName = opt('task', 'workAsync');
if (taskName !== 'work' && taskName !== 'workAsync') throw new RangeError(`--task must be work or workAsync, got ${taskName}`);
const us = Number(opt('us', '1'));
const iters = Math.max(1, Math.round((us * 1000) / calibrate().nsPerIter));
const items = Array.from({ length: n }, (_, i) => encode(iters, 0, i));
const workloads = new URL('../workloads.mjs', import.meta.url);

/** CPU time of a thread or of the process (ms), from /proc; utime + stime in ticks of 10 ms. */
const cpuMs = (/** @type {string} */ path) => {
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const workersCpuMs = () => cpuMs('/proc/self/stat') - cpuMs(`/proc/self/task/${process.pid}/stat`);

async function plain() {
  const out = new Array(n);
  if (taskName === 'work') for (let i = 0; i < n; i++) out[i] = work(items[i]);
  else for (let i = 0; i < n; i++) out[i] = await workAsync(items[i]);
  return out;
}

const builds = [['this checkout', new URL('../../dist/', import.meta.url)]];
if (other) builds.push([other, pathToFileURL(`${resolve(other)}/dist/`)]);
const runtimes = [];
for (const [name, dist] of builds) {
  const bt = await import(new URL('src/index.js', dist).href);
  runtimes.push({ name, rt: bt.createRuntime(), task: bt.defineTask(workloads, taskName), map: [], cpu: [] });
}
const plainMs = [];
const expected = await plain();
for (const r of runtimes) for (let w = 0; w < 2; w++) await r.rt.map(items, r.task);
for (let round = 0; round < rounds; round++) {
  let t = performance.now();
  await plain();
  plainMs.push(performance.now() - t);
  for (const r of round % 2 ? [...runtimes].reverse() : runtimes) {
    const c = workersCpuMs();
    t = performance.now();
    const out = await r.rt.map(items, r.task);
    r.map.push(performance.now() - t);
    r.cpu.push(workersCpuMs() - c);
    if (out.length !== n || out[n - 1] !== expected[n - 1]) throw new Error(`${r.name}: results differ from the plain loop`);
  }
}
process.stdout.write(`node ${process.version}, ${n} items of ~${us} µs, ${taskName}; medians of ${rounds}: plain loop ${median(plainMs).toFixed(0)} ms\n`);
for (const r of runtimes) {
  process.stdout.write(
    `  ${r.name}: rt.map ${median(r.map).toFixed(0)} ms, speedup ${(median(plainMs) / median(r.map)).toFixed(2)}x, workers' CPU ${median(r.cpu).toFixed(0)} ms\n`,
  );
  await r.rt.close();
}
