#!/usr/bin/env node
/**
 * `node bench/probes/array-keys.mjs [--rows 15000] [--length 400] [--rounds 5]`: what proving that plain arrays of
 * numbers have no named property costs per element, by each way JavaScript offers (`Object.keys`, which
 * src/transport/record-lists.ts uses, `Reflect.ownKeys`, `Object.getOwnPropertyNames`, a `for…in`), against copying
 * the elements into a Float64Array (a loop, and `set`): the rows of bench:shapes' `rowIn`. Medians in ms and ns
 * per element.
 */
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/measure.mjs';

const opt = flagReader(process.argv.slice(2));
const rows = Number(opt('rows', '15000'));
const length = Number(opt('length', '400'));
const rounds = Number(opt('rounds', '5'));
const data = Array.from({ length: rows }, (_, r) => Array.from({ length }, (_, j) => (r + j) & 255));
const into = new Float64Array(rows * length);

/** @type {Array<[string, () => number]>} */
const ways = [
  ['Object.keys', () => data.reduce((s, r) => s + Object.keys(r).length, 0)],
  ['Reflect.ownKeys', () => data.reduce((s, r) => s + Reflect.ownKeys(r).length, 0)],
  ['Object.getOwnPropertyNames', () => data.reduce((s, r) => s + Object.getOwnPropertyNames(r).length, 0)],
  [
    'for…in',
    () => {
      let s = 0;
      for (const r of data) for (const _ in r) s++;
      return s;
    },
  ],
  [
    'copy, a loop',
    () => {
      let o = 0;
      for (const r of data) for (let i = 0; i < r.length; i++) into[o++] = r[i];
      return o;
    },
  ],
  [
    'copy, Float64Array.set',
    () => {
      let o = 0;
      for (const r of data) {
        into.set(r, o);
        o += r.length;
      }
      return o;
    },
  ],
];
for (const [label, fn] of ways) {
  fn(); // warm
  const ts = [];
  for (let k = 0; k < rounds; k++) {
    const t = performance.now();
    if (fn() < rows * length) throw new Error(label);
    ts.push(performance.now() - t);
  }
  const ms = median(ts);
  process.stdout.write(`${label.padEnd(28)} ${ms.toFixed(1).padStart(7)} ms  ${((ms * 1e6) / (rows * length)).toFixed(1).padStart(5)} ns per element\n`);
}
