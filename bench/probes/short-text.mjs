#!/usr/bin/env node
/**
 * `node bench/probes/short-text.mjs [--n 1000000]`: two ways to write `--n` strings of 20 characters into bytes,
 * one byte per unit, as the records codec writes a string column (src/transport/text-sink.ts): joining them into
 * pieces of 16,384 units written natively (`latin1Write`, after the Latin-1 test), which the codec does, against a
 * JS loop of `charCodeAt` and stores per string. The mean of rounds 4 and 5, ns per string. The JS loop was tried as a
 * faster path for short strings and measured slower (83-150 ns against ~35 on the machine here).
 */
import { flagReader } from '../lib/args.mjs';

const opt = flagReader(process.argv.slice(2));
const n = Number(opt('n', '1000000'));
const tag = (/** @type {number} */ i) => ((i * 2654435761) >>> 0).toString(36);
const texts = Array.from({ length: n }, (_, i) => `rec-${tag(i)}-abcdefghij`.slice(0, 20));
const buffer = Buffer.allocUnsafeSlow(32 * n);
const bytes = new Uint8Array(32 * n);
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;
/** @type {Array<[string, () => number]>} */
const ways = [
  ['pieces, Latin-1 test, latin1Write (the codec)', () => {
    let s = '';
    let at = 0;
    for (let j = 0; j < n; j++) {
      s += texts[j];
      if (s.length >= 16384) {
        if (BEYOND_LATIN1.test(s)) return -1;
        at += buffer.latin1Write(s, at);
        s = '';
      }
    }
    return at + buffer.latin1Write(s, at);
  }],
  ['charCodeAt per unit into a Buffer', () => unitByUnit(buffer)],
  ['charCodeAt per unit into a Uint8Array', () => unitByUnit(bytes)],
];
/** @param {Uint8Array} out */
function unitByUnit(out) {
  let at = 0;
  for (let j = 0; j < n; j++) {
    const t = /** @type {string} */ (texts[j]);
    for (let i = 0; i < t.length; i++) {
      const u = t.charCodeAt(i);
      if (u > 255) return -1;
      out[at + i] = u;
    }
    at += t.length;
  }
  return at;
}
for (const [label, write] of ways) {
  const ts = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    if (write() < 0) throw new Error(label);
    ts.push(performance.now() - t);
  }
  const warm = ts.slice(3).sort((a, b) => a - b);
  process.stdout.write(`${label.padEnd(46)} ${(((warm[0] ?? 0) + (warm[1] ?? 0)) * 5e5 / n).toFixed(1)} ns per string\n`);
}
