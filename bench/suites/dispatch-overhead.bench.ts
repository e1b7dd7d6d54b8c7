/**
 * batchtools' per-chunk dispatch overhead: the round trip of a 1-item chunk through `createRuntime({ threads: 1 })
 * .map([x], task)` (scheduling, Piscina, the chunk protocol, result ordering), against the floor any worker pool
 * stands on, a raw `worker_threads` postMessage round trip to an echo worker. The task does nothing (x + 1), so
 * the difference is the overhead a chunk pays. Both workers are started and warm before anything is timed.
 *
 *   batchtools bench bench/suites/*.bench.ts
 */
import { Worker } from 'node:worker_threads';
import { Bench } from 'tinybench';
import { createRuntime, defineTask } from '../../src/index.ts';

/** The task: this module's own export, loaded once by the runtime's worker. */
export function increment(x: number): number {
  return x + 1;
}

const ECHO_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (x) => parentPort.postMessage(x + 1));
`;

export default async function dispatchOverhead(): Promise<Bench> {
  const runtime = createRuntime({ threads: 1 });
  const task = defineTask<number, number>(new URL(import.meta.url), 'increment');
  const echo = new Worker(ECHO_WORKER, { eval: true });
  const roundTrip = (x: number): Promise<number> =>
    new Promise((resolve) => {
      echo.once('message', resolve);
      echo.postMessage(x);
    });

  // Start both workers and load the task module now: only steady-state round trips are measured.
  if ((await runtime.map([1], task))[0] !== 2 || (await roundTrip(1)) !== 2) throw new Error('warm-up round trip failed');

  const bench = new Bench({ name: 'dispatch overhead', time: 1000, warmupTime: 250, retainSamples: true });
  bench.add('batchtools map([x]) on 1 thread (1-item chunk)', async () => {
    await runtime.map([1], task);
  });
  bench.add('raw worker_threads postMessage round trip', async () => {
    await roundTrip(1);
  });
  bench.addEventListener('complete', () => {
    void runtime.close();
    void echo.terminate();
  });
  return bench;
}
