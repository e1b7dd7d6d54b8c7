#!/usr/bin/env node
/**
 * `node bench/pack-records.mjs [--n 600000] [--chunk 20000] [--rounds 7] [--dist DIR] [--long] [--clone]`: what the
 * records codec alone costs, in one thread, for items with nested values: packing chunks of them (the main thread's
 * side of a map) (or posting them as they are when they do not pack) and reading every item of each chunk back after
 * the trip through a MessagePort (the worker's side). Shapes:
 * orders `{ id, lines: [{ sku, qty }, …] }` of 1–4 lines, `{ id, tags: [..], pos: { x, y } }`, and Maps of two
 * entries; with `--long`, rows of 400 numbers (built `new Array(400)` then filled), of 400 strings, and of 400
 * records `{ x, y }` (a fortieth as many items, and per element figures). `--clone` posts every chunk as it is
 * (structured clone), for comparison. Prints the median ms of `--rounds` per shape and side. `--dist` measures
 * another build (an older checkout's dist/, built) for an A/B in turns. Needs `npm run build`. Prints only; writes
 * nothing.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { flagReader } from './lib/args.mjs';

const opt = flagReader(process.argv.slice(2));
const n = Number(opt('n', '600000'));
const chunk = Number(opt('chunk', '20000'));
const rounds = Number(opt('rounds', '7'));
const distArg = opt('dist', '');
const long = process.argv.includes('--long');
const clone = process.argv.includes('--clone');
const dist = distArg ? pathToFileURL(`${resolve(distArg)}/`) : new URL('../dist/', import.meta.url);
const { packValues, payloadReader } = await import(new URL('src/transport/pack.js', dist).href);

const tag = (/** @type {number} */ i) => ((i * 2654435761) >>> 0).toString(36);
/** @type {Record<string, (i: number) => unknown>} */
const SHAPES = long
  ? {
      rowNumbers: (i) => {
        const row = new Array(400);
        for (let j = 0; j < 400; j++) row[j] = (i + j) & 255;
        return row;
      },
      rowStrings: (i) => Array.from({ length: 400 }, (_, j) => `w${tag(i + j).slice(0, 5)}`),
      rowRecords: (i) => Array.from({ length: 400 }, (_, j) => ({ x: i, y: j })),
    }
  : {
      order: (i) => ({ id: i * 1.5, lines: Array.from({ length: 1 + (i % 4) }, (_, k) => ({ sku: `s${tag(i + k)}`, qty: k + 1 })) }),
      nested: (i) => ({ id: i * 1.5, tags: [`t${tag(i)}`, 'x'], pos: { x: i & 255, y: 1 } }),
      mapItem: (i) => new Map([['id', i * 1.5], ['x', i & 255]]),
    };
/** Elements per item (long rows), for per-element figures. */
const per = long ? 400 : 1;
const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
const { port1, port2 } = new MessageChannel();

const count = long ? Math.round(n / 40) : n;
const size = long ? Math.max(1, Math.round(chunk / 40)) : chunk;
console.log(
  `pack-records: ${count.toLocaleString('en-US')} items per shape in chunks of ${size.toLocaleString('en-US')}, medians of ${rounds}; node ${process.version}` +
    `${distArg ? `; dist ${distArg}` : ''}${clone ? '; every chunk structured-cloned' : ''}`,
);
for (const [name, make] of Object.entries(SHAPES)) {
  const items = Array.from({ length: count }, (_, i) => make(i));
  /** @type {number[]} */
  const pack = [];
  /** @type {number[]} */
  const read = [];
  for (let r = 0; r < rounds; r++) {
    /** @type {unknown[]} */
    const arrived = [];
    let t = performance.now();
    for (let f = 0; f < count; f += size) {
      const values = items.slice(f, Math.min(count, f + size));
      // A chunk that does not pack goes as it is (structured clone), as a map sends it.
      const packed = clone ? null : packValues(values);
      if (packed === null) port1.postMessage(values);
      else port1.postMessage(packed.payload, packed.transfer);
      arrived.push(receiveMessageOnPort(port2).message);
    }
    pack.push(performance.now() - t);
    let check = 0;
    t = performance.now();
    for (const payload of arrived) {
      const reader = payloadReader(payload);
      for (let k = 0; k < reader.length; k++) check += reader.at(k) === undefined ? 0 : 1;
    }
    read.push(performance.now() - t);
    if (check !== count) throw new Error(`${name}: read ${check} items of ${count}`);
  }
  const ns = (/** @type {number} */ ms) => (long ? ` (${((ms * 1e6) / (count * per)).toFixed(0)} ns per element)` : '');
  console.log(`  ${name.padEnd(10)} pack + post ${median(pack).toFixed(0).padStart(5)} ms${ns(median(pack))}   read every item ${median(read).toFixed(0).padStart(5)} ms${ns(median(read))}`);
}
port1.close();
port2.close();
