#!/usr/bin/env node
/**
 * `node bench/typed-arrays.mjs [--n 600000] [--rounds 7]`: what giving each typed array a buffer of its own costs on
 * this machine, the cost src/transport/views.ts avoids by handing the receiving thread views into one buffer per
 * chunk. Per size (64, 256 and 4,096 bytes), the median ns per array of: `new Uint8Array(size)` filled from a
 * chunk's bytes (what structured clone, or a copy of its own, costs the receiving side), and a view of those bytes
 * in the chunk's buffer (what the runtime does). V8 keeps typed arrays of at most 64 bytes on its heap, so only
 * the larger ones pay for an allocation of their own.
 */
import { flagReader } from './lib/args.mjs';
import { median } from './lib/measure.mjs';

const opt = flagReader(process.argv.slice(2));
const n = Number(opt('n', '600000'));
const rounds = Number(opt('rounds', '7'));
const PER_CHUNK = 2000;

/** ns per array of `fn` over n arrays, median of the rounds. @param {(k: number) => Uint8Array} fn */
function nsPer(fn) {
  const times = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += fn(i % PER_CHUNK)[0] ?? 0;
    times.push(performance.now() - t0);
  }
  if (sink < 0) console.log(sink);
  return (median(times) / n) * 1e6;
}

console.log(`${n.toLocaleString('en-US')} arrays per round, medians of ${rounds} rounds; Node ${process.version}`);
console.log('| bytes | a buffer of its own, ns | a view into the chunk, ns | ratio |');
console.log('|---:|---:|---:|---:|');
for (const size of [64, 256, 4096]) {
  const chunk = new Uint8Array(size * PER_CHUNK).map((_, i) => i & 255);
  const own = nsPer((k) => {
    const a = new Uint8Array(size);
    a.set(chunk.subarray(k * size, k * size + size));
    return a;
  });
  const view = nsPer((k) => new Uint8Array(chunk.buffer, k * size, size));
  console.log(`| ${size} | ${own.toFixed(0)} | ${view.toFixed(0)} | ${(own / view).toFixed(1)}× |`);
}
