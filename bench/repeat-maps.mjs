#!/usr/bin/env node
/**
 * `node bench/repeat-maps.mjs [--dist DIR] [--workload 1us] [--n 1500000] [--maps 6]`: one runtime, `--maps` maps of
 * one bench workload back to back; prints each map's wall time and the median of all but the first two (the JIT
 * still warming). For an A/B of two builds on a noisy machine: check the other commit out in a worktree, build it
 * (`npm run build`), and alternate runs of this script with `--dist` pointing at each checkout's root.
 */
import { WORKLOADS, calibrate } from './workloads.mjs';
import { flagReader } from './lib/args.mjs';

const args = process.argv.slice(2);
const opt = flagReader(args);
const root = new URL(`${opt('dist', new URL('..', import.meta.url).pathname).replace(/\/?$/, '/')}`, 'file:///');
const name = opt('workload', '1us');
const spec = WORKLOADS[/** @type {keyof typeof WORKLOADS} */ (name)];
if (!spec) throw new Error(`--workload: no workload ${name}; known: ${Object.keys(WORKLOADS).join(', ')}`);
const n = Number(opt('n', '1500000'));
const maps = Math.max(3, Number(opt('maps', '6')));

const { createRuntime, defineTask } = await import(new URL('dist/src/index.js', root).href);
const items = spec.make(n, calibrate());
const rt = await createRuntime();
const task = defineTask(new URL('./workloads.mjs', import.meta.url), spec.task ?? 'work');
const walls = [];
for (let m = 0; m < maps; m++) {
  const t0 = performance.now();
  await rt.map(items, task);
  walls.push(performance.now() - t0);
}
await rt.close();
const steady = walls.slice(2).sort((a, b) => a - b);
const mid = steady.length / 2;
const median = steady.length % 2 ? steady[Math.floor(mid)] : (steady[mid - 1] + steady[mid]) / 2;
console.log(`${root.pathname} ${name} n=${n}: maps ${walls.map((w) => w.toFixed(0)).join(' ')} ms; median of maps 3-${maps}: ${median.toFixed(0)} ms`);
