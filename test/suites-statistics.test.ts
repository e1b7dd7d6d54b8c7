import { describe, expect, it } from 'vitest';
import { compareResults } from '../src/suites/compare.ts';
import {
  incompleteBeta,
  lnGamma,
  normalCdf,
  studentTCdf,
  studentTQuantile,
  summarize,
  twoSidedP,
  welchTest,
} from '../src/suites/statistics.ts';
import { makeDocument, normalSamples } from './fixtures/suites/make-document.ts';

/** Welch's t and Welch–Satterthwaite df straight from the textbook formulas, independent of the implementation. */
function referenceWelch(a: number[], b: number[]): { t: number; df: number } {
  const mean = (x: number[]): number => x.reduce((s, v) => s + v, 0) / x.length;
  const variance = (x: number[]): number => x.reduce((s, v) => s + (v - mean(x)) ** 2, 0) / (x.length - 1);
  const qa = variance(a) / a.length;
  const qb = variance(b) / b.length;
  return { t: (mean(b) - mean(a)) / Math.sqrt(qa + qb), df: (qa + qb) ** 2 / (qa ** 2 / (a.length - 1) + qb ** 2 / (b.length - 1)) };
}

describe('distribution functions', () => {
  it('ln Γ matches factorials and Γ(1/2) = √π', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 13);
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(lnGamma(21)).toBeCloseTo(Math.log(2432902008176640000), 11);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });

  it('the incomplete beta function matches closed forms: I_x(1,b) = 1 − (1−x)^b, I_x(a,1) = x^a', () => {
    expect(incompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 13);
    expect(incompleteBeta(0.8, 3, 1)).toBeCloseTo(0.8 ** 3, 13);
    expect(incompleteBeta(0.5, 7, 7)).toBeCloseTo(0.5, 13);
  });

  it("Student's t CDF matches the closed forms for 1 (Cauchy) and 2 degrees of freedom", () => {
    for (const t of [-30, -2.5, -0.3, 0, 0.7, 1, 4.2, 100]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it("Student's t CDF matches scipy.stats.t.cdf, also for fractional and huge df", () => {
    // Reference values: scipy 1.17.1, stats.t.cdf(t, df).
    expect(studentTCdf(1.5, 3)).toBeCloseTo(0.8847080673775886, 13);
    expect(studentTCdf(-0.7, 7.3)).toBeCloseTo(0.2528085700931292, 13);
    expect(studentTCdf(4, 25.5)).toBeCloseTo(0.999759465579456, 13);
    expect(studentTCdf(2, 1e5)).toBeCloseTo(0.9772485182712467, 10);
  });

  it('two-sided 5% critical values match the printed t table (and 1.960 for the normal)', () => {
    const table: Array<[number, number]> = [[1, 12.706], [2, 4.303], [5, 2.571], [10, 2.228], [30, 2.042], [120, 1.98], [1e7, 1.96]];
    for (const [df, critical] of table) {
      expect(studentTQuantile(0.975, df)).toBeCloseTo(critical, 3);
      expect(twoSidedP(critical, df)).toBeCloseTo(0.05, 3);
    }
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228, 3);
  });

  it('the normal CDF matches printed values, including far tails', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 15);
    expect(normalCdf(-8) / 6.22096057427174e-16).toBeCloseTo(1, 10); // relative accuracy in the tail
    expect(normalCdf(-40)).toBe(0);
  });
});

describe("Welch's t-test", () => {
  it("reproduces Wikipedia's first Welch example (t ≈ 2.46, ν ≈ 25.0, p ≈ 0.021) to scipy's precision", () => {
    const a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
    const b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
    const w = welchTest(summarize(a), summarize(b));
    const ref = referenceWelch(a, b);
    expect(w.t).toBeCloseTo(ref.t, 12);
    expect(w.df).toBeCloseTo(ref.df, 10);
    // scipy 1.17.1: stats.ttest_ind(b, a, equal_var=False) and .confidence_interval(0.95)
    expect(w.t).toBeCloseTo(2.455356398286006, 12);
    expect(w.df).toBeCloseTo(24.988529290231416, 10);
    expect(w.p).toBeCloseTo(0.021378001462866992, 12);
    expect(w.interval[0]).toBeCloseTo(0.3492370661924069, 10);
    expect(w.interval[1]).toBeCloseTo(3.984096267140929, 10);
  });

  it('handles unequal sizes and variances, and other confidence levels (scipy reference)', () => {
    const a = [1.21, 1.35, 1.18, 1.42, 1.3, 1.27, 1.55, 1.24, 1.33, 1.29];
    const b = [1.48, 1.62, 1.39, 1.71, 1.95, 1.52];
    const w = welchTest(summarize(a), summarize(b), 0.99);
    expect(w.t).toBeCloseTo(referenceWelch(a, b).t, 12);
    expect(w.t).toBeCloseTo(3.3687561263160157, 12);
    expect(w.df).toBeCloseTo(6.80345828816877, 10);
    expect(w.p).toBeCloseTo(0.012460338953417327, 12);
    expect(w.interval[0]).toBeCloseTo(-0.014618191574269856, 10);
    expect(w.interval[1]).toBeCloseTo(0.6099515249076028, 10);
  });

  it('is exact for constant sets and refuses sets of fewer than 2 values', () => {
    expect(welchTest({ mean: 1, variance: 0, count: 5 }, { mean: 1, variance: 0, count: 5 }).p).toBe(1);
    expect(welchTest({ mean: 1, variance: 0, count: 5 }, { mean: 2, variance: 0, count: 5 }).p).toBe(0);
    expect(() => welchTest({ mean: 1, variance: 0, count: 1 }, { mean: 1, variance: 1, count: 5 })).toThrow(RangeError);
  });
});

describe('baseline comparison on synthetic samples', () => {
  const base = normalSamples(1, 400, 100, 10);
  const doc = (samples: number[], extra: Record<string, number[]> = {}) => makeDocument({ 's.bench.ts': { task: samples, ...extra } });

  it('flags a 20% slowdown as a significant regression beyond the threshold, with matching t, df and CI', () => {
    const current = normalSamples(2, 400, 120, 10);
    const c = compareResults(doc(base), doc(current));
    const t = c.tasks[0]!;
    const ref = referenceWelch(base, current);
    expect(t.verdict).toBe('regression');
    expect(t.failing).toBe(true);
    expect(t.t).toBeCloseTo(ref.t, 9);
    expect(t.df).toBeCloseTo(ref.df, 6);
    expect(t.p).toBeLessThan(1e-10);
    expect(t.changePercent).toBeGreaterThan(17);
    expect(t.changePercent).toBeLessThan(23);
    expect(t.interval![0]).toBeLessThan(t.changePercent!);
    expect(t.interval![1]).toBeGreaterThan(t.changePercent!);
    expect(c.failing).toBe(1);
  });

  it('finds no significant change between two draws of the same distribution', () => {
    const c = compareResults(doc(base), doc(normalSamples(3, 400, 100, 10)));
    expect(c.tasks[0]!.verdict).toBe('unchanged');
    expect(c.tasks[0]!.p).toBeGreaterThan(0.05);
    expect(c.tasks[0]!.interval![0]).toBeLessThan(0);
    expect(c.tasks[0]!.interval![1]).toBeGreaterThan(0);
    expect(c.failing).toBe(0);
  });

  it('reports a 20% speed-up as an improvement, never failing', () => {
    const c = compareResults(doc(base), doc(normalSamples(4, 400, 80, 10)));
    expect(c.tasks[0]!.verdict).toBe('improvement');
    expect(c.tasks[0]!.changePercent).toBeLessThan(-17);
    expect(c.improvements).toBe(1);
    expect(c.failing).toBe(0);
  });

  it('a significant regression smaller than the threshold is reported but does not fail', () => {
    const big = normalSamples(5, 5000, 100, 10);
    const slower = normalSamples(6, 5000, 104, 10);
    const lenient = compareResults(doc(big), doc(slower));
    expect(lenient.tasks[0]!.verdict).toBe('regression');
    expect(lenient.tasks[0]!.failing).toBe(false);
    expect(compareResults(doc(big), doc(slower), { threshold: 2 }).tasks[0]!.failing).toBe(true);
  });

  it('lists tasks present on one side only, and does not compare errored tasks', () => {
    const current = doc(base, { added: base });
    const baseline = doc(base, { removed: base, broken: base });
    const broken = current.suites[0]!;
    broken.tasks.push({ ...broken.tasks[0]!, name: 'broken', state: 'errored', latency: null, throughput: null, error: { name: 'Error', message: 'boom', code: null, stack: null } });
    const c = compareResults(baseline, current);
    expect(c.onlyInCurrent).toEqual([{ suite: 's.bench.ts', task: 'added' }]);
    expect(c.onlyInBaseline).toEqual([{ suite: 's.bench.ts', task: 'removed' }]);
    const notCompared = c.tasks.find((t) => t.task === 'broken')!;
    expect(notCompared.verdict).toBe('not-comparable');
    expect(notCompared.reason).toContain('boom');
    expect(c.failing).toBe(0);
  });

  it('warns when the machines differ or suites ran in parallel', () => {
    const current = makeDocument({ 's.bench.ts': { task: base } }, true);
    current.machine.node.version = 'v22.0.0';
    const c = compareResults(doc(base), current);
    expect(c.warnings.join('\n')).toMatch(/Node\.js differs: baseline v20\.20\.2, this run v22\.0\.0/);
    expect(c.warnings.join('\n')).toMatch(/this run ran suites in parallel/);
  });
});

describe('baseline comparison with isolated runs as the unit', () => {
  // Each run: 300 tight samples (sd 2 %) around a run mean that drifts from run to run (sd `drift` %), as runs on
  // a noisy machine do. Within-run samples cannot see the drift; run means can.
  const runsOf = (seed: number, runs: number, mean: number, drift: number): number[][] => {
    const runMeans = normalSamples(seed, runs, mean, (mean * drift) / 100);
    return runMeans.map((m, i) => normalSamples(seed * 100 + i + 1, 300, m, m * 0.02));
  };
  const doc = (runs: number[][]) => makeDocument({ 's.bench.ts': { task: runs } });

  it('holds an A/A test: unchanged code with run-to-run drift gives no failing regression, where within-run samples cry wolf', () => {
    let failingByRuns = 0;
    let failingWithinRun = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const base = runsOf(seed, 5, 100, 4);
      const again = runsOf(seed + 1000, 5, 100, 4);
      const c = compareResults(doc(base), doc(again));
      expect(c.tasks[0]!.unit).toBe('run-lows');
      expect(c.tasks[0]!.baselineSamples).toBe(5);
      if (c.failing > 0) failingByRuns++;
      const single = compareResults(makeDocument({ 's.bench.ts': { task: base[0]! } }), makeDocument({ 's.bench.ts': { task: again[0]! } }));
      if (single.tasks[0]!.verdict === 'regression') failingWithinRun++;
    }
    expect(failingByRuns).toBeLessThanOrEqual(1);
    expect(failingWithinRun).toBeGreaterThan(10); // the old way: a "significant" change in most A/A pairs
  });

  it('still catches a real 20 % slowdown under the same drift', () => {
    let caught = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const c = compareResults(doc(runsOf(seed, 5, 100, 4)), doc(runsOf(seed + 2000, 5, 120, 4)));
      if (c.tasks[0]!.failing) caught++;
    }
    expect(caught).toBeGreaterThanOrEqual(48);
  });

  it('falls back to within-run samples, with a warning, when a side has a single run', () => {
    const c = compareResults(makeDocument({ 's.bench.ts': { task: normalSamples(1, 400, 100, 10) } }), doc(runsOf(7, 5, 100, 4)));
    expect(c.tasks[0]!.unit).toBe('samples');
    expect(c.warnings.join('\n')).toMatch(/compared on the samples of single runs .* expect false alarms/);
  });
});

