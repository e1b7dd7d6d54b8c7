#!/usr/bin/env node
/**
 * `npm run bench:main [-- --shapes rec2,rec5,rec200,uni,json,num --n 300000 --maps 5 --dist DIR --codec]`: what a
 * batchtools map of records (or, `num`, of numbers) costs the main thread, per record. For each record shape, one
 * warm-up map, then `--maps` timed maps of `--n` records (defaults), each with the main thread's own CPU time
 * (`/proc/self/task/<pid>/schedstat`) and the CPU of every other thread (the workers). Reports medians: main-thread
 * ns per record, its share of the wall time, and the workers' busy fraction, against the plain loop's wall time. CPU time, not wall time, is the figure to judge on a
 * busy machine: it does not grow when other processes take the cores (only cache and frequency effects remain).
 * Also the codec alone: `--codec` prints encode and decode ns per record of each shape (no pool).
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { calibrate, work, workRecord } from './workloads.mjs';
import { median, startWindow, gc } from './lib/measure.mjs';
import { flagReader } from './lib/args.mjs';

const args = process.argv.slice(2);
const opt = flagReader(args);
const n = Number(opt('n', '300000'));
const maps = Number(opt('maps', '5'));
const cal = calibrate();
const iters = Math.max(1, Math.round(970 / cal.nsPerIter));
const id = (/** @type {number} */ i) => iters * 2 ** 20 + (i % 4096);
const tag = (/** @type {number} */ i) => ((i * 2654435761) >>> 0).toString(36);

/** Record shapes, each a maker of record i (every one has the `id` and `text` the task reads). */
const SHAPES = {
  /** The bench's `{ id, text }`, text ~20 characters. */
  rec2: (/** @type {number} */ i) => ({ id: id(i), text: `rec-${tag(i)}-abcdefghij`.slice(0, 20) }),
  /** Five fields of mixed kinds. */
  rec5: (/** @type {number} */ i) => ({ id: id(i), name: `user-${i}`, score: i * 0.25 - 3, ok: i % 3 === 0, text: `rec-${tag(i)}-abcdefghij`.slice(0, 20) }),
  /** Long text: 200 characters. */
  rec200: (/** @type {number} */ i) => ({ id: id(i), text: `rec-${tag(i)}-`.padEnd(200, 'lorem ipsum dolor ') }),
  /** Text beyond Latin-1 (accents, CJK, an emoji). */
  uni: (/** @type {number} */ i) => ({ id: id(i), text: `réc-${tag(i)}-名前-😀`.slice(0, 20) }),
  /** From JSON.parse (flat strings, as read from a file). */
  json: (/** @type {number} */ i) => JSON.parse(`{"id":${id(i)},"text":"rec-${tag(i)}-abcdefghij"}`),
  /** Not records: the numbers themselves (task `work`), for the numeric maps' share. */
  num: (/** @type {number} */ i) => id(i),
};
const shapes = opt('shapes', 'rec2,rec5,rec200,uni').split(',');
for (const s of shapes) if (!(s in SHAPES)) throw new Error(`unknown shape ${s}; known: ${Object.keys(SHAPES).join(', ')}`);

/** `--dist DIR`: another build to measure (A/B against an older checkout's dist/). */
const distArg = opt('dist', '');
const dist = distArg ? pathToFileURL(`${resolve(distArg)}/`) : new URL('../dist/', import.meta.url);
const bt = await import(new URL('src/index.js', dist).href);

if (args.includes('--codec')) {
  // Per chunk, wall time of one encode and of one decode (every field of every record read); the lower quartile
  // over many chunks, which leaves out the chunks during which another process took the core.
  const codec = await import(new URL('src/transport/records.js', dist).href);
  const chunk = Number(opt('chunk', '8192'));
  const q25 = (/** @type {number[]} */ xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 4)];
  for (const s of shapes) {
    if (s === 'num') continue; // numbers are not a record codec's
    const make = SHAPES[/** @type {keyof typeof SHAPES} */ (s)];
    const items = Array.from({ length: n }, (_, i) => make(i));
    const enc = [];
    const dec = [];
    let sink = 0;
    for (let r = 0; r < 60; r++) {
      const from = (r * chunk) % Math.max(1, n - chunk);
      let t0 = process.hrtime.bigint();
      const packed = codec.packRecords(items, from, from + chunk);
      enc.push(Number(process.hrtime.bigint() - t0) / chunk);
      if (packed === null) throw new Error(`${s}: not packed`);
      t0 = process.hrtime.bigint();
      const reader = codec.recordReader(packed.packed);
      for (let k = 0; k < reader.length; k++) for (const v of Object.values(reader.at(k))) sink += typeof v === 'string' ? v.length : 1;
      dec.push(Number(process.hrtime.bigint() - t0) / chunk);
    }
    if (sink === 0) throw new Error('nothing decoded');
    // The first rounds warm the JIT up.
    process.stdout.write(`codec ${s.padEnd(7)} encode ${q25(enc.slice(10)).toFixed(1)} ns/record, decode + read every field ${q25(dec.slice(10)).toFixed(1)} ns/record (chunks of ${chunk}, lower quartile)\n`);
  }
  process.exit(0);
}

const rt = bt.createRuntime();
const rows = [];
for (const s of shapes) {
  const make = SHAPES[/** @type {keyof typeof SHAPES} */ (s)];
  const items = Array.from({ length: n }, (_, i) => make(i));
  const numbers = s === 'num';
  const task = bt.defineTask(new URL('./workloads.mjs', import.meta.url), numbers ? 'work' : 'workRecord');
  const t0 = performance.now();
  const expected = numbers ? items.map((x) => work(/** @type {number} */ (x))) : items.map(workRecord);
  const plainMs = performance.now() - t0;
  await rt.map(items.slice(0, 20_000), task);
  const main = [];
  const share = [];
  const busy = [];
  const wall = [];
  for (let m = 0; m < maps; m++) {
    gc();
    const end = startWindow();
    const out = await rt.map(items, task);
    const w = end();
    if (out.length !== n || out.some((v, i) => v !== expected[i])) throw new Error(`${s}: results differ from the plain loop`);
    main.push(((w.mainCpuMs ?? NaN) * 1e6) / n);
    share.push(w.mainShare ?? NaN);
    busy.push((w.otherCpuMs ?? NaN) / (2 * w.wallMs));
    wall.push(w.wallMs);
  }
  const row = { shape: s, n, plainMs, wallMs: median(wall), mainNsPerRecord: median(main), mainShare: median(share), workersBusy: median(busy) };
  rows.push(row);
  process.stdout.write(
    `${s.padEnd(7)} main ${row.mainNsPerRecord.toFixed(0)} ns/record (${((row.mainNsPerRecord * n) / 1e6).toFixed(0)} ms per map), share ${(100 * row.mainShare).toFixed(0)} %, workers busy ${(100 * row.workersBusy).toFixed(0)} %; wall ${row.wallMs.toFixed(0)} ms vs plain ${plainMs.toFixed(0)} ms\n`,
  );
}
await rt.close();
if (args.includes('--json')) process.stdout.write(JSON.stringify(rows) + '\n');

