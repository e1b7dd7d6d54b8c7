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

/**
 * An async task over shared numbers, each item awaited, with the same guided claims. A function of its own: with
 * an `await` in the message handler, the numeric loop there ran ~20 % slower (the limit measured 1.42× instead
 * of 1.80× at 1 µs), and so did a generator of claims shared by both.
 * @param {Float64Array} items @param {Float64Array} out @param {Int32Array} next @param {number} n @param {number} div
 */
async function runAsync(items, out, next, n, div) {
  let chunks = 0;
  let done = 0;
  for (;;) {
    const cur = Atomics.load(next, 0);
    if (cur >= n) break;
    const end = Math.min(n, cur + Math.max(1, Math.floor((n - cur) / div)));
    if (Atomics.compareExchange(next, 0, cur, end) !== cur) continue;
    for (let i = cur; i < end; i++) out[i] = await workAsync(items[i]);
    chunks++;
    done += end - cur;
  }
  return { chunks, done };
}

/** Records handed over by a 'load' message (outside the timing), for the next 'run' with `records: true`. */
let loaded = null;

parentPort.on('message', (msg) => {
  if (msg.type === 'ping') {
    void Promise.resolve(TASKS[msg.task ?? 'work'](msg.item)).then((value) => parentPort.postMessage({ type: 'pong', value }));
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
  if (msg.task === 'workAsync') {
    void runAsync(/** @type {Float64Array} */ (items), out, next, n, div).then((r) => parentPort.postMessage({ type: 'done', id, ...r }));
    return;
  }
  let chunks = 0;
  let done = 0;
  for (;;) {
    const cur = Atomics.load(next, 0);
    if (cur >= n) break;
    const size = Math.max(1, Math.floor((n - cur) / div));
    const end = Math.min(n, cur + size);
    if (Atomics.compareExchange(next, 0, cur, end) !== cur) continue; // lost the race: re-read
    if (records) for (let i = cur; i < end; i++) out[i] = fn(records[i]);
    else for (let i = cur; i < end; i++) out[i] = work(/** @type {Float64Array} */ (items)[i]);
    chunks++;
    done += end - cur;
  }
  parentPort.postMessage({ type: 'done', id, chunks, done });
});
