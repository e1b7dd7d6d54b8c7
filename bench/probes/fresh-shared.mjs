#!/usr/bin/env node
/**
 * `node bench/probes/fresh-shared.mjs [--n 1500000] [--rounds 5]`: what a numeric map's input snapshot costs
 * (src/transport/shared-input.ts copies an array of numbers into a shared Float64Array before the run): the copy
 * into fresh shared memory, whose pages are touched for the first time, against the same copy into memory touched
 * before (what the runtime's shelf of spare buffers lends later maps). Medians in ms.
 */
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/measure.mjs';

const opt = flagReader(process.argv.slice(2));
const n = Number(opt('n', '1500000'));
const rounds = Number(opt('rounds', '5'));
const items = Array.from({ length: n }, (_, i) => 291_504_128 + i);
/** @param {Float64Array} out */
const copy = (out) => {
  for (let i = 0; i < n; i++) {
    const v = items[i];
    if (typeof v !== 'number') return;
    out[i] = v;
  }
};
const fresh = [];
const reused = [];
for (let r = 0; r < rounds; r++) {
  const out = new Float64Array(new SharedArrayBuffer(n * 8));
  let t0 = performance.now();
  copy(out);
  fresh.push(performance.now() - t0);
  t0 = performance.now();
  copy(out);
  reused.push(performance.now() - t0);
}
process.stdout.write(`${n} numbers (${((n * 8) / 2 ** 20).toFixed(1)} MiB): into fresh shared memory ${median(fresh).toFixed(1)} ms, into reused memory ${median(reused).toFixed(1)} ms (medians of ${rounds})\n`);
