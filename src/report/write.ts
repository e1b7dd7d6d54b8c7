/** Writing reports to files: whole or not at all (a temporary file renamed into place). */
import { writeFileAtomic } from '../suites/document.ts';
import type { RunTrace } from '../index.ts';
import { renderRunReport, type RunReportInput } from './run-page.ts';
import { toTraceEvents, type TraceEventsOptions } from './trace-events.ts';

/** Write the run report of {@link renderRunReport} to `file`. */
export async function writeRunReport(file: string, input: RunReportInput): Promise<void> {
  await writeFileAtomic(file, renderRunReport(input));
}

/** Write the trace as Trace Event Format JSON to `file` (open it in Perfetto or chrome://tracing). */
export async function writeTraceEvents(file: string, trace: RunTrace, options?: TraceEventsOptions): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(toTraceEvents(trace, options))}\n`);
}
