/**
 * `batchtools bench <files or globs…>`: run tinybench suites, each in a fresh worker, print a table per suite,
 * optionally save the results (`--json`), compare them with a saved baseline (`--baseline`: each run's fastest 1 %, the near-best run, a permutation test) and
 * write the comparison as markdown (`--markdown`).
 *
 * Exit codes: 0 every suite ran and no significant regression beyond the threshold; 1 a suite failed (did not load,
 * threw, crashed its worker, timed out), a task errored, or a significant regression exceeded `--threshold`;
 * 2 usage or input error (no files matched, a bad option, an unreadable or invalid baseline).
 */
import type { Command } from 'commander';
import { ExitCode } from '../base/exit-codes.ts';
import { InvalidInputError, InvalidOptionError } from '../errors.ts';
import { compareResults, DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD, type Comparison } from '../suites/compare.ts';
import { readDocument, writeDocument, writeFileAtomic } from '../suites/document.ts';
import { SuiteError } from '../suites/errors.ts';
import { formatComparison, formatSuite } from '../suites/format.ts';
import { comparisonMarkdown, resultsMarkdown } from '../suites/markdown.ts';
import { DEFAULT_MAX_SAMPLES, DEFAULT_RUNS, runSuites, type SuiteProgress } from '../suites/runner.ts';
import type { BenchDocument } from '../suites/types.ts';
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
  try {
    const baseline = options.baseline === undefined ? undefined : await readDocument(options.baseline);
    const progress = options.quiet ? undefined : new ProgressLine(io.stderr);
    const document = await runSuites(files, {
      parallel: options.parallel ?? 1,
      runs: options.runs ?? DEFAULT_RUNS,
      ...(options.maxSamples !== undefined && { maxSamples: options.maxSamples }),
      ...(options.timeout !== undefined && { timeout: options.timeout }),
      onProgress: (event) => {
        progress?.update(event);
        if (event.type === 'suite-end') {
          progress?.clear();
          io.stdout.write(`${formatSuite(event.record)}\n\n`);
        }
      },
    });
    progress?.clear();
    if (document.run.contended) {
      io.stdout.write(`note: up to ${document.run.parallel} suites ran at once (--parallel); their timings contended for the CPU\n\n`);
    }
    if (options.json !== undefined) await writeDocument(options.json, document);

    let failing = 0;
    let comparison: Comparison | undefined;
    if (baseline && options.baseline !== undefined) {
      comparison = compareResults(baseline, document, {
        threshold: options.threshold ?? DEFAULT_THRESHOLD,
        confidence: options.confidence ?? DEFAULT_CONFIDENCE,
      });
      io.stdout.write(`${formatComparison(comparison, options.baseline)}\n`);
      if (options.markdown !== undefined) await writeFileAtomic(options.markdown, comparisonMarkdown(comparison, options.baseline));
      failing = comparison.failing;
    } else if (options.markdown !== undefined) {
      await writeFileAtomic(options.markdown, resultsMarkdown(document));
    }
    if (options.html !== undefined) {
      const { renderBenchReport } = await import('../report/index.ts');
      const page = renderBenchReport({
        document,
        ...(comparison && baseline && { comparison, baseline, baselineName: options.baseline ?? 'baseline' }),
      });
      await writeFileAtomic(options.html, page);
    }
    return verdict(document, failing, options.threshold ?? DEFAULT_THRESHOLD, io);
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof InvalidOptionError || error instanceof SuiteError) {
      io.stderr.write(`batchtools: ${error.message}\n`);
      return ExitCode.USAGE;
    }
    throw error;
  }
}

function verdict(document: BenchDocument, failing: number, threshold: number, io: BenchIo): number {
  const failedSuites = document.suites.filter((s) => s.status === 'failed').length;
  const erroredTasks = document.suites.reduce((n, s) => n + s.tasks.filter((t) => t.state === 'errored').length, 0);
  const problems: string[] = [];
  if (failedSuites > 0) problems.push(`${failedSuites} suite${failedSuites === 1 ? '' : 's'} failed`);
  if (erroredTasks > 0) problems.push(`${erroredTasks} task${erroredTasks === 1 ? '' : 's'} errored`);
  if (failing > 0) problems.push(`${failing} significant regression${failing === 1 ? '' : 's'} beyond ${threshold}%`);
  if (problems.length === 0) return ExitCode.OK;
  io.stderr.write(`batchtools: ${problems.join(', ')}\n`);
  return ExitCode.ITEMS_FAILED;
}

/** Progress on stderr: one rewritten line on a terminal, a line per finished suite otherwise. */
class ProgressLine {
  readonly #out: BenchIo['stderr'];
  readonly #tasks = new Map<number, string[]>();
  #shown = false;

  constructor(out: BenchIo['stderr']) {
    this.#out = out;
  }

  update(event: SuiteProgress): void {
    const tty = this.#out.isTTY === true;
    if (event.type === 'suite-loaded') this.#tasks.set(event.index, event.tasks);
    if (!tty) {
      if (event.type === 'suite-start') {
        this.#out.write(`[${event.index + 1}/${event.total}] ${event.file}${event.runs > 1 ? ` run ${event.run}/${event.runs}` : ''}\n`);
      }
      return;
    }
    const tasks = this.#tasks.get(event.index) ?? [];
    let text: string;
    if (event.type === 'suite-start') text = `[${event.index + 1}/${event.total}] ${event.file}${event.runs > 1 ? ` run ${event.run}/${event.runs}` : ''}: loading`;
    else if (event.type === 'suite-loaded') text = `${event.file} › ${tasks[0] ?? ''} (1/${tasks.length})`;
    else if (event.type === 'task-done') {
      const next = tasks[event.done];
      text = next === undefined ? `${event.file}: finishing` : `${event.file} › ${next} (${event.done + 1}/${event.total})`;
    } else return;
    const columns = (this.#out as { columns?: number }).columns ?? 100;
    this.#out.write(`\r\x1b[K${text.slice(0, Math.max(10, columns - 1))}`);
    this.#shown = true;
  }

  clear(): void {
    if (!this.#shown) return;
    this.#out.write('\r\x1b[K');
    this.#shown = false;
  }
}
