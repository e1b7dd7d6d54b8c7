/**
 * The practical-limit worker: items in a shared Float64Array, results out to another, guided self-scheduling
 * over one shared atomic counter (chunk = remaining / (2 · threads), at least 1). One message starts a run and
 * one says it is done; nothing is sent per chunk.
 */
import { parentPort } from 'node:worker_threads';
import { work } from '../workloads.mjs';

parentPort.on('message', (msg) => {
  if (msg.type === 'ping') {
    parentPort.postMessage({ type: 'pong', value: work(msg.item) });
    return;
  }
  /** @type {{ input: SharedArrayBuffer, output: SharedArrayBuffer, counter: SharedArrayBuffer, n: number, threads: number, id: number }} */
  const { input, output, counter, n, threads, id } = msg;
  const items = new Float64Array(input);
  const out = new Float64Array(output);
  const next = new Int32Array(counter);
  const div = 2 * threads;
  let chunks = 0;
  let done = 0;
  for (;;) {
    const cur = Atomics.load(next, 0);
    if (cur >= n) break;
    const size = Math.max(1, Math.floor((n - cur) / div));
    const end = Math.min(n, cur + size);
    if (Atomics.compareExchange(next, 0, cur, end) !== cur) continue; // lost the race: re-read
    for (let i = cur; i < end; i++) out[i] = work(items[i]);
    chunks++;
    done += end - cur;
  }
  parentPort.postMessage({ type: 'done', id, chunks, done });
});
