/**
 * `batchtools bench <files or globs…>`: run tinybench suites, each in a fresh worker, print a table per suite,
 * optionally save the results (`--json`), compare them with a saved baseline (`--baseline`: each run's fastest 1 %, the near-best run, a permutation test) and
 * write the comparison as markdown (`--markdown`).
 *
 * Exit codes: 0 every suite ran and no significant regression beyond the threshold; 1 a suite failed (did not load,
 * threw, crashed its worker, timed out), a task errored, or a significant regression exceeded `--threshold`;
 * 2 usage or input error (no files matched, a bad option, an unreadable or invalid baseline).
 *
 * This module only declares the command: the runner, the statistics and the globbing load when `bench` runs
 * (bench-run.ts), so that other commands do not pay for them.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIDENCE, DEFAULT_MAX_SAMPLES, DEFAULT_RUNS, DEFAULT_THRESHOLD } from '../suites/defaults.ts';
import { integerOption, numberFlag } from './flags.ts';

/** A confidence level: strictly between 0 and 1. */
const CONFIDENCE = { text: 'a number in (0, 1)', min: 0, above: true, max: 1, below: true } as const;

/** Options of the bench command, as commander parses them. */
export interface BenchCommandOptions {
  /** Write the result document here. Default: not written. */
  json?: string;
  /** Compare with this saved result document. Default: no comparison. */
  baseline?: string;
  /** Write the comparison (or, without a baseline, the results) as markdown here. Default: not written. */
  markdown?: string;
  /** Write an HTML page here: latency distributions, and with a baseline the changes with their intervals. Default: not written. */
  html?: string;
  /** A significant regression larger than this percentage fails the run. Default 10. */
  threshold?: number;
  /** Confidence level of the test and intervals. Default 0.95. */
  confidence?: number;
  /** Suites run at once. Default 1 (one after another, no contention). */
  parallel?: number;
  /** Runs of each suite, each in a fresh worker; their means are what a baseline comparison tests. Default 5. */
  runs?: number;
  /** Keep at most this many samples per task in the JSON (`null`: all). Default 1000. */
  maxSamples?: number | null;
  /** Fail a suite that runs longer than this many milliseconds. Default: no limit. */
  timeout?: number;
  /** No progress line on stderr. Default false. */
  quiet?: boolean;
}

/** Where the command writes; injectable for tests. */
export interface BenchIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Add the `bench` command to `program`. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('run tinybench suites, each in a fresh worker thread; save results; compare with a baseline')
    .argument('<files...>', 'suite files or glob patterns (a suite default-exports a tinybench Bench, or a function returning one)')
    .option('--json <file>', 'write the results as a versioned JSON document (machine, options, statistics, samples)')
    .option('--baseline <file>', 'compare with a result saved by --json (per task: each run\'s fastest 1 %, the near-best run, permutation test)')
    .option('--markdown <file>', 'write the comparison (without --baseline: the results) as a markdown table')
    .option('--html <file>', 'write an HTML page: latency distributions; with --baseline the changes and their intervals')
    .option('--threshold <percent>', 'fail on a significant regression larger than this', numberFlag('--threshold', { text: 'a percentage >= 0', min: 0 }), DEFAULT_THRESHOLD)
    .option('--confidence <level>', 'confidence level of the test and intervals', numberFlag('--confidence', CONFIDENCE), DEFAULT_CONFIDENCE)
    .option('--parallel <n>', 'run n suites at once (their timings then contend; the report says so)', integerOption('--parallel', 1), 1)
    .option('--runs <n>', 'run each suite n times, each in a fresh worker (a comparison tests the runs as units)', integerOption('--runs', 1), DEFAULT_RUNS)
    .option(
      '--max-samples <n>',
      `keep at most n samples per task in the JSON, or "all" (statistics still use all) (default: ${DEFAULT_MAX_SAMPLES})`,
      (value: string) => (value === 'all' ? null : integerOption('--max-samples', 1)(value)),
    )
    .option('--timeout <ms>', 'fail a suite that runs longer than this', integerOption('--timeout', 1))
    .option('--quiet', 'no progress line')
    .addHelpText(
      'after',
      `
Exit codes:
  0  every suite ran; no significant regression beyond --threshold
  1  a suite failed or a task errored, or a significant regression exceeded --threshold
  2  usage or input error (no files matched, bad option, invalid baseline)

Examples:
  $ batchtools bench 'bench/suites/*.bench.ts' --json base.json
  $ batchtools bench 'bench/suites/*.bench.ts' --baseline base.json --markdown compare.md --html compare.html`,
    )
    .action(async (files: string[], opts: BenchCommandOptions) => {
      process.exitCode = await runBenchCommand(files, opts);
    });
}

/** Run the command; returns the exit code. Usage errors are printed as `batchtools: <message>` with code 2. */
export async function runBenchCommand(files: string[], options: BenchCommandOptions, io: BenchIo = process): Promise<number> {
  const { benchCommand } = await import('./bench-run.ts');
  return benchCommand(files, options, io);
}
