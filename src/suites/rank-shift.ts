/**
 * A rank test of two small sets of per-run values: the Mann–Whitney U test, the Hodges–Lehmann estimate of the shift
 * between them and its distribution-free confidence interval (Moses). Exported by `batchtools/bench`; baseline
 * comparisons used it on run medians until they moved to the near-best run (low-shift.ts explains why).
 *
 * Why ranks: the observations are the runs of a suite (5 by default), and a run on a shared machine is sometimes
 * much slower than its neighbours (a burst of other work, a descheduled worker). One such run moves a mean and
 * inflates a variance, so a t-test both reports wild changes and loses the power to see a real one. Ranks give that
 * run one place in the order and no more weight; the Hodges–Lehmann estimate (the median of all pairwise
 * differences) is the shift the ranks agree on, and its interval is the matching inversion of the test, so "the
 * interval excludes 0" and "p < 1 − confidence" are the same statement.
 *
 * Formulas (M. Hollander, D. A. Wolfe, E. Chicken, "Nonparametric Statistical Methods", 3rd ed., §4.1–4.3):
 * - U = #{(i, j): yⱼ > xᵢ} + ½·#{(i, j): yⱼ = xᵢ}, the Mann–Whitney form of Wilcoxon's rank-sum statistic.
 * - Exact null distribution for n·m ≤ {@link EXACT_LIMIT} pairs, by the recursion over the largest observation
 *   P(n, m, u) = n/(n+m)·P(n−1, m, u−m) + m/(n+m)·P(n, m−1, u) (Mann & Whitney 1947), in probabilities, not counts,
 *   so it cannot overflow. Beyond that (or with ties), the normal approximation with the tie-corrected variance
 *   σ² = n·m/12 · ((N+1) − Σ(t³ − t)/(N(N−1))) and a continuity correction of ½.
 * - Hodges–Lehmann shift: the median of the n·m differences yⱼ − xᵢ. Interval: [D₍c+1₎, D₍nm−c₎] of the sorted
 *   differences, with c the largest count such that P(U ≤ c) ≤ (1 − confidence)/2 (exact), or
 *   c = ⌊n·m/2 − z·σ⌋ (normal). When no c exists (too few runs for that confidence) there is no interval.
 */
import { checkTwoSets, normalCdf } from './statistics.ts';

/** The outcome of {@link rankShift}: the second set (current) against the first (baseline). */
export interface RankShiftResult {
  /** The Mann–Whitney U of the second set: pairs where it is larger, ties counted half. */
  u: number;
  /** Two-sided p-value of U. */
  p: number;
  /** Hodges–Lehmann estimate of the shift `y − x`: the median of all pairwise differences. */
  shift: number;
  /** The distribution-free confidence interval of {@link shift}; null when the sets are too small for the level. */
  interval: [number, number] | null;
  /** True when p and the interval come from the exact distribution of U, false for the normal approximation. */
  exact: boolean;
}

/** Up to this many pairs (n·m) the exact distribution of U is used (without ties). */
export const EXACT_LIMIT = 2500;

/** P(U = u) for u = 0…n·m under the null hypothesis, sizes n and m (no ties). */
export function exactUDistribution(n: number, m: number): Float64Array {
  // rows[i][j] is the distribution for sizes (i, j); built for i ≤ n, j ≤ m.
  let previous: Float64Array[] = Array.from({ length: m + 1 }, () => Float64Array.of(1)); // i = 0: U = 0 surely
  for (let i = 1; i <= n; i++) {
    const current: Float64Array[] = [Float64Array.of(1)]; // j = 0
    for (let j = 1; j <= m; j++) {
      const out = new Float64Array(i * j + 1);
      // The largest of the i + j values is an x with probability i/(i+j): U is distributed as for (i − 1, j). It is
      // a y with probability j/(i+j): that y beats all i x's, so U is i plus U for (i, j − 1).
      const fromX = previous[j] as Float64Array;
      const fromY = current[j - 1] as Float64Array;
      const px = i / (i + j);
      const py = j / (i + j);
      for (let u = 0; u < fromX.length; u++) out[u] = (out[u] as number) + px * (fromX[u] as number);
      for (let u = 0; u < fromY.length; u++) out[u + i] = (out[u + i] as number) + py * (fromY[u] as number);
      current.push(out);
    }
    previous = current;
  }
  return previous[m] as Float64Array;
}

/**
 * Inverse of the standard normal CDF: P. J. Acklam's rational approximation (relative error < 1.2e-9), refined by one
 * step of Halley's method on {@link normalCdf}.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return Number.NaN;
  if (p === 0.5) return 0;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549671010243187, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const poly = (k: number[], x: number): number => k.reduce((s, v) => s * x + v, 0);
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(c, q) / (poly(d, q) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -poly(c, q) / (poly(d, q) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(a, r) * q) / (poly(b, r) * r + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

function median(sorted: ArrayLike<number>): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Mann–Whitney U test of `y` against `x` (two-sided), with the Hodges–Lehmann shift `y − x` and its interval.
 *
 * @param x The first (baseline) set; at least 1 finite value.
 * @param y The second (current) set; at least 1 finite value.
 * @param confidence Confidence level of the interval (and significance is p < 1 − confidence). Default 0.95.
 * @throws {RangeError} for an empty set, a value that is not finite, or a confidence outside (0, 1).
 */
export function rankShift(x: readonly number[], y: readonly number[], confidence = 0.95): RankShiftResult {
  checkTwoSets('rankShift', x, y, confidence);
  const n = x.length;
  const m = y.length;
  const pairs = n * m;
  const differences = new Float64Array(pairs);
  let u = 0;
  let k = 0;
  for (const xi of x) {
    for (const yj of y) {
      const d = yj - xi;
      differences[k++] = d;
      u += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    }
  }
  differences.sort();
  const shift = median(differences);
  const alpha = 1 - confidence;

  // Ties (equal values anywhere in the pooled set) need the tie-corrected normal approximation.
  const pooled = [...x, ...y].sort((a, b) => a - b);
  let tieTerm = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i + 1;
    while (j < pooled.length && pooled[j] === pooled[i]) j++;
    const t = j - i;
    tieTerm += t * t * t - t;
    i = j;
  }
  const exact = tieTerm === 0 && pairs <= EXACT_LIMIT;

  let p: number;
  let c: number; // the interval drops c differences at each end; −1 when no interval exists
  if (exact) {
    const dist = exactUDistribution(n, m);
    const cdf = new Float64Array(pairs + 1);
    let sum = 0;
    for (let v = 0; v <= pairs; v++) cdf[v] = sum += dist[v] as number;
    // U is symmetric about n·m/2: P(U ≥ u) = P(U ≤ n·m − u).
    const tail = cdf[Math.min(u, pairs - u)] as number;
    p = Math.min(1, 2 * tail);
    c = -1;
    // A relative tolerance keeps exact boundary cases (P(U ≤ c) = α/2 in exact arithmetic) on the inclusive side.
    while (c + 1 <= pairs && (cdf[c + 1] as number) <= (alpha / 2) * (1 + 1e-12)) c++;
  } else {
    const N = n + m;
    const variance = (pairs / 12) * (N + 1 - tieTerm / (N * (N - 1)));
    const sd = Math.sqrt(variance);
    const deviation = Math.abs(u - pairs / 2);
    p = sd === 0 ? (deviation === 0 ? 1 : 0) : Math.min(1, 2 * (1 - normalCdf((deviation - 0.5) / sd)));
    c = Math.floor(pairs / 2 - normalQuantile(1 - alpha / 2) * sd - 0.5);
    if (c >= pairs / 2) c = -1;
  }
  const interval: [number, number] | null =
    c >= 0 && c < pairs - 1 - c ? [differences[c] as number, differences[pairs - 1 - c] as number] : null;
  return { u, p, shift, interval, exact };
}
