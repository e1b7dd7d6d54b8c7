/** Writing reports to files: whole or not at all (a temporary file in the same directory, renamed into place). */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RunTrace } from '../index.ts';
import { renderRunReport, type RunReportInput } from './run-page.ts';
import { toTraceEvents, type TraceEventsOptions } from './trace-events.ts';

async function writeWhole(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** Write the run report of {@link renderRunReport} to `file`. */
export async function writeRunReport(file: string, input: RunReportInput): Promise<void> {
  await writeWhole(file, renderRunReport(input));
}

/** Write the trace as Trace Event Format JSON to `file` (open it in Perfetto or chrome://tracing). */
export async function writeTraceEvents(file: string, trace: RunTrace, options?: TraceEventsOptions): Promise<void> {
  await writeWhole(file, `${JSON.stringify(toTraceEvents(trace, options))}\n`);
}
