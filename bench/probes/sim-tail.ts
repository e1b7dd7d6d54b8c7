/**
 * `npx tsx bench/probes/sim-tail.ts [--profile bimodal] [--threads 64] [--wp 100]`: where the simulated adaptive
 * controller (bench/sim-controller.ts, stealing on) loses against the ideal on one cost profile: the per-chunk
 * overhead, idle gaps between a worker's chunks, the tail (every worker's wait for the last one), and the last
 * chunks to end, with the expensive items (over 1 ms) each holds.
 */
import { parseArgs } from 'node:util';
import { limitMakespan, profiles, simulate } from '../sim-controller.ts';

const { values } = parseArgs({ options: { profile: { type: 'string' }, threads: { type: 'string' }, wp: { type: 'string' } } });
const name = values.profile ?? 'bimodal';
const threads = Number(values.threads ?? 64);
const costs = profiles(Number(values.wp ?? 100), threads)[name];
if (costs === undefined) throw new Error(`unknown profile ${name}`);
const OVERHEAD_MS = 0.06;

const r = simulate(costs, { threads, steal: true });
const total = costs.reduce((a, b) => a + b, 0);
const limit = limitMakespan(costs, threads);
console.log(`${name}, ${threads} threads, ${costs.length} items: makespan ${r.makespanMs.toFixed(1)} ms, ideal ${r.idealMs.toFixed(1)}, efficiency ${r.efficiency.toFixed(3)}; the in-order limit ${limit.toFixed(1)} ms (${(total / threads / limit).toFixed(3)})`);
const ran = r.chunks.filter((c) => c.worker >= 0);
const lastEnd = new Float64Array(threads);
const busy = new Float64Array(threads);
for (const c of ran) {
  lastEnd[c.worker] = Math.max(lastEnd[c.worker]!, c.endedAt);
  busy[c.worker]! += c.endedAt - c.startedAt;
}
let gaps = 0;
let tail = 0;
for (let w = 0; w < threads; w++) {
  gaps += lastEnd[w]! - busy[w]!;
  tail += r.makespanMs - lastEnd[w]!;
}
const ends = [...lastEnd].sort((a, b) => a - b);
console.log(`per worker: chunk overhead ${((ran.length * OVERHEAD_MS) / threads).toFixed(2)} ms (${ran.length} chunks), idle gaps ${(gaps / threads).toFixed(2)} ms, tail ${(tail / threads).toFixed(2)} ms; workers end between ${ends[0]!.toFixed(1)} and ${ends[threads - 1]!.toFixed(1)} ms (median ${ends[threads >> 1]!.toFixed(1)})`);
for (const c of [...ran].sort((a, b) => a.endedAt - b.endedAt).slice(-5)) {
  let big = 0;
  for (let i = c.start; i < c.start + c.size; i++) if (costs[i]! > 1) big++;
  console.log(`  items ${c.start}..${c.start + c.size - 1} on worker ${c.worker}: ${c.startedAt.toFixed(2)} → ${c.endedAt.toFixed(2)} ms, ${big} item(s) over 1 ms${c.yieldAt === undefined ? '' : `, gave way at ${c.yieldAt}`}`);
}
