/**
 * `batchtools bench`, what it does once parsed (see bench-command.ts for its options): run the suites, print a
 * table per suite, save, compare with a baseline, write markdown and HTML; the exit code says how it went.
 */
import { ExitCode } from '../base/exit-codes.ts';
import { InvalidInputError, InvalidOptionError } from '../errors.ts';
import { compareResults, DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD, type Comparison } from '../suites/compare.ts';
import { readDocument, writeDocument, writeFileAtomic } from '../suites/document.ts';
import { SuiteError } from '../suites/errors.ts';
import { formatComparison, formatSuite } from '../suites/format.ts';
import { comparisonMarkdown, resultsMarkdown } from '../suites/markdown.ts';
import { DEFAULT_RUNS, runSuites, type SuiteProgress } from '../suites/runner.ts';
import type { BenchDocument } from '../suites/types.ts';
import type { BenchCommandOptions, BenchIo } from './bench-command.ts';

/** Run the command; returns the exit code. Usage errors are printed as `batchtools: <message>` with code 2. */
export async function benchCommand(files: string[], options: BenchCommandOptions, io: BenchIo): Promise<number> {
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
