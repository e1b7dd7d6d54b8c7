// The baseline decision rule: the permutation test of the near-best run (exact and drawn), the rank test still
// exported, and the decision on seeded synthetic runs with drift, disturbed runs and whole runs slowed, as a noisy
// machine produces them.
import { describe, expect, it } from 'vitest';
import { compareResults } from '../src/suites/compare.ts';
import { LOW_QUANTILE, lowShift, PERMUTATIONS, sortedQuantile } from '../src/suites/low-shift.ts';
import { exactUDistribution, normalQuantile, rankShift } from '../src/suites/rank-shift.ts';
import { summarize, welchTest } from '../src/suites/statistics.ts';
import { makeDocument, normalSamples } from './fixtures/suites/make-document.ts';

/** P(U = u) by enumerating every way to choose which of the n + m ranks are the x's (small sizes only). */
function bruteForceU(n: number, m: number): number[] {
  const counts = new Array<number>(n * m + 1).fill(0);
  let total = 0;
  for (let mask = 0; mask < 1 << (n + m); mask++) {
    let bits = 0;
    for (let v = mask; v; v &= v - 1) bits++;
    if (bits !== n) continue;
    // rank r (0-based, ascending) is an x when bit r is set; U counts (x, y) pairs with the y above the x.
    let u = 0;
    let xsBelow = 0;
    for (let r = 0; r < n + m; r++) {
      if (mask & (1 << r)) xsBelow++;
      else u += xsBelow;
    }
    counts[u]!++;
    total++;
  }
  return counts.map((c) => c / total);
}

describe('rank test (Mann–Whitney U, Hodges–Lehmann shift)', () => {
  it('has the exact null distribution of U', () => {
    for (const [n, m] of [[4, 4], [3, 6], [5, 5], [2, 7]] as const) {
      const exact = Array.from(exactUDistribution(n, m));
      const brute = bruteForceU(n, m);
      expect(exact).toHaveLength(brute.length);
      for (const [u, p] of exact.entries()) expect(p).toBeCloseTo(brute[u]!, 14);
    }
    // Mann & Whitney's table, n = m = 5: P(U ≤ 2) = 4/252, P(U ≤ 10) = 87/252.
    const d = exactUDistribution(5, 5);
    expect(d[0]! + d[1]! + d[2]!).toBeCloseTo(4 / 252, 14);
    expect(Array.from(d.slice(0, 11)).reduce((s, p) => s + p, 0)).toBeCloseTo(87 / 252, 14);
  });

  it('gives the exact p-value, shift and interval of a textbook case', () => {
    const separated = rankShift([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(separated).toEqual({ u: 25, p: 2 / 252, shift: 5, interval: [2, 8], exact: true });
    const overlapping = rankShift([1, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5]);
    expect(overlapping.u).toBe(15);
    expect(overlapping.p).toBeCloseTo((2 * 87) / 252, 14);
    expect(overlapping.shift).toBe(0.5);
    expect(overlapping.interval).toEqual([-2.5, 3.5]);
  });

  it('uses the tie-corrected normal approximation with ties, and for large sets', () => {
    // Ties among the pooled values (1 twice, 2 three times, 3 twice): no exact distribution applies.
    const x = [1, 1, 2, 2];
    const y = [2, 3, 3, 4];
    const r = rankShift(x, y);
    expect(r.exact).toBe(false);
    let u = 0;
    for (const a of x) for (const b of y) u += b > a ? 1 : b === a ? 0.5 : 0;
    expect(r.u).toBe(u);
    // σ² = nm/12·((N+1) − Σ(t³−t)/(N(N−1))), ties: 1×2, 2×3, 3×2 → Σ = 6 + 24 + 6 = 36.
    const sd = Math.sqrt((16 / 12) * (9 - 36 / 56));
    const z = (Math.abs(u - 8) - 0.5) / sd;
    expect(r.p).toBeCloseTo(2 * (1 - standardNormal(z)), 6);

    const big = rankShift(normalSamples(1, 80, 0, 1), normalSamples(2, 80, 0.5, 1));
    expect(big.exact).toBe(false);
    expect(big.p).toBeLessThan(0.05);
    expect(big.interval![0]).toBeGreaterThan(0);
  });

  it('p < 1 − confidence exactly when the interval excludes 0', () => {
    let significant = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const x = normalSamples(seed, 5, 0, 1);
      const y = normalSamples(seed + 5000, 6, (seed % 5) * 0.5, 1);
      const r = rankShift(x, y, 0.95);
      const excludesZero = r.interval !== null && (r.interval[0] > 0 || r.interval[1] < 0);
      expect(excludesZero).toBe(r.p < 0.05);
      if (excludesZero) significant++;
    }
    expect(significant).toBeGreaterThan(40); // the duality was exercised on both sides
  });

  it('has no interval when the sets are too small for the confidence level, and refuses bad input', () => {
    const r = rankShift([1, 2], [3, 4]);
    expect(r.interval).toBeNull();
    expect(r.p).toBeCloseTo(1 / 3, 14);
    expect(() => rankShift([], [1])).toThrow(RangeError);
    expect(() => rankShift([1, Number.NaN], [1])).toThrow(/x\[1\] is NaN/);
    expect(() => rankShift([1], [1], 1)).toThrow(RangeError);
  });

  it('normal quantile inverts the CDF', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 8);
    expect(normalQuantile(0.5)).toBe(0);
  });
});

describe('permutation test of the near-best run (lowShift)', () => {
  const low = (v: number[]): number => sortedQuantile([...v].sort((a, b) => a - b), LOW_QUANTILE);
  /** p by relabelling every way with a bitmask walk, independent of the implementation's combination walk. */
  function bruteForceP(x: number[], y: number[]): number {
    const pooled = [...x, ...y];
    const observed = Math.abs(low(y) - low(x));
    let extreme = 0;
    let total = 0;
    for (let mask = 0; mask < 1 << pooled.length; mask++) {
      const a = pooled.filter((_, k) => mask & (1 << k));
      if (a.length !== x.length) continue;
      const b = pooled.filter((_, k) => !(mask & (1 << k)));
      total++;
      if (Math.abs(low(b) - low(a)) >= observed * (1 - 1e-12)) extreme++;
    }
    return extreme / total;
  }

  it('enumerates every relabelling of small sets: p matches brute force', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const x = normalSamples(seed, 4 + (seed % 3), 0, 1);
      const y = normalSamples(seed + 100, 5, (seed % 4) * 0.6, 1);
      const r = lowShift(x, y);
      expect(r.exact).toBe(true);
      expect(r.shift).toBeCloseTo(low(y) - low(x), 14);
      expect(r.p).toBeCloseTo(bruteForceP(x, y), 14);
    }
  });

  it('gives the textbook p of fully separated sets, a change of the 10th percentile and an interval around it', () => {
    const r = lowShift([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r.p).toBeCloseTo(2 / 252, 14); // only the labelling itself and its mirror are as extreme
    expect(r.shift).toBeCloseTo(5, 14); // 10th percentiles 1.4 and 6.4
    expect(r.interval![0]).toBeGreaterThan(0);
    expect(r.interval![0]).toBeLessThanOrEqual(5);
    expect(r.interval![1]).toBeGreaterThanOrEqual(5);
    // Too few runs for 95 %: 3 vs 3 has 20 labellings, so p ≥ 2/20.
    const few = lowShift([1, 2, 3], [7, 8, 9]);
    expect(few.p).toBeCloseTo(0.1, 14);
    expect(few.interval).toBeNull();
  });

  it('draws seeded relabellings for larger sets: the same input always gives the same p', () => {
    const x = normalSamples(7, 10, 0, 0.05);
    const y = normalSamples(8, 10, 0.2, 0.05);
    const a = lowShift(x, y);
    const b = lowShift([...x], [...y]);
    expect(a.exact).toBe(false);
    expect(a).toEqual(b);
    expect(a.p).toBeCloseTo(1 / (PERMUTATIONS + 1), 14); // nothing relabelled is as extreme as a clean 20 % shift
    expect(a.interval![0]).toBeGreaterThan(0.1);
  });

  it('is calibrated: unchanged code gives p < 0.05 in about 5 % of seeded A/A pairs, never far more', () => {
    let significant = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const r = lowShift(normalSamples(seed, 10, 0, 0.05), normalSamples(seed + 1000, 10, 0, 0.05));
      if (r.p < 0.05) significant++;
    }
    expect(significant).toBeGreaterThanOrEqual(1);
    expect(significant).toBeLessThanOrEqual(10);
  });

  it('refuses bad input', () => {
    expect(() => lowShift([], [1])).toThrow(RangeError);
    expect(() => lowShift([1, Number.NaN], [1])).toThrow(/x\[1\] is NaN/);
    expect(() => lowShift([1], [1], 1)).toThrow(RangeError);
  });
});

/** Φ by the erf series, independent of the implementation under test. */
function standardNormal(z: number): number {
  let sum = 0;
  let term = z / Math.SQRT2;
  for (let k = 0; k < 200; k++) {
    sum += term / (2 * k + 1);
    term *= (-(z * z) / 2) / (k + 1);
  }
  return 0.5 + sum / Math.sqrt(Math.PI);
}

/** Uniform [0, 1) from a seed (mulberry32), for choosing disturbed runs. */
function uniforms(seed: number, count: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  });
}

describe('the decision on runs of a noisy machine (seeded synthetic runs)', () => {
  /**
   * `runs` runs of a task whose typical call takes `latency`: each run's typical call drifts (lognormal, sd `drift`
   * %), and with probability `disturbed` a run lands in a busy spell that makes it 1.5–2.5× slower, as runs sharing
   * 2 cores with other work do. Each run is 60 calls around its typical value; one call in 20 is descheduled (+5×).
   */
  function runsOf(seed: number, runs: number, latency: number, drift: number, disturbed: number): number[][] {
    const shifts = normalSamples(seed, runs, 0, drift / 100);
    const dice = uniforms(seed + 77, 2 * runs);
    return shifts.map((shift, i) => {
      const busy = dice[i]! < disturbed ? 1.5 + dice[runs + i]! : 1;
      const typical = latency * Math.exp(shift) * busy;
      const calls = normalSamples(seed * 1000 + i, 60, typical, typical * 0.03);
      const spikes = uniforms(seed * 1000 + i + 500, 60);
      return calls.map((c, k) => (spikes[k]! < 0.05 ? c * 5 : c));
    });
  }
  const doc = (runs: number[][]) => makeDocument({ 's.bench.ts': { task: runs } });
  /** The previous rule, for contrast: Welch's t-test on run means, failing when significant and above 10 %. */
  const previousRuleFails = (base: number[][], cur: number[][]): boolean => {
    const mean = (r: number[]): number => r.reduce((s, x) => s + x, 0) / r.length;
    const a = summarize(base.map(mean));
    const w = welchTest(a, summarize(cur.map(mean)));
    return w.p < 0.05 && (w.difference / a.mean) * 100 > 10;
  };

  /** Count failing comparisons among 100 seeded pairs; `latency` of the second side is 100 (A/A) or 120 (20 % slower). */
  function pairs(latency: number, disturbed: number): { caught: number; previousCaught: number } {
    let caught = 0;
    let previousCaught = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const base = runsOf(seed, 10, 100, 3, disturbed);
      const cur = runsOf(seed + 10_000 * latency, 10, latency, 3, disturbed);
      const c = compareResults(doc(base), doc(cur));
      const t = c.tasks[0]!;
      expect(t.unit).toBe('run-lows');
      expect(t.test).toBe('low-permutation');
      if (t.failing) {
        caught++;
        expect(t.verdict).toBe('regression');
        expect(t.changePercent!).toBeGreaterThan(10);
        expect(t.interval![0]).toBeGreaterThan(0);
      }
      if (previousRuleFails(base, cur)) previousCaught++;
    }
    return { caught, previousCaught };
  }

  it('a steady machine (3 % drift between runs, 1 call in 20 descheduled): ≤ 1 false alarm in 100, ≥ 99 of 100 slowdowns of 20 % caught', () => {
    expect(pairs(100, 0).caught).toBeLessThanOrEqual(1);
    expect(pairs(120, 0).caught).toBeGreaterThanOrEqual(99);
  });

  it('a busy machine (also 15 % of runs 1.5–2.5× slower): still ≤ 1 false alarm in 100, and most slowdowns caught, where a t-test on run means misses most', () => {
    expect(pairs(100, 0.15).caught).toBeLessThanOrEqual(1);
    const slow = pairs(120, 0.15);
    expect(slow.caught).toBeGreaterThanOrEqual(75); // 83 with these seeds
    expect(slow.previousCaught).toBeLessThan(50); // 30 with these seeds
  });

  it('a significant change below the threshold is reported as slower but does not fail; a speed-up never fails', () => {
    const steady = (seed: number, latency: number) => runsOf(seed, 5, latency, 0.5, 0);
    const drift = compareResults(doc(steady(1, 100)), doc(steady(2, 105))).tasks[0]!;
    expect(drift.verdict).toBe('regression');
    expect(drift.p).toBeCloseTo(2 / 252, 12);
    expect(drift.changePercent!).toBeGreaterThan(3);
    expect(drift.changePercent!).toBeLessThan(7);
    expect(drift.failing).toBe(false);
    const faster = compareResults(doc(steady(3, 100)), doc(steady(4, 75)));
    expect(faster.tasks[0]!.verdict).toBe('improvement');
    expect(faster.tasks[0]!.changePercent!).toBeGreaterThan(-28);
    expect(faster.tasks[0]!.changePercent!).toBeLessThan(-22);
    expect(faster.failing).toBe(0);
    expect(compareResults(doc(steady(5, 100)), doc(steady(6, 130)), { threshold: 40 }).failing).toBe(0);
    expect(compareResults(doc(steady(5, 100)), doc(steady(6, 130)), { threshold: 20 }).failing).toBe(1);
  });

  it('reports the near-best run of each side and the change as their ratio', () => {
    const base = [[10, 10, 10], [11, 11, 11], [12, 12, 12]];
    const cur = [[20, 20, 20], [22, 22, 22], [24, 24, 24]];
    const t = compareResults(doc(base), doc(cur)).tasks[0]!;
    expect(t.baselineLatency).toBeCloseTo(10.2, 10); // 10th percentile of the run lows 10, 11, 12
    expect(t.currentLatency).toBeCloseTo(20.4, 10);
    expect(t.changePercent).toBeCloseTo(100, 10);
    expect(t.baselineSamples).toBe(3);
  });

  it('falls back to run medians, then run means, for documents without them, and says which unit it used', () => {
    const base = doc(runsOf(1, 5, 100, 1, 0));
    const cur = doc(runsOf(2, 5, 130, 1, 0));
    for (const d of [base, cur]) for (const task of d.suites[0]!.tasks) task.runLows = null;
    expect(compareResults(base, cur).tasks[0]!.unit).toBe('run-medians');
    for (const d of [base, cur]) for (const task of d.suites[0]!.tasks) task.runMedians = null;
    const c = compareResults(base, cur);
    expect(c.tasks[0]!.unit).toBe('run-means');
    expect(c.tasks[0]!.failing).toBe(true);
  });

  it('whole runs slowed at random (1.7×, fastest calls included, 20–70 % of the runs of a recording): ≤ 1 false alarm in 50, where a rank test on run medians raises several; most 20 % slowdowns still caught', () => {
    /**
     * Runs whose every call is 1.7× slower with a probability that itself changes between recordings (20–70 %), as
     * runs competing for caches with other processes on 2 cores were.
     */
    const bimodal = (seed: number, latency: number): number[][] => {
      const dice = uniforms(seed + 31, 11);
      const busy = 0.2 + 0.5 * dice[10]!;
      return dice.slice(0, 10).map((d, i) => {
        const typical = latency * (d < busy ? 1.7 : 1);
        return normalSamples(seed * 1000 + i, 60, typical, typical * 0.02);
      });
    };
    const medianOf = (r: number[]): number => [...r].sort((a, b) => a - b)[r.length >> 1]!;
    const medianRuleFails = (base: number[][], cur: number[][]): boolean => {
      const m = rankShift(base.map((r) => Math.log(medianOf(r))), cur.map((r) => Math.log(medianOf(r))));
      return m.p < 0.05 && Math.expm1(m.shift) > 0.1;
    };
    let falseAlarms = 0;
    let previousFalseAlarms = 0;
    let caught = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const base = bimodal(seed, 100);
      const again = bimodal(seed + 5000, 100);
      if (compareResults(doc(base), doc(again)).failing > 0) falseAlarms++;
      if (medianRuleFails(base, again)) previousFalseAlarms++;
      if (compareResults(doc(base), doc(bimodal(seed + 9000, 120))).failing > 0) caught++;
    }
    expect(falseAlarms).toBeLessThanOrEqual(1);
    expect(previousFalseAlarms).toBeGreaterThanOrEqual(3); // 4 with these seeds
    expect(caught).toBeGreaterThanOrEqual(25); // 31 with these seeds
  });
});
