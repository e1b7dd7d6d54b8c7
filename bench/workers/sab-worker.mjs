/**
 * The practical-limit worker: items in a shared Float64Array (numbers) or handed over once beforehand (records,
 * strings), results out to a shared Float64Array, guided self-scheduling over one shared atomic counter
 * (chunk = remaining / (2 · threads), at least 1). One message starts a run and one says it is done; nothing is
 * sent per chunk.
 */
import { parentPort } from 'node:worker_threads';
import { work, workAsync, workRecord, workText } from '../workloads.mjs';

/** The task of a run, by name (numbers: `work`, or `workAsync`, each item awaited). */
const TASKS = { work, workRecord, workText, workAsync };

/** Records handed over by a 'load' message (outside the timing), for the next 'run' with `records: true`. */
let loaded = null;

parentPort.on('message', async (msg) => {
  if (msg.type === 'ping') {
    parentPort.postMessage({ type: 'pong', value: await TASKS[msg.task ?? 'work'](msg.item) });
    return;
  }
  if (msg.type === 'load') {
    loaded = msg.records;
    parentPort.postMessage({ type: 'loaded' });
    return;
  }
  /** @type {{ input: SharedArrayBuffer | null, output: SharedArrayBuffer, counter: SharedArrayBuffer, n: number, threads: number, id: number, records?: boolean, task?: 'work' | 'workRecord' | 'workText' | 'workAsync' }} */
  const { input, output, counter, n, threads, id } = msg;
  const out = new Float64Array(output);
  const next = new Int32Array(counter);
  const div = 2 * threads;
  const records = msg.records ? loaded : null;
  const fn = msg.task === 'workText' ? workText : workRecord;
  const items = records ? null : new Float64Array(/** @type {SharedArrayBuffer} */ (input));
  let chunks = 0;
  let done = 0;
  for (;;) {
    const cur = Atomics.load(next, 0);
    if (cur >= n) break;
    const size = Math.max(1, Math.floor((n - cur) / div));
    const end = Math.min(n, cur + size);
    if (Atomics.compareExchange(next, 0, cur, end) !== cur) continue; // lost the race: re-read
    if (records) for (let i = cur; i < end; i++) out[i] = fn(records[i]);
    else if (msg.task === 'workAsync') for (let i = cur; i < end; i++) out[i] = await workAsync(/** @type {Float64Array} */ (items)[i]);
    else for (let i = cur; i < end; i++) out[i] = work(/** @type {Float64Array} */ (items)[i]);
    chunks++;
    done += end - cur;
  }
  parentPort.postMessage({ type: 'done', id, chunks, done });
});
