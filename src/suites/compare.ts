/**
 * Baseline comparison: each task of a run against the same task (same suite file, same task name) of a saved
 * result, with Welch's t-test on the latency samples.
 *
 * Why Welch's t-test rather than Mann–Whitney U:
 * - The question a regression gate asks is "did the mean time per call change, and by how much?". Welch tests
 *   exactly that and gives a confidence interval of the change in the same units, which the report prints.
 *   Mann–Whitney tests whether one distribution tends to be larger (stochastic dominance); a shift estimate with a
 *   CI (Hodges–Lehmann) needs every pairwise difference, O(n·m) for the 10⁴–10⁶ samples a tinybench task takes.
 * - It needs only each side's mean, variance and count, which tinybench computes from *all* samples. So the test is
 *   exact even when the stored samples are capped (`maxSamples`) or were not retained; Mann–Whitney on capped
 *   samples would test a thinned set.
 * - Welch does not assume equal variances (a slower build is usually noisier too), and with tinybench's sample
 *   counts (≥ 64 by default) the mean is close to normal by the central limit theorem even though latency is
 *   right-skewed; outliers inflate the variance, which makes the test more conservative, not less.
 * - The same choice as bench-node (`ttest`), hyperfine's `welch_ttest.py` and Bencher's `t_test` thresholds.
 * Caveat: samples of one run are not fully independent (JIT tiers, GC), so p-values are optimistic; the threshold
 * (a regression must also be larger than it to fail) keeps tiny-but-"significant" changes from failing a build.
 */
import { welchTest } from './statistics.ts';
import type { BenchDocument, SampleStatistics, TaskRecord } from './types.ts';

/** Options of {@link compareResults}. */
export interface CompareOptions {
  /** A significant regression larger than this (percent of the baseline mean latency) fails. Default 10. */
  threshold?: number | undefined;
  /** Confidence level of the test and of the intervals; significance is p < 1 − confidence. Default 0.95. */
  confidence?: number | undefined;
}

/** How a task compares with its baseline. */
export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'not-comparable';

/** A task named by its suite file and task name. */
export interface TaskRef {
  suite: string;
  task: string;
}

/** One task compared with its baseline. Latency means are in milliseconds; changes in percent of the baseline. */
export interface TaskComparison extends TaskRef {
  baselineMean: number | null;
  currentMean: number | null;
  baselineSamples: number | null;
  currentSamples: number | null;
  /** Change of the mean latency in percent of the baseline mean: positive is slower. */
  changePercent: number | null;
  /** Confidence interval of {@link changePercent}. */
  interval: [number, number] | null;
  t: number | null;
  df: number | null;
  p: number | null;
  verdict: Verdict;
  /** A significant regression larger than the threshold: the comparison fails. */
  failing: boolean;
  /** Why the task could not be compared, for `not-comparable`. */
  reason: string | null;
}

/** The whole comparison. */
export interface Comparison {
  test: 'welch-t';
  threshold: number;
  confidence: number;
  tasks: TaskComparison[];
  /** Tasks of the baseline that this run does not have (listed, never failing). */
  onlyInBaseline: TaskRef[];
  /** Tasks of this run that the baseline does not have (listed, never failing). */
  onlyInCurrent: TaskRef[];
  regressions: number;
  improvements: number;
  /** Regressions larger than the threshold. */
  failing: number;
  /** Differences between the two runs' machines or modes that make the comparison weaker. */
  warnings: string[];
}

/** Default of {@link CompareOptions.threshold}. */
export const DEFAULT_THRESHOLD = 10;
/** Default of {@link CompareOptions.confidence}. */
export const DEFAULT_CONFIDENCE = 0.95;

/**
 * Compare `current` with `baseline`, task by task.
 *
 * @throws {RangeError} for a threshold that is negative or not finite, or a confidence outside (0, 1).
 */
export function compareResults(baseline: BenchDocument, current: BenchDocument, options: CompareOptions = {}): Comparison {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!(threshold >= 0) || !Number.isFinite(threshold)) throw new RangeError(`threshold must be a percentage ≥ 0, got ${threshold}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, got ${confidence}`);

  const baseSuites = new Map(baseline.suites.map((s) => [s.file, s]));
  const seen = new Set<string>();
  const tasks: TaskComparison[] = [];
  const onlyInBaseline: TaskRef[] = [];
  const onlyInCurrent: TaskRef[] = [];

  for (const suite of current.suites) {
    const baseSuite = baseSuites.get(suite.file);
    for (const task of suite.tasks) {
      const baseTask = baseSuite?.tasks.find((t) => t.name === task.name);
      if (!baseTask) {
        onlyInCurrent.push({ suite: suite.file, task: task.name });
        continue;
      }
      seen.add(key(suite.file, task.name));
      tasks.push(compareTask(suite.file, baseTask, task, threshold, confidence));
    }
  }
  const currentSuites = new Map(current.suites.map((s) => [s.file, s]));
  for (const suite of baseline.suites) {
    for (const task of suite.tasks) {
      if (seen.has(key(suite.file, task.name))) continue;
      const failedHere = currentSuites.get(suite.file);
      if (failedHere && failedHere.status === 'failed' && failedHere.tasks.length === 0) {
        tasks.push(notComparable(suite.file, task, null, `the suite failed in this run: ${failedHere.error?.message ?? 'unknown error'}`));
      } else {
        onlyInBaseline.push({ suite: suite.file, task: task.name });
      }
    }
  }
  return {
    test: 'welch-t',
    threshold,
    confidence,
    tasks,
    onlyInBaseline,
    onlyInCurrent,
    regressions: tasks.filter((t) => t.verdict === 'regression').length,
    improvements: tasks.filter((t) => t.verdict === 'improvement').length,
    failing: tasks.filter((t) => t.failing).length,
    warnings: environmentWarnings(baseline, current),
  };
}

function key(suite: string, task: string): string {
  return `${suite}\u0000${task}`;
}

function compareTask(suite: string, base: TaskRecord, cur: TaskRecord, threshold: number, confidence: number): TaskComparison {
  const a = base.latency;
  const b = cur.latency;
  if (!a) return notComparable(suite, cur, null, `no statistics in the baseline (state ${base.state})`, b);
  if (!b) return notComparable(suite, cur, a, `no statistics in this run (state ${cur.state}${cur.error ? `: ${cur.error.message}` : ''})`);
  if (a.samplesCount < 2 || b.samplesCount < 2) return notComparable(suite, cur, a, 'fewer than 2 samples on one side', b);
  if (!(a.mean > 0)) return notComparable(suite, cur, a, 'the baseline mean is 0', b);

  const w = welchTest(
    { mean: a.mean, variance: a.variance, count: a.samplesCount },
    { mean: b.mean, variance: b.variance, count: b.samplesCount },
    confidence,
  );
  const percent = (x: number): number => (x / a.mean) * 100;
  const changePercent = percent(w.difference);
  const significant = w.p < 1 - confidence;
  const verdict: Verdict = !significant || w.difference === 0 ? 'unchanged' : w.difference > 0 ? 'regression' : 'improvement';
  return {
    suite,
    task: cur.name,
    baselineMean: a.mean,
    currentMean: b.mean,
    baselineSamples: a.samplesCount,
    currentSamples: b.samplesCount,
    changePercent,
    interval: [percent(w.interval[0]), percent(w.interval[1])],
    t: w.t,
    df: w.df,
    p: w.p,
    verdict,
    failing: verdict === 'regression' && changePercent > threshold,
    reason: null,
  };
}

function notComparable(
  suite: string,
  task: TaskRecord,
  base: SampleStatistics | null,
  reason: string,
  cur: SampleStatistics | null = null,
): TaskComparison {
  return {
    suite,
    task: task.name,
    baselineMean: base?.mean ?? null,
    currentMean: cur?.mean ?? null,
    baselineSamples: base?.samplesCount ?? null,
    currentSamples: cur?.samplesCount ?? null,
    changePercent: null,
    interval: null,
    t: null,
    df: null,
    p: null,
    verdict: 'not-comparable',
    failing: false,
    reason,
  };
}

function environmentWarnings(baseline: BenchDocument, current: BenchDocument): string[] {
  const warnings: string[] = [];
  const differs = (what: string, a: unknown, b: unknown): void => {
    if (a !== b) warnings.push(`${what} differs: baseline ${String(a)}, this run ${String(b)}`);
  };
  const bm = baseline.machine;
  const cm = current.machine;
  differs('CPU', bm.cpu.brand, cm.cpu.brand);
  differs('logical cores', bm.cpu.logicalCores, cm.cpu.logicalCores);
  differs('OS', `${bm.os.platform}/${bm.os.arch}`, `${cm.os.platform}/${cm.os.arch}`);
  differs('Node.js', bm.node.version, cm.node.version);
  if (baseline.run.contended || current.run.contended) {
    const who = [baseline.run.contended ? 'the baseline' : '', current.run.contended ? 'this run' : ''].filter(Boolean);
    warnings.push(`${who.join(' and ')} ran suites in parallel: timings contended for the CPU`);
  }
  return warnings;
}

