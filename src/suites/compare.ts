/**
 * Baseline comparison: each task of a run against the same task (same suite file, same task name) of a saved
 * result. The unit is the **run**: each suite runs several times, each run in a fresh worker (runner.ts), and each
 * run gives one observation per task, its **fast latency**: the 1st percentile of its calls (`runLows`).
 *
 * Why runs and not the samples of one run: the samples of one run share that run's conditions (CPU frequency,
 * other processes, memory layout, the JIT's choices), which shift from run to run. A test on within-run samples
 * sees tens of thousands of "independent" samples, gets a tiny standard error, and calls an unchanged build
 * significantly slower (an A/A rerun here: +12.4 %, p = 0.011). With the run as the unit, the run-to-run spread is
 * the noise a change is measured against.
 *
 * Why the fast calls of a run, and the near-best run of a side (low-shift.ts): interference from other processes
 * only adds time. A call descheduled for a time slice makes a run's mean swing by tens of percent; worse, a whole
 * run can be slowed, its fastest calls included, by other processes competing for caches and memory (measured on
 * the 2-core machine: two allocation-heavy tasks whose runs were either ~1.0× or ~1.7× per call, at random, while an
 * integer loop never moved). The median run then follows how many of the 10 runs happened to be slowed, and the
 * previous rule (a Mann–Whitney test on run medians) failed 2 of 10 A/A comparisons of unchanged code. A run's 1st
 * percentile is set by the calls that escaped the first kind of noise, and the 10th percentile of a side's runs (the
 * near-best run, needing only two unslowed runs of ten) escapes the second kind; both still move by the full 20 %
 * when every call does 20 % more work. This is the minimum-estimator argument of Chen and Revels (BenchmarkTools.jl),
 * made robust to a single lucky run. The cost: a change that slows only some calls (more garbage-collection pauses,
 * a slower tail) is not what this test sees; the table shows p50 and p99 for that.
 *
 * The test is a permutation test of that change (relabelling the runs of both sides), with a bootstrap interval;
 * the change is the ratio current/baseline of the near-best run lows (computed on logarithms).
 *
 * The decision needs both: a task **fails** only when its slowdown is significant (p < 1 − confidence) *and* the
 * estimated slowdown exceeds the threshold, so a tiny drift that happens to be significant does not fail a build,
 * and a noisy estimate of a large change does not either. `npm run bench:aa` measures both error rates on this
 * machine: false alarms of unchanged code and the share of real 20 % slowdowns caught; `bench/aa-replay.mjs`
 * replays candidate rules on recorded runs (how this rule was chosen).
 *
 * Documents without run lows (written before they were recorded) are compared the same way on their run medians,
 * or else their run means; when a side has a single run, the test falls back to Welch's t-test on that run's
 * samples, with a warning that it is prone to false alarms.
 */
import { DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD } from './defaults.ts';
import { LOW_QUANTILE, lowShift, sortedQuantile } from './low-shift.ts';
import { welchTest } from './statistics.ts';
import type { BenchDocument, SampleStatistics, TaskRecord } from './types.ts';

/** Options of {@link compareResults}. */
export interface CompareOptions {
  /** A significant regression larger than this (percent of the baseline latency as compared) fails. Default 10. */
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

/** Which observations a task was compared on. */
export type ComparisonUnit =
  /** Each run's 1st percentile latency (the default). */
  | 'run-lows'
  /** Each run's median latency (documents without run lows). */
  | 'run-medians'
  /** Each run's mean latency (documents without run lows or medians). */
  | 'run-means'
  /** The samples of a single run on a side: Welch's t-test on the samples (prone to false alarms). */
  | 'samples';

/**
 * One task compared with its baseline. Latencies are in milliseconds per call; changes are in percent of the
 * baseline, positive is slower.
 */
export interface TaskComparison extends TaskRef {
  /**
   * The baseline's latency as compared: the 10th percentile of its run values (its near-best run's fast latency,
   * for the unit `run-lows`), or the mean of its samples when the unit is `samples`.
   */
  baselineLatency: number | null;
  /** This run's latency as compared, as {@link baselineLatency}. */
  currentLatency: number | null;
  /** The observations the test compared. */
  unit: ComparisonUnit | null;
  /**
   * The test: `low-permutation` for runs (a permutation test of the change of the runs' 10th percentile),
   * `welch-t` for the samples of single runs.
   */
  test: 'low-permutation' | 'welch-t' | null;
  /** Observations on the baseline side: runs, or samples (see {@link unit}). */
  baselineSamples: number | null;
  /** Observations on this run's side: runs, or samples (see {@link unit}). */
  currentSamples: number | null;
  /**
   * The estimated change in percent of the baseline: for runs, the ratio of the two sides' 10th percentiles of run
   * values, minus 1; for samples, the difference of the means.
   */
  changePercent: number | null;
  /**
   * Confidence interval of {@link changePercent} (runs: percentile bootstrap; samples: Welch); null when the sides
   * have too few runs for any change to be significant at the confidence level.
   */
  interval: [number, number] | null;
  /** Welch's t statistic (test `welch-t`), else null. */
  t: number | null;
  /** Welch–Satterthwaite degrees of freedom (test `welch-t`), else null. */
  df: number | null;
  /** Two-sided p-value of the test. */
  p: number | null;
  verdict: Verdict;
  /** A significant regression larger than the threshold: the comparison fails. */
  failing: boolean;
  /** Why the task could not be compared, for `not-comparable`. */
  reason: string | null;
}

/** The whole comparison. */
export interface Comparison {
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

export { DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD } from './defaults.ts';

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
    threshold,
    confidence,
    tasks,
    onlyInBaseline,
    onlyInCurrent,
    regressions: tasks.filter((t) => t.verdict === 'regression').length,
    improvements: tasks.filter((t) => t.verdict === 'improvement').length,
    failing: tasks.filter((t) => t.failing).length,
    warnings: [...environmentWarnings(baseline, current), ...unitWarnings(tasks, confidence)],
  };
}

function key(suite: string, task: string): string {
  return `${suite}\u0000${task}`;
}

/** The per-run values both sides have, best first: run lows, run medians, run means; null when a side has < 2 runs. */
function runValues(base: TaskRecord, cur: TaskRecord): { unit: Exclude<ComparisonUnit, 'samples'>; base: number[]; cur: number[] } | null {
  const enough = (v: number[] | null | undefined): v is number[] => (v?.length ?? 0) >= 2;
  if (enough(base.runLows) && enough(cur.runLows)) return { unit: 'run-lows', base: base.runLows, cur: cur.runLows };
  if (enough(base.runMedians) && enough(cur.runMedians)) return { unit: 'run-medians', base: base.runMedians, cur: cur.runMedians };
  if (enough(base.runMeans) && enough(cur.runMeans)) return { unit: 'run-means', base: base.runMeans, cur: cur.runMeans };
  return null;
}

function compareTask(suite: string, base: TaskRecord, cur: TaskRecord, threshold: number, confidence: number): TaskComparison {
  const a = base.latency;
  const b = cur.latency;
  if (!a) return notComparable(suite, cur, null, `no statistics in the baseline (state ${base.state})`, b);
  if (!b) return notComparable(suite, cur, a, `no statistics in this run (state ${cur.state}${cur.error ? `: ${cur.error.message}` : ''})`);
  const runs = runValues(base, cur);
  const significance = 1 - confidence;
  const decide = (change: number, p: number): { verdict: Verdict; failing: boolean } => {
    const verdict: Verdict = !(p < significance) || change === 0 ? 'unchanged' : change > 0 ? 'regression' : 'improvement';
    return { verdict, failing: verdict === 'regression' && change > threshold };
  };

  if (runs) {
    if (![...runs.base, ...runs.cur].every((v) => v > 0)) return notComparable(suite, cur, a, 'a run has a latency of 0 (timer resolution)', b);
    const r = lowShift(runs.base.map(Math.log), runs.cur.map(Math.log), confidence);
    const percent = (logRatio: number): number => Math.expm1(logRatio) * 100;
    const changePercent = percent(r.shift);
    const level = (values: number[]): number => sortedQuantile([...values].sort((x, y) => x - y), LOW_QUANTILE);
    return {
      suite,
      task: cur.name,
      baselineLatency: level(runs.base),
      currentLatency: level(runs.cur),
      unit: runs.unit,
      test: 'low-permutation',
      baselineSamples: runs.base.length,
      currentSamples: runs.cur.length,
      changePercent,
      interval: r.interval ? [percent(r.interval[0]), percent(r.interval[1])] : null,
      t: null,
      df: null,
      p: r.p,
      ...decide(changePercent, r.p),
      reason: null,
    };
  }

  if (a.samplesCount < 2 || b.samplesCount < 2) return notComparable(suite, cur, a, 'fewer than 2 samples on one side', b);
  if (!(a.mean > 0)) return notComparable(suite, cur, a, 'the baseline mean is 0', b);
  const w = welchTest({ mean: a.mean, variance: a.variance, count: a.samplesCount }, { mean: b.mean, variance: b.variance, count: b.samplesCount }, confidence);
  const percent = (x: number): number => (x / a.mean) * 100;
  const changePercent = percent(w.difference);
  return {
    suite,
    task: cur.name,
    baselineLatency: a.mean,
    currentLatency: b.mean,
    unit: 'samples',
    test: 'welch-t',
    baselineSamples: a.samplesCount,
    currentSamples: b.samplesCount,
    changePercent,
    interval: [percent(w.interval[0]), percent(w.interval[1])],
    t: w.t,
    df: w.df,
    p: w.p,
    ...decide(changePercent, w.p),
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
    baselineLatency: base?.mean ?? null,
    currentLatency: cur?.mean ?? null,
    unit: null,
    test: null,
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


function unitWarnings(tasks: TaskComparison[], confidence: number): string[] {
  const warnings: string[] = [];
  const tooFew = tasks.filter((t) => t.test === 'low-permutation' && t.interval === null);
  if (tooFew.length > 0) {
    const counts = [...new Set(tooFew.map((t) => `${t.baselineSamples} vs ${t.currentSamples}`))].join(', ');
    warnings.push(
      `${tooFew.length} task${tooFew.length === 1 ? '' : 's'} had too few runs (${counts}) for any change to be significant at ` +
        `${Math.round(confidence * 100)}% confidence: record both sides with --runs ≥ 4 (default 10)`,
    );
  }
  const within = tasks.filter((t) => t.unit === 'samples').length;
  if (within === 0) return warnings;
  return [
    ...warnings,
    `${within} task${within === 1 ? ' was' : 's were'} compared on the samples of single runs (a side has fewer than 2 runs): ` +
      'run-to-run drift is not in that test, so expect false alarms on a noisy machine; record both sides with --runs ≥ 2',
  ];
}
