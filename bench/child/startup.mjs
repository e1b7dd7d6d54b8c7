/**
 * Child process: time from creating a pool to the first result of one ~1 µs item, in a fresh process.
 * Usage: node startup.mjs <batchtools|raw|piscina> <nsPerIter> <threads>. Prints one JSON line.
 */
import { Worker } from 'node:worker_threads';
import { encode } from '../workloads.mjs';

const [mode, nsArg, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const item = encode(Math.max(1, Math.round(1000 / Number(nsArg))), 0, 7);
const url = new URL('../workloads.mjs', import.meta.url);

/** @type {Record<string, unknown>} */
const out = { mode };
let t0;
const ti = performance.now();
if (mode === 'batchtools') {
  const bt = await import(new URL('../../dist/src/index.js', import.meta.url).href);
  out.importMs = performance.now() - ti;
  t0 = performance.now();
  const rt = bt.createRuntime();
  const task = bt.defineTask(url, 'work');
  const [r] = await rt.map([item], task);
  out.firstResultMs = performance.now() - t0;
  out.result = r;
  out.threads = rt.plan?.threads;
  await rt.close();
} else if (mode === 'piscina') {
  const { Piscina } = await import('piscina');
  out.importMs = performance.now() - ti;
  t0 = performance.now();
  const pool = new Piscina({ filename: url.href, minThreads: threads, maxThreads: threads });
  out.result = await pool.run(item, { name: 'work' });
  out.firstResultMs = performance.now() - t0;
  await pool.destroy();
} else {
  out.importMs = 0;
  t0 = performance.now();
  const workers = Array.from({ length: threads }, () => new Worker(new URL('../workers/sab-worker.mjs', import.meta.url)));
  out.result = await Promise.race(
    workers.map(
      (w) =>
        new Promise((resolve, reject) => {
          w.once('message', (m) => resolve(m.value));
          w.once('error', reject);
          w.postMessage({ type: 'ping', item });
        }),
    ),
  );
  out.firstResultMs = performance.now() - t0;
  await Promise.all(workers.map((w) => w.terminate()));
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
