/**
 * Baseline comparison: each task of a run against the same task (same suite file, same task name) of a saved
 * result, with Welch's t-test on the **run means**: each suite runs several times, each run in a fresh worker
 * (runner.ts), and each run's mean latency is one observation.
 *
 * Why runs and not the samples of one run: the samples of one run share that run's conditions (CPU frequency,
 * other processes, memory layout, the JIT's choices), which shift from run to run. A test on within-run samples
 * sees tens of thousands of "independent" samples, gets a tiny standard error, and calls an unchanged build
 * significantly slower (an A/A rerun here: +12.4 %, p = 0.011). With the run as the unit, the run-to-run spread is
 * the noise the change is measured against (bench/aa-baseline.mjs measures the false alarms and the power).
 * When either side has fewer than 2 runs (a schema-1 baseline, `runs: 1`), the test falls back to the within-run
 * samples and the comparison warns that it is prone to false alarms.
 *
 * Why Welch's t-test: the question a regression gate asks is "did the mean time per call change, and by how
 * much?". Welch tests exactly that, gives a confidence interval of the change in the same units, and does not
 * assume equal variances (a slower build is often noisier). Run means are averages of many calls, so close to
 * normal. A regression fails the comparison only when it is significant *and* larger than the threshold, so a
 * tiny but "significant" change does not fail a build.
 */
import { summarize, welchTest } from './statistics.ts';
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
  /** What the test's observations are: each run's mean (`runs`), or the samples of one run (`samples`). */
  unit: 'runs' | 'samples' | null;
  /** Observations on the baseline side: runs, or samples (see {@link unit}). */
  baselineSamples: number | null;
  /** Observations on this run's side: runs, or samples (see {@link unit}). */
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
    warnings: [...environmentWarnings(baseline, current), ...unitWarnings(tasks)],
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

  const byRuns = (base.runMeans?.length ?? 0) >= 2 && (cur.runMeans?.length ?? 0) >= 2;
  const sa = byRuns ? summarize(base.runMeans as number[]) : { mean: a.mean, variance: a.variance, count: a.samplesCount };
  const sb = byRuns ? summarize(cur.runMeans as number[]) : { mean: b.mean, variance: b.variance, count: b.samplesCount };
  if (!(sa.mean > 0)) return notComparable(suite, cur, a, 'the baseline mean is 0', b);
  const w = welchTest(sa, sb, confidence);
  const percent = (x: number): number => (x / sa.mean) * 100;
  const changePercent = percent(w.difference);
  const significant = w.p < 1 - confidence;
  const verdict: Verdict = !significant || w.difference === 0 ? 'unchanged' : w.difference > 0 ? 'regression' : 'improvement';
  return {
    suite,
    task: cur.name,
    baselineMean: sa.mean,
    currentMean: sb.mean,
    unit: byRuns ? 'runs' : 'samples',
    baselineSamples: sa.count,
    currentSamples: sb.count,
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
    unit: null,
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


function unitWarnings(tasks: TaskComparison[]): string[] {
  const within = tasks.filter((t) => t.unit === 'samples').length;
  if (within === 0) return [];
  return [
    `${within} task${within === 1 ? ' was' : 's were'} compared on the samples of single runs (a side has fewer than 2 runs): ` +
      'run-to-run drift is not in that test, so expect false alarms on a noisy machine; record both sides with --runs ≥ 2',
  ];
}
