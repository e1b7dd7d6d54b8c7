#!/usr/bin/env node
/**
 * `node bench/item-loop.mjs [--n 1000000] [--maps 20] [--task inc] [--dist DIR]`: what the workers' item loop costs
 * per item, seen where it is all there is: maps of `--n` numbers with a task of a few ns (`inc`, a number plus one;
 * or `noop`, the item back). A fresh runtime, three maps first, then `--maps` maps; per map the workers' run time per
 * item from the run's trace (`runMs / items` of each chunk) and the map's wall time. Prints the medians, and a plain
 * loop's time per item for reference. `--dist DIR` (a dist/ folder) measures another build: alternate runs for an A/B.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flagReader } from './lib/args.mjs';
import { median } from './lib/measure.mjs';
import { inc, noop } from './workloads.mjs';

const opt = flagReader(process.argv.slice(2));
const n = Number(opt('n', '1000000'));
const maps = Number(opt('maps', '20'));
const name = opt('task', 'inc');
if (name !== 'inc' && name !== 'noop') throw new RangeError(`--task must be inc or noop, got ${name}`);
const distArg = opt('dist', '');
const dist = distArg ? pathToFileURL(`${resolve(distArg)}/`) : new URL('../dist/', import.meta.url);
const bt = await import(new URL('src/index.js', dist).href);

const rt = bt.createRuntime();
const task = bt.defineTask(new URL('./workloads.mjs', import.meta.url), name);
const items = Array.from({ length: n }, (_, i) => i);
for (let m = 0; m < 3; m++) await rt.map(items, task);
const perItem = [];
const wall = [];
for (let m = 0; m < maps; m++) {
  /** @type {any} */
  let trace;
  const t = performance.now();
  await rt.map(items, task, { onTrace: (/** @type {unknown} */ x) => (trace = x) });
  wall.push(performance.now() - t);
  for (const c of trace.chunks) if (c.items > 1000) perItem.push((c.runMs * 1e6) / c.items);
}
await rt.close();
const fn = name === 'inc' ? inc : noop;
const out = new Array(n);
const plain = [];
for (let m = 0; m < maps; m++) {
  const t = performance.now();
  for (let k = 0; k < n; k++) out[k] = fn(/** @type {number} */ (items[k]));
  plain.push(performance.now() - t);
}
process.stdout.write(
  `${n} numbers, task ${name}: in the workers ${median(perItem).toFixed(1)} ns per item; map ${median(wall).toFixed(1)} ms; ` +
    `a plain loop ${median(plain).toFixed(1)} ms (medians of ${maps})\n`,
);
