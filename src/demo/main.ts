/**
 * `npm start`: run the built-in CPU-bound workload through a plain loop and through batchtools, and print both
 * throughputs on this machine.
 */
import { createRuntime, defineTask } from '../index.ts';
import { score } from './task.ts';

const N = Number(process.env['BATCHTOOLS_DEMO_ITEMS'] ?? 200_000);
const items = Array.from({ length: N }, (_, i) => i);
const rate = (ms: number): string => `${Math.round((N / ms) * 1000).toLocaleString('en-US')} items/s`;

await using rt = createRuntime();
console.log(`batchtools demo: scoring ${N.toLocaleString('en-US')} items (~10 µs of integer mixing each)`);
console.log(`pool plan: ${rt.plan.reasons[0] ?? `${rt.plan.threads} threads`}`);

let t = performance.now();
const expected = items.map((x) => score(x));
const loopMs = performance.now() - t;
console.log(`plain loop      ${loopMs.toFixed(0).padStart(6)} ms  ${rate(loopMs)}`);

const task = defineTask<number, number>(new URL('./task.js', import.meta.url), 'score');
await rt.map([0], task); // start the workers, as a long-lived service would have them
t = performance.now();
const got = await rt.map(items, task);
const mapMs = performance.now() - t;
console.log(`batchtools map  ${mapMs.toFixed(0).padStart(6)} ms  ${rate(mapMs)}  (${rt.plan.threads} threads)`);

const mismatch = got.findIndex((v, i) => v !== expected[i]);
if (mismatch !== -1) throw new Error(`result ${mismatch} differs from the plain loop`);
console.log(`speedup ${(loopMs / mapMs).toFixed(2)}x over the plain loop; all ${N.toLocaleString('en-US')} results identical`);
