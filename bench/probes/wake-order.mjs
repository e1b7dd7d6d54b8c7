#!/usr/bin/env node
/**
 * `node bench/probes/wake-order.mjs [--busy-ms 0.3] [--spin-ms 3] [--rounds 300]`: how long a worker woken second
 * waits for a core on this machine. Two bare workers wait in `Atomics.wait`; the main thread wakes both with
 * `Atomics.notify`, then keeps its own core busy for `--busy-ms` (as a dispatcher does after posting its chunks);
 * each worker notes when it woke and spins `--spin-ms`. Prints, per round, the later worker's wake-up after the
 * notify (p10 / p50 / p75 / p90 / p99, µs) and the share of rounds above 1 ms. On the 2-vCPU machine here the
 * second worker waited until the main thread let go of its core (p50 ≈ 0.39, 1.08, 2.08 ms at 0.3, 1, 2 ms busy):
 * what bench/short-timeline.mjs sees as a worker starting late.
 */
import { Worker } from 'node:worker_threads';
import { flagReader } from '../lib/args.mjs';

const opt = flagReader(process.argv.slice(2));
const busyMs = Number(opt('busy-ms', '0.3'));
const spinMs = Number(opt('spin-ms', '3'));
const rounds = Number(opt('rounds', '300'));
const flags = new Int32Array(new SharedArrayBuffer(64));
const woke = new Float64Array(new SharedArrayBuffer(64));
const source = `
const { workerData: { flags, woke, id, spinMs } } = require('node:worker_threads');
let seen = 0;
for (;;) {
  Atomics.wait(flags, id, seen);
  woke[id] = performance.timeOrigin + performance.now();
  seen = Atomics.load(flags, id);
  if (seen < 0) break;
  const t = performance.now();
  while (performance.now() - t < spinMs) {}
  Atomics.add(flags, 4 + id, 1);
  Atomics.notify(flags, 4 + id);
}`;
const workers = [0, 1].map((id) => new Worker(source, { eval: true, workerData: { flags, woke, id, spinMs } }));
await new Promise((resolve) => setTimeout(resolve, 200));
const later = [];
for (let r = 0; r < rounds; r++) {
  const done = [Atomics.load(flags, 4), Atomics.load(flags, 5)];
  await new Promise((resolve) => setTimeout(resolve, 1));
  const t0 = performance.timeOrigin + performance.now();
  for (const id of [0, 1]) {
    Atomics.add(flags, id, 1);
    Atomics.notify(flags, id, 1);
  }
  const t1 = performance.now();
  while (performance.now() - t1 < busyMs) {}
  await new Promise((resolve) => {
    const poll = () => (Atomics.load(flags, 4) !== done[0] && Atomics.load(flags, 5) !== done[1] ? resolve(undefined) : setTimeout(poll, 0));
    poll();
  });
  later.push((Math.max(woke[0] ?? 0, woke[1] ?? 0) - t0) * 1000);
}
for (const id of [0, 1]) {
  Atomics.store(flags, id, -1);
  Atomics.notify(flags, id);
}
await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
later.sort((a, b) => a - b);
const q = (/** @type {number} */ f) => later[Math.floor(f * (later.length - 1))]?.toFixed(0);
process.stdout.write(
  `main busy ${busyMs} ms after waking both: the later worker woke after (µs) p10 ${q(0.1)}, p50 ${q(0.5)}, p75 ${q(0.75)}, ` +
    `p90 ${q(0.9)}, p99 ${q(0.99)}; over 1 ms in ${((100 * later.filter((x) => x > 1000).length) / later.length).toFixed(0)} % of ${rounds} rounds\n`,
);
