/**
 * The statistics of a baseline comparison, implemented here (Node 20 has no t-test): Student's t and the normal
 * distribution functions, and Welch's unequal-variances t-test.
 *
 * Formulas:
 * - ln Γ(x): Lanczos approximation, g = 7, 9 coefficients (Press et al., Numerical Recipes 3rd ed. §6.1; the
 *   coefficients of Godfrey's set, relative error < 1e-15).
 * - Regularized incomplete beta I_x(a, b): its continued fraction evaluated with the modified Lentz method
 *   (Numerical Recipes §6.4 `betacf`; Abramowitz & Stegun 26.5.8), using the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)
 *   where the fraction converges slowly.
 * - Student's t with ν degrees of freedom: P(|T| > t) = I_{ν/(ν+t²)}(ν/2, 1/2) (A&S 26.7.1 with 26.5.27).
 * - Normal CDF Φ(x) = 1/2 + φ(x)·(x + x³/3 + x⁵/(3·5) + …) (G. Marsaglia, "Evaluating the Normal Distribution",
 *   J. Statistical Software 11(4), 2004), absolute error about 1e-15; beyond |x| = 5 the tail is Laplace's continued
 *   fraction of Mills' ratio, 1 − Φ(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))) (A&S 26.2.14), for relative accuracy.
 *   Used for ν > 1e6, where t and normal agree to better than 1e-6.
 * - Welch's test (B. L. Welch, Biometrika 34, 1947): t = (m₂ − m₁)/√(s₁²/n₁ + s₂²/n₂), with the
 *   Welch–Satterthwaite degrees of freedom ν = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)).
 */

/** Mean, sample variance (n − 1 denominator) and size of one sample set: all Welch's test needs. */
export interface SampleSummary {
  mean: number;
  variance: number;
  count: number;
}

/** The outcome of {@link welchTest}: the second set compared with the first. */
export interface WelchResult {
  /** `b.mean − a.mean`. */
  difference: number;
  /** Standard error of the difference. */
  standardError: number;
  /** The t statistic, `difference / standardError` (±Infinity when both variances are 0 and the means differ). */
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** The two-sided confidence interval of `difference` at `confidence`. */
  interval: [number, number];
  /** The confidence level of {@link interval}. */
  confidence: number;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const TINY = 1e-300;
const EPSILON = 1e-15;
const MAX_ITERATIONS = 100_000;

/** Continued fraction of the incomplete beta function, modified Lentz (Numerical Recipes `betacf`). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPSILON) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), for 0 ≤ x ≤ 1 and a, b > 0. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Above this many degrees of freedom the normal distribution stands in for Student's t. */
const NORMAL_DF = 1e6;

/** Φ(x), the standard normal CDF (Marsaglia 2004). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < -38) return 0;
  if (x > 38) return 1;
  if (Math.abs(x) >= 5) {
    const ax = Math.abs(x);
    let fraction = ax;
    for (let k = 200; k >= 1; k--) fraction = ax + k / fraction;
    const tail = Math.exp(-0.5 * x * x - 0.9189385332046728) / fraction;
    return x < 0 ? tail : 1 - tail;
  }
  let sum = x;
  let term = x;
  const q = x * x;
  for (let i = 1, previous = Number.NaN; sum !== previous; ) {
    previous = sum;
    i += 2;
    term *= q / i;
    sum += term;
  }
  // 0.9189... = ln √(2π)
  return 0.5 + sum * Math.exp(-0.5 * q - 0.9189385332046728);
}

/** P(T ≤ t) for Student's t with `df` > 0 degrees of freedom (normal beyond 1e6). */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  if (df > NORMAL_DF) return normalCdf(t);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Two-sided p-value of a t statistic: P(|T| ≥ |t|). */
export function twoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  if (df > NORMAL_DF) return 2 * normalCdf(-Math.abs(t));
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The `probability` quantile of Student's t with `df` degrees of freedom (bisection on {@link studentTCdf}). */
export function studentTQuantile(probability: number, df: number): number {
  if (!(probability > 0 && probability < 1) || !(df > 0)) return Number.NaN;
  if (probability === 0.5) return 0;
  if (probability < 0.5) return -studentTQuantile(1 - probability, df);
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < probability && high < 1e300) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * Math.max(1, high); i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < probability) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/**
 * Welch's t-test of `b` against `a` (two-sided), with the confidence interval of `b.mean − a.mean`.
 *
 * @param a The first (baseline) set; needs `count` ≥ 2.
 * @param b The second (current) set; needs `count` ≥ 2.
 * @param confidence Confidence level of the interval. Default 0.95.
 * @throws {RangeError} when a set has fewer than 2 values or a variance is negative or not finite.
 */
export function welchTest(a: SampleSummary, b: SampleSummary, confidence = 0.95): WelchResult {
  for (const [label, s] of [['a', a], ['b', b]] as const) {
    if (!(s.count >= 2)) throw new RangeError(`welchTest: set ${label} needs at least 2 values, has ${s.count}`);
    if (!(s.variance >= 0) || !Number.isFinite(s.variance) || !Number.isFinite(s.mean)) {
      throw new RangeError(`welchTest: set ${label} has mean ${s.mean} and variance ${s.variance}`);
    }
  }
  const va = a.variance / a.count;
  const vb = b.variance / b.count;
  const se2 = va + vb;
  const difference = b.mean - a.mean;
  const standardError = Math.sqrt(se2);
  if (se2 === 0) {
    // Both sets are constant: the difference is exact.
    const t = difference === 0 ? 0 : Math.sign(difference) * Number.POSITIVE_INFINITY;
    const df = a.count + b.count - 2;
    return { difference, standardError, t, df, p: difference === 0 ? 1 : 0, interval: [difference, difference], confidence };
  }
  const t = difference / standardError;
  const df = (se2 * se2) / ((va * va) / (a.count - 1) + (vb * vb) / (b.count - 1));
  const p = Math.min(1, twoSidedP(t, df));
  const critical = studentTQuantile(1 - (1 - confidence) / 2, df);
  return {
    difference,
    standardError,
    t,
    df,
    p,
    interval: [difference - critical * standardError, difference + critical * standardError],
    confidence,
  };
}

/** Mean and sample variance of `values` (Welford's one-pass algorithm). */
export function summarize(values: ArrayLike<number>): SampleSummary {
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
  }
  return { mean, variance: values.length > 1 ? m2 / (values.length - 1) : 0, count: values.length };
}

/**
 * The arguments of a two-sample test: each set non-empty and finite, the confidence inside (0, 1).
 * @param test The test's name, for the messages.
 * @throws {RangeError} naming the test, the set and the value.
 */
export function checkTwoSets(test: string, x: readonly number[], y: readonly number[], confidence: number): void {
  for (const [label, set] of [['x', x], ['y', y]] as const) {
    if (set.length === 0) throw new RangeError(`${test}: set ${label} is empty`);
    const bad = set.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`${test}: set ${label}[${bad}] is ${set[bad]}, expected a finite number`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`${test}: confidence must be between 0 and 1, got ${confidence}`);
}
