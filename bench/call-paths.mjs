#!/usr/bin/env node
/**
 * `npm run bench:call-paths [-- --items 20000 --runs 3]`: what each way batchtools calls a task does to the task's
 * own speed. V8 may inline a task into the loop that calls it, and a hot loop compiled inside another function can
 * run 2x slower (the demo's score did, in the CLI's block loop and in fused stages). For each task shape of
 * bench/call-shapes.mjs, one worker thread each:
 * - `reference`: the task called from a call site made megamorphic first (V8 cannot inline it there), in a fresh
 *   worker thread: what the task costs by itself;
 * - `rt.map`: a fresh runtime of one thread (the item loop), per item from its trace (`onTrace`: run time over items);
 * - `cli`: `batchtools run --threads 1` on the items as JSON Lines (the block loop), from `--trace-events`;
 * - `cli + stage`: the same with an identity `--stage` after the task (the fused stages, which `pipeline` uses too).
 * Each path's µs per item (medians of `--runs` fresh runs, first item to last, cold start included alike) and its
 * ratio to the reference; a ratio above 1.15 is marked. Writes bench/results/call-paths.{json,md}.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { flagReader } from './lib/args.mjs';
import { median } from './lib/measure.mjs';

const SHAPES_URL = new URL('./call-shapes.mjs', import.meta.url);
const SHAPES = ['mixUint', 'mixInt', 'floatSteps', 'textHash'];

if (!isMainThread) {
  // The reference: every item through one call site that has seen six other functions first.
  const shapes = await import(SHAPES_URL.href);
  const { shape, items } = workerData;
  const call = (/** @type {(x: unknown) => unknown} */ fn, /** @type {unknown} */ x) => fn(x);
  const warm = [(x) => x, (x) => [x], (x) => ({ x }), (x) => typeof x, (x) => x === 1, (x) => String(x)];
  for (let r = 0; r < 4; r++) for (const f of warm) call(f, r);
  const fn = shapes[shape];
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < items; i++) sink ^= /** @type {number} */ (call(fn, i + 1));
  parentPort?.postMessage({ us: ((performance.now() - t0) * 1000) / items, sink });
} else {
  const opt = flagReader(process.argv.slice(2));
  const items = Number(opt('items', '20000'));
  const runs = Number(opt('runs', '3'));
  const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));
  const shapesPath = fileURLToPath(SHAPES_URL);
  const { createRuntime, defineTask } = await import(new URL('../dist/src/index.js', import.meta.url).href);
  const dir = mkdtempSync(join(tmpdir(), 'bt-call-paths-'));
  const input = join(dir, 'items.jsonl');
  writeFileSync(input, Array.from({ length: items }, (_, i) => String(i + 1)).join('\n') + '\n');
  const log = (/** @type {string} */ s) => process.stderr.write(`${s}\n`);
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
  log(`bench:call-paths on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${items} items per run, ${runs} runs; load average ${loadBefore}`);

  /** µs per item of the reference, in a fresh worker thread. */
  const reference = (/** @type {string} */ shape) =>
    new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { shape, items } });
      w.once('message', (m) => {
        resolve(m.us);
        void w.terminate();
      });
      w.once('error', reject);
    });
  /** µs per item of rt.map in a fresh runtime of one thread (its trace: run time over items). */
  const map = async (/** @type {string} */ shape) => {
    const rt = createRuntime({ threads: 1 });
    try {
      let chunks = [];
      const list = Array.from({ length: items }, (_, i) => i + 1);
      await rt.map(list, defineTask(SHAPES_URL, shape), { onTrace: (/** @type {any} */ t) => (chunks = t.chunks) });
      return perItem(chunks.map((/** @type {any} */ c) => ({ runMs: c.runMs, items: c.items })));
    } finally {
      await rt.close();
    }
  };
  /** µs per item of `batchtools run --threads 1` (with `stage`, an identity stage after the task), from its trace. */
  const cli = (/** @type {string} */ shape, /** @type {boolean} */ stage) => {
    const trace = join(dir, 'trace.json');
    const args = [bin, 'run', shapesPath, '--export', shape, '--input', input, '--output', join(dir, 'out.jsonl'), '--quiet', '--threads', '1', '--trace-events', trace];
    if (stage) args.push('--stage', `${shapesPath}#identity`);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`batchtools run ${shape}${stage ? ' with a stage' : ''}: exit ${r.status}: ${r.stderr.slice(-300)}`);
    const doc = JSON.parse(readFileSync(trace, 'utf8'));
    const chunks = (doc.traceEvents ?? doc).filter((/** @type {any} */ e) => e.ph === 'X' && e.name === 'chunk');
    return perItem(chunks.map((/** @type {any} */ e) => ({ runMs: e.args.runMs, items: e.args.items })));
  };
  const perItem = (/** @type {Array<{ runMs: number, items: number }>} */ chunks) => {
    let ms = 0;
    let n = 0;
    for (const c of chunks) {
      ms += c.runMs;
      n += c.items;
    }
    if (n !== items) throw new Error(`the trace accounts for ${n} items, not ${items}`);
    return (ms * 1000) / n;
  };

  const paths = /** @type {const} */ (['reference', 'rt.map', 'cli', 'cli + stage']);
  /** @type {Record<string, Record<string, number[]>>} */
  const samples = {};
  try {
    for (let r = 0; r < runs; r++) {
      for (const shape of SHAPES) {
        samples[shape] ??= Object.fromEntries(paths.map((p) => [p, []]));
        // The order rotates between runs: a drift of the machine's speed falls on every path alike.
        const order = paths.map((_, k) => paths[(k + r) % paths.length]);
        for (const path of order) {
          const us = path === 'reference' ? await reference(shape) : path === 'rt.map' ? await map(shape) : cli(shape, path === 'cli + stage');
          samples[shape][path].push(us);
        }
      }
      log(`  run ${r + 1} of ${runs} done`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const rows = SHAPES.map((shape) => {
    const ref = median(samples[shape].reference);
    return { shape, ...Object.fromEntries(paths.map((p) => [p, { us: median(samples[shape][p]), ratio: median(samples[shape][p]) / ref }])) };
  });
  const loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
  const md = [
    '# Call paths: what each way batchtools calls a task does to its speed (`npm run bench:call-paths`)',
    '',
    `${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average ${loadBefore} before, ${loadAfter} after`,
    '',
    `${items} items per run, one worker thread; µs per item in the worker, medians of ${runs} fresh runs; ratio to the reference (the task called where V8 cannot inline it). ⚠ marks a ratio above 1.15.`,
    '',
    `| shape | ${paths.join(' | ')} |`,
    `|---|${paths.map(() => '---:').join('|')}|`,
    ...rows.map((row) => `| ${row.shape} | ${paths.map((p) => `${row[p].us.toFixed(2)}${p === 'reference' ? '' : ` (${row[p].ratio.toFixed(2)}${row[p].ratio > 1.15 ? ' ⚠' : ''})`}`).join(' | ')} |`),
    '',
  ].join('\n');
  const out = fileURLToPath(new URL('./results/call-paths', import.meta.url));
  writeFileSync(`${out}.json`, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, model: cpus()[0]?.model, loadBefore, loadAfter, items, runs, rows, samples }, null, 2)}\n`);
  writeFileSync(`${out}.md`, md);
  process.stdout.write(md);
}
