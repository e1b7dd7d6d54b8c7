/**
 * The test of a baseline comparison: two small sets of per-run values (logarithms of each run's fast latency, one
 * value per isolated run), compared by a **low quantile across runs** — the near-best run of each side — with a
 * permutation test for significance and a bootstrap interval for the change.
 *
 * Why a low quantile and not the typical run: on a shared machine a whole run can be slower than its neighbours —
 * every call of it, the fastest included — by a large factor (measured here: allocation-heavy tasks whose runs are
 * either ~180 µs or ~300 µs per call, with nothing in between, while an integer loop never moved; other processes
 * compete for caches and memory, and such spells last from tens of milliseconds to seconds). Interference only ever
 * adds time, so the runs that escaped it are the faithful ones (the minimum-estimator argument of J. Chen and
 * J. Revels, "Robust benchmarking in noisy environments", 2016). Whether 3 or 7 of 10 runs happened to be slowed
 * differs from one recording to the next, which moves the median run (and a rank test on all runs) by the whole
 * gap; the near-best run stays where the code is. The 10th percentile of the runs (with 10 runs: 90 % of the way
 * from the best to the second-best run) needs only two good runs a side and is not set by one lucky run alone.
 *
 * Why a permutation test: the order statistics of two sides have no textbook null distribution, but when nothing
 * changed the runs are exchangeable, so relabelling them gives the distribution of the statistic exactly: p is the
 * share of relabellings with a change at least as large (two-sided). Small sets are enumerated; beyond
 * {@link EXACT_SPLITS} relabellings, {@link PERMUTATIONS} seeded random ones are drawn (p ≥ 1/(R + 1)). The interval is
 * a percentile bootstrap of the same statistic ({@link BOOTSTRAPS} seeded resamples of each side). Everything is
 * seeded, so the same documents always give the same verdict.
 */
import { checkTwoSets } from './statistics.ts';

/** The outcome of {@link lowShift}: the second set (current) against the first (baseline). */
export interface LowShiftResult {
  /** The change of the low quantile: `quantile(y) − quantile(x)`. */
  shift: number;
  /** Two-sided permutation p-value of {@link shift}. */
  p: number;
  /** Percentile bootstrap interval of {@link shift}; null when the sets are too small for any p below 1 − confidence. */
  interval: [number, number] | null;
  /** True when p comes from every relabelling, false when from {@link PERMUTATIONS} random ones. */
  exact: boolean;
}

/** The quantile across runs compared by {@link lowShift}: the 10th percentile (linear interpolation). */
export const LOW_QUANTILE = 0.1;
/** Up to this many relabellings, p is computed from all of them. */
export const EXACT_SPLITS = 5000;
/** Random relabellings beyond {@link EXACT_SPLITS}. */
export const PERMUTATIONS = 999;
/** Bootstrap resamples for the interval. */
export const BOOTSTRAPS = 999;

/** The `q` quantile of ascending `sorted` (linear interpolation between order statistics, R's type 7). */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(sorted.length - 1, lo + 1)] as number;
  return a + (h - lo) * (b - a);
}

/** Scratch space of {@link low}: the smallest values seen, ascending. */
let smallest = new Float64Array(8);

/**
 * {@link LOW_QUANTILE} of unsorted `values`, without sorting them: the quantile interpolates between two order
 * statistics near the bottom, so keeping the few smallest values (insertion into a short sorted list) is enough, and
 * the permutation test calls this thousands of times.
 */
function low(values: ArrayLike<number>): number {
  const count = values.length;
  const h = (count - 1) * LOW_QUANTILE;
  const lo = Math.floor(h);
  const need = Math.min(count, lo + 2);
  if (smallest.length < need) smallest = new Float64Array(need * 2);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (kept === need && v >= (smallest[need - 1] as number)) continue;
    let j = kept < need ? kept++ : need - 1;
    while (j > 0 && (smallest[j - 1] as number) > v) {
      smallest[j] = smallest[j - 1] as number;
      j--;
    }
    smallest[j] = v;
  }
  const a = smallest[lo] as number;
  const b = smallest[Math.min(count - 1, lo + 1)] as number;
  return a + (h - lo) * (b - a);
}

/** A seeded xorshift32 generator in [0, 1). */
function generator(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/**
 * Compare `y` (current) with `x` (baseline) on their 10th percentiles: the change, its permutation p-value and its
 * bootstrap interval.
 *
 * @param x The baseline values (e.g. logarithms of run latencies); at least 1 finite value.
 * @param y The current values; at least 1 finite value.
 * @param confidence Confidence level of the interval; significance is p < 1 − confidence. Default 0.95.
 * @throws {RangeError} for an empty set, a value that is not finite, or a confidence outside (0, 1).
 */
export function lowShift(x: readonly number[], y: readonly number[], confidence = 0.95): LowShiftResult {
  checkTwoSets('lowShift', x, y, confidence);
  const n = x.length;
  const m = y.length;
  const shift = low(y) - low(x);
  // A relabelling counts when its change is at least as large; the tolerance keeps exact ties on the inclusive side.
  const limit = Math.abs(shift) * (1 - 1e-12);
  const pooled = Float64Array.from([...x, ...y]);
  const splits = binomial(n + m, n);
  const exact = splits <= EXACT_SPLITS;
  let p: number;
  if (exact) {
    // Every choice of n of the pooled values as the baseline side: the index combinations in lexicographic order.
    let extreme = 0;
    const a = new Float64Array(n);
    const b = new Float64Array(m);
    const chosen = Array.from({ length: n }, (_, i) => i);
    for (;;) {
      let i = 0;
      let j = 0;
      for (let k = 0; k < n + m; k++) {
        if (i < n && chosen[i] === k) a[i++] = pooled[k] as number;
        else b[j++] = pooled[k] as number;
      }
      if (Math.abs(low(b) - low(a)) >= limit) extreme++;
      // The next combination: bump the rightmost index that can move, reset the ones after it.
      let r = n - 1;
      while (r >= 0 && (chosen[r] as number) === m + r) r--;
      if (r < 0) break;
      chosen[r] = (chosen[r] as number) + 1;
      for (let k = r + 1; k < n; k++) chosen[k] = (chosen[k - 1] as number) + 1;
    }
    p = extreme / splits;
  } else {
    const random = generator(0x5eed1234);
    let extreme = 1; // the observed labelling itself
    for (let k = 0; k < PERMUTATIONS; k++) {
      for (let i = pooled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = pooled[i] as number;
        pooled[i] = pooled[j] as number;
        pooled[j] = t;
      }
      if (Math.abs(low(pooled.subarray(n)) - low(pooled.subarray(0, n))) >= limit) extreme++;
    }
    p = extreme / (PERMUTATIONS + 1);
  }

  // The smallest p any labelling could give: both most extreme labellings (two-sided), or one random draw's worth.
  const smallest = exact ? 2 / splits : 1 / (PERMUTATIONS + 1);
  const alpha = 1 - confidence;
  let interval: [number, number] | null = null;
  if (smallest < alpha) {
    const random = generator(0xb0075eed);
    const changes = new Float64Array(BOOTSTRAPS);
    const rx = new Float64Array(n);
    const ry = new Float64Array(m);
    for (let k = 0; k < BOOTSTRAPS; k++) {
      for (let i = 0; i < n; i++) rx[i] = x[Math.floor(random() * n)] as number;
      for (let i = 0; i < m; i++) ry[i] = y[Math.floor(random() * m)] as number;
      changes[k] = low(ry) - low(rx);
    }
    changes.sort();
    interval = [sortedQuantile(changes, alpha / 2), sortedQuantile(changes, 1 - alpha / 2)];
  }
  return { shift, p: Math.min(1, p), interval, exact };
}
