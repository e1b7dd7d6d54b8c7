#!/usr/bin/env node
/**
 * `node bench/probes/worker-start.mjs [--runs 9] [--dist DIR]`: where a pool thread's start goes before its first
 * chunk. Starts one fresh worker thread per run (one at a time, so that none competes with another) and times, inside
 * it: Node's own start (from `new Worker` to the thread's first line), the ES module loader's first use (importing
 * an empty module), comlink, the built batch worker (`dist/workers/batch.js`: piscina loads it through
 * batch-entry.cjs) and the bench's task module; and the CLI's line worker (`dist/src/cli/line-worker.js`). Prints the median of each stage in ms. `--dist` times another
 * build's batch worker (an older checkout's dist/, built) for an A/B.
 */
import { Worker } from 'node:worker_threads';
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/measure.mjs';

const opt = flagReader(process.argv.slice(2));
const runs = Number(opt('runs', '9'));
const dist = new URL(`${opt('dist', new URL('../../dist/', import.meta.url).pathname).replace(/\/?$/, '/')}`, 'file:');
const batch = new URL('workers/batch.js', dist).href;
const lineWorker = new URL('src/cli/line-worker.js', dist).href;
const task = new URL('../workloads.mjs', import.meta.url).href;
const empty = `data:text/javascript,${encodeURIComponent('export const empty = true;')}`;

const code = `
const { parentPort, workerData } = require('node:worker_threads');
const bornAt = performance.timeOrigin + performance.now();
(async () => {
  const stages = {};
  let t = performance.now();
  for (const [name, url] of workerData.steps) {
    await import(url);
    stages[name] = performance.now() - t;
    t = performance.now();
  }
  parentPort.postMessage({ bornAt, stages });
})();`;

/** @param {Array<[string, string]>} steps */
function once(steps) {
  return new Promise((resolve, reject) => {
    const startedAt = performance.timeOrigin + performance.now();
    const w = new Worker(code, { eval: true, workerData: { steps } });
    w.once('error', reject);
    w.once('message', (m) => {
      void w.terminate();
      resolve({ boot: m.bornAt - startedAt, ...m.stages });
    });
  });
}

const plans = {
  'batch worker (comlink first, as before it was loaded lazily)': [['esm loader', empty], ['comlink', 'comlink'], ['batch.js', batch], ['task module', task]],
  'batch worker': [['esm loader', empty], ['batch.js', batch], ['task module', task]],
  "the CLI's line worker (batchtools run's task in each pool thread)": [['esm loader', empty], ['batch.js', batch], ['line-worker.js', lineWorker]],
};
for (const [label, steps] of Object.entries(plans)) {
  /** @type {Record<string, number[]>} */
  const seen = {};
  for (let r = 0; r < runs; r++) {
    const stages = /** @type {Record<string, number>} */ (await once(/** @type {Array<[string, string]>} */ (steps)));
    for (const [k, v] of Object.entries(stages)) (seen[k] ??= []).push(v);
  }
  const parts = Object.entries(seen).map(([k, v]) => `${k} ${median(v).toFixed(1)}`);
  const total = Object.values(seen).reduce((s, v) => s + median(v), 0);
  console.log(`${label}: ${parts.join(', ')}; sum of medians ${total.toFixed(1)} ms (${runs} fresh threads)`);
}
