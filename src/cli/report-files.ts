/**
 * The CLI's `--report <file.html>` and `--trace-events <file.json>`: checked before any work (the directory must
 * exist), written after the run from the library's trace, the pool plan and the run's counts and failures. The
 * report product is loaded only when one of them is asked for.
 */
import { resolve } from 'node:path';
import type { PoolPlan, RunTrace } from '../index.ts';
import { requireParentDir, writeFileAtomic } from './files.ts';
import type { FailureRecord } from './records.ts';
import type { Summary } from './summary.ts';

/** The two options, as given (paths relative to the working directory) or resolved. */
export interface ReportFiles {
  report?: string;
  traceEvents?: string;
}

/** Failed items the HTML report lists with their messages. */
const LISTED = 10;

/** Check the options' directories exist; returns the resolved paths. */
export function checkReportFiles(o: ReportFiles): ReportFiles {
  const out: ReportFiles = {};
  if (o.report !== undefined) {
    out.report = resolve(o.report);
    requireParentDir(out.report, '--report');
  }
  if (o.traceEvents !== undefined) {
    out.traceEvents = resolve(o.traceEvents);
    requireParentDir(out.traceEvents, '--trace-events');
  }
  return out;
}

/** True when the run must keep the library's per-chunk trace. */
export function wantsTrace(o: ReportFiles & { jsonReport?: string | undefined }): boolean {
  return o.report !== undefined || o.traceEvents !== undefined || o.jsonReport !== undefined;
}

/** What the files are made from. */
export interface ReportSource {
  trace: RunTrace | undefined;
  plan: PoolPlan;
  summary: Summary;
  /** Failed items of the run, in input order (their records carry code and message). */
  failures: readonly FailureRecord[];
  /** The task module, for the title. */
  module: string;
}

/** Write the requested files (after the output is in place). */
export async function writeReportFiles(files: ReportFiles, source: ReportSource): Promise<void> {
  if (files.report === undefined && files.traceEvents === undefined) return;
  const report = await import('../report/index.ts');
  const trace: RunTrace = source.trace ?? { chunks: [], decisions: [] };
  const title = `batchtools ${source.summary.command}: ${source.module.split(/[\\/]/).pop() ?? source.module}`;
  if (files.traceEvents !== undefined) {
    writeFileAtomic(files.traceEvents, `${JSON.stringify(report.toTraceEvents(trace, { name: title }))}\n`);
  }
  if (files.report !== undefined) {
    const { summary } = source;
    const html = report.renderRunReport({
      trace,
      title,
      subtitle: `output ${summary.output}${summary.failures === undefined ? '' : `, failures ${summary.failures}`}`,
      plan: source.plan,
      counts: { items: summary.items, succeeded: summary.succeeded, failed: summary.failed },
      failures: {
        byCode: summary.failedByCode,
        first: source.failures.slice(0, LISTED).map((f) => ({
          index: f.index,
          line: f.line,
          code: f.error.code,
          message: f.error.message,
          attempts: f.error.attempts,
        })),
      },
    });
    writeFileAtomic(files.report, html);
  }
}
