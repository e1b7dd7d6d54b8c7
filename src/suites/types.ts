/**
 * The result document of a suite run: what `runSuites` returns and `--json` writes. Every field is always present
 * (absent values are `null`), so a document read back from disk has exactly the shape it was written with.
 */

/** Marks a JSON document as a batchtools bench result. */
export const RESULT_FORMAT = 'batchtools-bench';

/**
 * The version of the document's schema. It changes only when a field changes meaning or is removed; readers
 * refuse other versions with a clear error.
 */
export const SCHEMA_VERSION = 2;

/** An error as stored in a document: plain strings, no class. */
export interface ErrorInfo {
  /** The error's class name (`TypeError`, `SuiteError`...). */
  name: string;
  message: string;
  /** Its stable code when it has one (`BT_SUITE_CRASHED`, `ERR_MODULE_NOT_FOUND`), else null. */
  code: string | null;
  stack: string | null;
}

/**
 * tinybench statistics of one task, without the samples (they are in {@link TaskRecord.samples}). Computed by
 * tinybench from all samples, even when the stored samples are capped.
 */
export interface SampleStatistics {
  mean: number;
  /** Sample variance (n − 1 denominator). */
  variance: number;
  sd: number;
  /** Standard error of the mean. */
  sem: number;
  /** Half-width of the 95% confidence interval of the mean. */
  moe: number;
  /** Relative margin of error, percent of the mean; null when the mean is 0 (tinybench's Infinity). */
  rme: number | null;
  min: number;
  max: number;
  p50: number;
  p75: number;
  p99: number;
  p995: number;
  p999: number;
  /** Median absolute deviation. */
  mad: number;
  /** Mean absolute deviation. */
  aad: number;
  samplesCount: number;
  df: number;
  critical: number;
}

/** The keys of {@link SampleStatistics}, in a stable order (validation and copying). */
export const STATISTICS_KEYS = [
  'mean', 'variance', 'sd', 'sem', 'moe', 'rme', 'min', 'max', 'p50', 'p75', 'p99', 'p995', 'p999', 'mad', 'aad',
  'samplesCount', 'df', 'critical',
] as const satisfies readonly (keyof SampleStatistics)[];

/** One tinybench task's outcome. */
export interface TaskRecord {
  name: string;
  /** tinybench's state: `completed`, `aborted-with-statistics`, `errored`, `aborted`, `not-started`. */
  state: string;
  /** The task's error when it errored. */
  error: ErrorInfo | null;
  /** Latency in milliseconds per call; null when the task has no statistics. */
  latency: SampleStatistics | null;
  /** Throughput in operations per second (each sample's reciprocal); null when the task has no statistics. */
  throughput: SampleStatistics | null;
  /** Mean latency, `totalTime / runs` (ms). */
  period: number | null;
  /** Sum of the latency samples (ms). */
  totalTime: number | null;
  /**
   * Latency samples in milliseconds, ascending (tinybench sorts them). When capped, evenly spaced order statistics
   * of all samples. Null when tinybench did not retain them.
   */
  samples: number[] | null;
  /** True when {@link samples} holds fewer values than `latency.samplesCount`. */
  samplesCapped: boolean;
  /**
   * The mean latency (ms) of each isolated run of the suite, in run order. Null when the task has no statistics.
   */
  runMeans: number[] | null;
  /**
   * The median latency (ms) of each isolated run, in run order: what a baseline comparison tests when a side has
   * no {@link runLows}. Null when the task has no statistics, or in a document written before run medians were
   * recorded (then the comparison uses {@link runMeans}).
   */
  runMedians: number[] | null;
  /**
   * The fast latency (ms) of each isolated run, in run order: its 1st percentile (of all its samples, before any
   * cap; its minimum when tinybench kept no samples). What a baseline comparison tests by default (compare.ts): a
   * run's fastest calls are the ones other processes did not slow. Null when the task has no statistics, or in a
   * document written before run lows were recorded (then the comparison uses {@link runMedians}).
   */
  runLows: number[] | null;
  /** tinybench's timer-saturation warning (`zero-dominated`, `low-distinct`, `zero-mad`), or null. */
  warning: string | null;
}

/** The tinybench options a suite ran with, read from its `Bench`. */
export interface BenchOptionsUsed {
  time: number;
  iterations: number;
  warmup: boolean;
  warmupTime: number;
  warmupIterations: number;
  /** `null`, `'task'` or `'bench'`. */
  concurrency: string | null;
  /** Maximum concurrent iterations (`concurrency: 'task'`); null when unlimited. */
  threshold: number | null;
  throws: boolean;
  /** The bench's own `retainSamples`; samples are kept anyway unless a task opts out. */
  retainSamples: boolean;
  subtractTimerOverhead: boolean;
  /** Calibrated timer overhead (ms) when `subtractTimerOverhead`, else null. */
  timerOverhead: number | null;
  /** `performanceNow`, `hrtimeNow`, `custom`... */
  timestampProvider: string | null;
  /** tinybench's runtime detection (`node`) and version. */
  runtime: string | null;
  runtimeVersion: string | null;
}

/** How one suite ended. */
export type SuiteStatus = 'completed' | 'failed';

/** Where a failed suite failed. */
export type SuiteFailurePhase = 'load' | 'run' | 'crash' | 'timeout';

/** One suite file's outcome. */
export interface SuiteRecord {
  /** The file, relative to the run's directory, with `/` separators: the key matched against a baseline. */
  file: string;
  /** The `Bench`'s `name` option, or null. */
  name: string | null;
  status: SuiteStatus;
  /** For a failed suite: where it failed. */
  phase: SuiteFailurePhase | null;
  error: ErrorInfo | null;
  /** Wall time from starting the worker to its result (ms). */
  durationMs: number;
  /** The tinybench options used; null when the suite did not load. */
  options: BenchOptionsUsed | null;
  /** Every task, also errored ones; empty when the suite did not load. */
  tasks: TaskRecord[];
}

/** The machine a document was measured on. */
export interface MachineInfo {
  cpu: {
    manufacturer: string | null;
    brand: string | null;
    /** Nominal speed in GHz. */
    speedGHz: number | null;
    logicalCores: number;
    physicalCores: number | null;
  };
  memory: { totalBytes: number };
  os: {
    platform: string;
    distro: string | null;
    release: string | null;
    arch: string;
    kernel: string | null;
  };
  node: { version: string; v8: string };
}

/** How the suites were run. */
export interface RunInfo {
  /** Always `worker-per-suite`: each suite file ran in a fresh worker thread of its own. */
  isolation: 'worker-per-suite';
  /** Suites run at once. */
  parallel: number;
  /** True when suites did run at the same time, so their timings contended for the CPU. */
  contended: boolean;
  /** The cap on stored samples per task, or null (all samples). */
  maxSamples: number | null;
  /** How many times each suite ran, each time in a fresh worker (interleaved rounds: every suite once per round). */
  runs: number;
  startedAt: string;
  durationMs: number;
}

/** A whole result document. */
export interface BenchDocument {
  format: typeof RESULT_FORMAT;
  schemaVersion: typeof SCHEMA_VERSION;
  machine: MachineInfo;
  run: RunInfo;
  suites: SuiteRecord[];
}
