/**
 * Task shapes for bench/call-paths.mjs: CPU-bound functions of one number (~10 µs each here), written the ways
 * users write hot loops, because V8 compiles each differently when it inlines it into a caller. `mixUint` is the
 * demo's score (unsigned 32-bit mixing, `>>> 0`), which ran 2x slower inlined into the CLI's block loop and into
 * fused stages; `mixInt` is bench/workloads.mjs's spin (signed, `| 0`), which did not.
 */

// The demo's task itself (the bench builds dist/ first), and its rounds for the loops below.
import { ROUNDS } from '../dist/src/demo/task.js';

/** Unsigned 32-bit mixing: the demo's score. */
export { score as mixUint } from '../dist/src/demo/task.js';

/** Signed 32-bit mixing (bench/workloads.mjs's spin). @param {number} seed */
export function mixInt(seed) {
  let h = (seed ^ 0x9e3779b9) | 0;
  for (let i = 0; i < 2 * ROUNDS; i++) {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = (Math.imul(h ^ (h >>> 13), 0xc2b2ae35) + i) | 0;
  }
  return (h ^ (h >>> 16)) >>> 0;
}

/** Floating point: a damped oscillator stepped in doubles. @param {number} seed */
export function floatSteps(seed) {
  let x = (seed % 97) / 97;
  let v = 0;
  for (let i = 0; i < ROUNDS / 2; i++) {
    const a = -x * 0.9 - v * 0.01 + Math.sin(i * 0.001);
    v += a * 0.01;
    x += v * 0.01;
  }
  return Math.round(x * 1e9);
}

/** Strings: a text built from the seed, hashed character by character (FNV-1a), over an array of words. @param {number} seed */
export function textHash(seed) {
  const words = [];
  for (let i = 0; i < 40; i++) words.push(`w${(seed + i * 7919) % 1000}`);
  const text = words.join(' ');
  let h = 0x811c9dc5;
  for (let r = 0; r < 12; r++) {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  }
  return h >>> 0;
}

/** The identity: the second stage of the fused-stage paths. @param {unknown} x */
export const identity = (x) => x;
