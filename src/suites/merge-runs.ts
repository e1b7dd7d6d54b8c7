/**
 * One suite file run several times, each run in a fresh worker: the records of the runs folded into one record.
 *
 * Why runs: a machine drifts between runs (frequency, other processes, memory layout, JIT decisions), and the
 * samples of one run cannot see that drift, so a test on within-run samples calls an unchanged build "slower". The
 * run is the unit: each task keeps the 1st percentile, the median and the mean latency of every run (`runLows`,
 * `runMedians`, `runMeans`), and a baseline comparison tests the near-best of the run lows (compare.ts).
 *
 * The folded statistics: mean, variance (within-run plus between-run spread, i.e. over all samples), count, min and
 * max are exact over all samples of all runs; the percentiles, `mad` and `aad` are the medians of the runs' values
 * (a typical run's). The stored samples are the runs' stored samples merged and capped again to `maxSamples`.
 */
import { capSamples } from './collect.ts';
import type { SampleStatistics, SuiteRecord, TaskRecord } from './types.ts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Statistics over all samples of several runs, from each run's statistics. */
export function poolStatistics(runs: SampleStatistics[]): SampleStatistics {
  const first = runs[0] as SampleStatistics;
  if (runs.length === 1) return first;
  const count = runs.reduce((n, r) => n + r.samplesCount, 0);
  const mean = runs.reduce((s, r) => s + r.mean * r.samplesCount, 0) / count;
  // Sum of squares around the pooled mean: each run's own (n − 1)·s² plus n·(its mean − the pooled mean)².
  const squares = runs.reduce((s, r) => s + (r.samplesCount - 1) * r.variance + r.samplesCount * (r.mean - mean) ** 2, 0);
  const variance = count > 1 ? squares / (count - 1) : 0;
  const sd = Math.sqrt(variance);
  const sem = sd / Math.sqrt(count);
  const critical = first.critical;
  const moe = sem * critical;
  return {
    mean,
    variance,
    sd,
    sem,
    moe,
    rme: mean > 0 ? (moe / mean) * 100 : null,
    min: Math.min(...runs.map((r) => r.min)),
    max: Math.max(...runs.map((r) => r.max)),
    p50: median(runs.map((r) => r.p50)),
    p75: median(runs.map((r) => r.p75)),
    p99: median(runs.map((r) => r.p99)),
    p995: median(runs.map((r) => r.p995)),
    p999: median(runs.map((r) => r.p999)),
    mad: median(runs.map((r) => r.mad)),
    aad: median(runs.map((r) => r.aad)),
    samplesCount: count,
    df: count - 1,
    critical,
  };
}

function mergeTask(runs: TaskRecord[], maxSamples: number | null): TaskRecord {
  const failed = runs.find((r) => r.latency === null || r.state === 'errored');
  if (failed) return { ...failed, runMeans: null, runMedians: null, runLows: null };
  const latency = poolStatistics(runs.map((r) => r.latency as SampleStatistics));
  const throughputs = runs.map((r) => r.throughput).filter((t): t is SampleStatistics => t !== null);
  const kept = runs.every((r) => r.samples !== null);
  const samples = kept ? Array.from(capSamples(runs.flatMap((r) => r.samples as number[]).sort((a, b) => a - b), maxSamples)) : null;
  const totalTime = runs.every((r) => r.totalTime !== null) ? runs.reduce((s, r) => s + (r.totalTime as number), 0) : null;
  const first = runs[0] as TaskRecord;
  return {
    name: first.name,
    state: first.state,
    error: null,
    latency,
    throughput: throughputs.length === runs.length ? poolStatistics(throughputs) : null,
    period: totalTime === null ? null : totalTime / latency.samplesCount,
    totalTime,
    samples,
    samplesCapped: samples !== null && samples.length < latency.samplesCount,
    runMeans: runs.map((r) => (r.latency as SampleStatistics).mean),
    runMedians: runs.map((r) => (r.latency as SampleStatistics).p50),
    runLows: runs.every((r) => r.runLows !== null) ? runs.flatMap((r) => r.runLows as number[]) : null,
    warning: runs.find((r) => r.warning !== null)?.warning ?? null,
  };
}

/**
 * Fold the records of one suite's runs (in run order) into one. A run that failed makes the suite failed, with
 * that run's error; a task is matched by name across runs, and one missing from a run is taken from the runs that
 * have it.
 */
export function mergeSuiteRuns(runs: SuiteRecord[], maxSamples: number | null): SuiteRecord {
  const first = runs[0];
  if (!first) throw new RangeError('mergeSuiteRuns needs at least one run');
  const failed = runs.find((r) => r.status === 'failed');
  const durationMs = runs.reduce((s, r) => s + r.durationMs, 0);
  if (failed) return { ...failed, durationMs };
  const names = [...new Set(runs.flatMap((r) => r.tasks.map((t) => t.name)))];
  const tasks = names.map((name) =>
    mergeTask(
      runs.flatMap((r) => r.tasks.filter((t) => t.name === name)),
      maxSamples,
    ),
  );
  return { ...first, durationMs, tasks };
}
