#!/usr/bin/env node
/**
 * `node bench/probes/stage-calls.mjs [--other DIR] [--stages 3] [--items 5000000]`: what fused stages cost per item
 * when every stage is trivial (x + 1, a filter, x * 2): the composite of this checkout's dist/src/worker/composite.js
 * called over `--items` numbers in a fresh worker thread, ns per item, six runs; with `--other`, another checkout's
 * build in turns (an A/B). The price of calling each stage where V8 does not inline it (src/worker/composite.ts,
 * callStage): the figure behind its comment.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/measure.mjs';

if (!isMainThread) {
  const { root, items } = workerData;
  const { loadComposite } = await import(new URL(`file://${root}/dist/src/worker/composite.js`).href);
  /** @type {Record<string, (x: any) => unknown>} */
  const fns = { inc: (x) => x + 1, keep: (x) => x % 3 !== 0, dbl: (x) => x * 2 };
  const ops = /** @type {const} */ ([['map', 'inc'], ['filter', 'keep'], ['map', 'dbl']]);
  const spec = { kind: 'composite', stages: ops.map(([op, name], stage) => ({ op, stage, name, task: { kind: 'module', url: 'file:///stages.mjs', exportName: name } })) };
  const composite = await loadComposite(spec, async (/** @type {any} */ t) => fns[t.exportName]);
  const context = {};
  // The caller's own call site sees several functions first, as the item loop's does.
  const loop = (/** @type {(x: number, c: object) => unknown} */ fn, /** @type {number} */ n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = fn(i, context);
      if (typeof v === 'number') sum += v;
    }
    return sum;
  };
  for (let r = 0; r < 4; r++) for (const f of [(x) => x, (x) => [x], (x) => ({ x }), (x) => typeof x, (x) => x === 1, (x) => String(x)]) loop(f, 2);
  loop(composite, 100_000);
  const t0 = performance.now();
  loop(composite, items);
  parentPort?.postMessage(((performance.now() - t0) * 1e6) / items);
} else {
  const opt = flagReader(process.argv.slice(2));
  const items = Number(opt('items', '5000000'));
  const here = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const other = opt('other', '');
  const roots = other ? [here, resolve(other)] : [here];
  /** @type {Map<string, number[]>} */
  const ns = new Map(roots.map((r) => [r, []]));
  for (let run = 0; run < 6; run++) {
    for (const root of run % 2 ? [...roots].reverse() : roots) {
      const v = await new Promise((ok, no) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { root, items } });
        w.once('message', (m) => {
          ok(m);
          void w.terminate();
        });
        w.once('error', no);
      });
      ns.get(root)?.push(/** @type {number} */ (v));
    }
  }
  for (const [root, xs] of ns) process.stdout.write(`${root}: ${xs.map((x) => x.toFixed(1)).join(' ')} ns per item (three trivial stages), median ${median(xs).toFixed(1)}\n`);
}
