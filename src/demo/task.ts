/**
 * The built-in demo workload: a deterministic, CPU-bound score of an integer (about 10 µs per item on a
 * current x86 core), standing in for hashing, parsing or simulation work.
 */

/** Rounds of integer mixing per item. */
export const ROUNDS = 4000;

/** Score one item: mix its bits `ROUNDS` times and return a 32-bit result. */
export function score(seed: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < ROUNDS; i++) {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
