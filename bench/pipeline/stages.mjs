// Stage functions of the pipeline benchmark (loaded by the workers, and by the main thread for the baselines).
// Costs are in microseconds of an integer-hash loop; BT_BENCH_ITERS_PER_US (set by the driver after calibrating
// on the main thread) says how many loop steps make one microsecond.
const K = Number(process.env.BT_BENCH_ITERS_PER_US ?? 150);

/** About `us` microseconds of integer mixing, seeded. */
export function spin(seed, us) {
  let h = seed | 0;
  const n = Math.round(us * K);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ (h >>> 13) ^ i, 0x5bd1e995);
  return h >>> 0;
}

/** ~3 µs: an item number to a hash. */
export const parse = (n) => spin(n, 3);
/** ~5 µs: a hash to a score in [0, 1). */
export const score = (h) => spin(h, 5) / 4294967296;
/** ~2 µs: keeps about half of the scores. */
export const keep = (s) => spin(Math.floor(s * 1e9), 2) % 2 === 0;
/** The three by hand in one task: the score, or -1 for a dropped item. */
export function fused(n) {
  const s = score(parse(n));
  return keep(s) ? s : -1;
}

/**
 * The CPU part of the files benchmark: word frequencies of a text, then several hash passes over it; returns the
 * text upper-cased with a header of the ten most frequent words and the checksum (so the output is as big as the input).
 */
export function transformText({ path, text }) {
  const counts = new Map();
  for (const word of text.split(/\s+/)) if (word) counts.set(word, (counts.get(word) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
  let h = 0;
  for (let pass = 0; pass < 8; pass++) for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i) ^ pass, 0x5bd1e995);
  const header = `${top.map(([w, c]) => `${w}:${c}`).join(' ')} #${(h >>> 0).toString(16)}\n`;
  return { path, out: header + text.toUpperCase() };
}

/** A graph node of the graph benchmark: busy for `ms` milliseconds. */
export function busy({ ms }) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n > 0 ? ms : 0;
}
