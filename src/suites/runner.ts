/**
 * `runSuites`: run tinybench suite files, each in a fresh worker of its own, one after another by default, and
 * return the self-describing result document (machine, options, every task's statistics and samples).
 */
import { relative, sep } from 'node:path';
import { checkFunction, checkNumber, checkSignal, checkString, Rules } from '../base/validate.ts';
import { InvalidInputError } from '../errors.ts';
import { DEFAULT_MAX_SAMPLES, DEFAULT_RUNS } from './defaults.ts';
import { expandFiles } from './glob.ts';
import { describeMachine } from './machine.ts';
import { mergeSuiteRuns } from './merge-runs.ts';
import { runSuiteFile, type SuiteFile } from './spawn.ts';
import { RESULT_FORMAT, SCHEMA_VERSION, type BenchDocument, type SuiteRecord } from './types.ts';

/** Options of {@link runSuites}. */
export interface RunSuitesOptions {
  /**
   * How many suites run at once, each in its own worker. Default `1`: one after another, so their timings do not
   * contend for the CPU. Above 1 the document records `run.contended: true`.
   */
  parallel?: number | undefined;
  /**
   * Run each suite this many times, each time in a fresh worker, in interleaved rounds (every suite once per
   * round), so that drift of the machine reaches every suite alike. Each task keeps each run's 1st percentile,
   * median and mean latency (`runLows`, `runMedians`, `runMeans`); a baseline comparison tests the run lows (the
   * near-best run of each side, by a permutation test), so run-to-run drift is part of the test. With n vs n runs a
   * change can be significant at 95 % only from n = 4 on; the default leaves room for several slowed runs a side.
   * Default `10`.
   */
  runs?: number | undefined;
  /**
   * Keep at most this many latency samples per task in the document (evenly spaced order statistics of the
   * sorted samples of all runs); `null` keeps every sample. The statistics are always computed from all samples.
   * Default `1000`.
   */
  maxSamples?: number | null | undefined;
  /** Fail a suite that runs longer than this many milliseconds (its worker is terminated). Default: no limit. */
  timeout?: number | undefined;
  /** The directory relative paths and patterns resolve against, and suite keys are relative to. Default `process.cwd()`. */
  cwd?: string | undefined;
  /** Cancels the run: running suites' workers are terminated and the call rejects with `signal.reason`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Called as suites start, load, finish tasks and end. Default: none. */
  onProgress?: ((event: SuiteProgress) => void) | undefined;
}

/** Progress of {@link runSuites}. `index` is the suite's position (0-based) among `total` files. */
export type SuiteProgress =
  | { type: 'suite-start'; file: string; index: number; total: number; run: number; runs: number }
  | { type: 'suite-loaded'; file: string; index: number; name: string | null; tasks: string[] }
  | { type: 'task-done'; file: string; index: number; task: string; done: number; total: number }
  /** After the suite's last run: the record of all its runs. */
  | { type: 'suite-end'; file: string; index: number; total: number; record: SuiteRecord };

export { DEFAULT_MAX_SAMPLES, DEFAULT_RUNS } from './defaults.ts';

/**
 * Run tinybench suite files. A suite file default-exports a configured tinybench `Bench`, or a function (possibly
 * async) that returns one; `.ts` files work without a build step. A suite that fails to load, throws, crashes its
 * worker or times out is recorded as failed, and the other suites still run.
 *
 * @param files Paths or glob patterns (`bench/*.bench.ts`), relative to `options.cwd`.
 * @returns The result document; suites in argument order.
 * @throws {InvalidInputError} when no file is given or a path or pattern matches no file.
 * @throws {InvalidOptionError} for a bad option.
 */
export async function runSuites(files: string | readonly string[], options: RunSuitesOptions = {}): Promise<BenchDocument> {
  const parallel = checkNumber('options.parallel', options.parallel, Rules.positiveInteger) ?? 1;
  const runs = checkNumber('options.runs', options.runs, Rules.positiveInteger) ?? DEFAULT_RUNS;
  const maxSamples =
    options.maxSamples === null ? null : (checkNumber('options.maxSamples', options.maxSamples, Rules.positiveInteger) ?? DEFAULT_MAX_SAMPLES);
  const timeout = checkNumber('options.timeout', options.timeout, Rules.positiveFinite) ?? null;
  checkString('options.cwd', options.cwd);
  checkSignal('options.signal', options.signal);
  checkFunction('options.onProgress', options.onProgress);
  const cwd = options.cwd ?? process.cwd();
  const patterns = typeof files === 'string' ? [files] : [...files];
  if (patterns.length === 0) throw new InvalidInputError('no suite files given');
  const { files: paths, unmatched } = await expandFiles(patterns, cwd);
  if (unmatched.length > 0) {
    throw new InvalidInputError(`no suite files match ${unmatched.map((p) => JSON.stringify(p)).join(', ')} (in ${cwd})`);
  }
  options.signal?.throwIfAborted();

  // Read the machine first: systeminformation spawns processes, which must not overlap the first suite's timings.
  const machine = await describeMachine();
  const suites: SuiteFile[] = paths.map((path) => ({ path, key: relative(cwd, path).split(sep).join('/') }));
  const perSuite: SuiteRecord[][] = suites.map(() => []);
  const records: SuiteRecord[] = new Array<SuiteRecord>(suites.length);
  const startedAt = new Date();
  const started = performance.now();
  const report = options.onProgress ?? (() => {});
  // Round-major: every suite's first run, then every suite's second run...
  const jobs = Array.from({ length: runs * suites.length }, (_, j) => ({ index: j % suites.length, run: Math.floor(j / suites.length) + 1 }));
  let next = 0;

  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const { index, run } = jobs[next++]!;
      const suite = suites[index] as SuiteFile;
      report({ type: 'suite-start', file: suite.key, index, total: suites.length, run, runs });
      const record = await runSuiteFile(suite, {
        maxSamples,
        timeout,
        signal: options.signal,
        onSignal: (s) =>
          report(
            s.type === 'loaded'
              ? { type: 'suite-loaded', file: suite.key, index, name: s.name, tasks: s.tasks }
              : { type: 'task-done', file: suite.key, index, task: s.name, done: s.done, total: s.total },
          ),
      });
      const done = perSuite[index]!;
      done.push(record);
      if (done.length === runs) {
        records[index] = mergeSuiteRuns(done, maxSamples);
        report({ type: 'suite-end', file: suite.key, index, total: suites.length, record: records[index] });
      }
    }
  };
  const lanes = Math.min(parallel, suites.length);
  await Promise.all(Array.from({ length: lanes }, lane));

  return {
    format: RESULT_FORMAT,
    schemaVersion: SCHEMA_VERSION,
    machine,
    run: {
      isolation: 'worker-per-suite',
      parallel,
      contended: lanes > 1,
      maxSamples,
      runs,
      startedAt: startedAt.toISOString(),
      durationMs: performance.now() - started,
    },
    suites: records,
  };
}
