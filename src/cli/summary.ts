/**
 * The end of a run, for a person (the summary on stderr) and for a program (`--json-report`): items, succeeded,
 * failed by code, duration, throughput, threads, and for the report the chunk-size trace.
 */
import type { RunTrace } from '../index.ts';
import { writeFileAtomic } from './files.ts';

/** Counts of a run. */
export interface Summary {
  command: 'run' | 'resume' | 'retry';
  /** Items of the input (for retry: items retried). */
  items: number;
  succeeded: number;
  failed: number;
  failedByCode: Record<string, number>;
  /** Items whose outcome came from the journal of an earlier, interrupted run. */
  fromJournal: number;
  /** Items run by this process. */
  ranNow: number;
  durationMs: number;
  /** Items run by this process per second. */
  itemsPerSecond: number;
  threads: number;
  output: string;
  failures: string | undefined;
  /** A few bad input lines, `file:line: message`, for the summary. */
  invalidLines: string[];
}

/** The chunk trace for the report: the library's trace, or chunk sizes seen through progress callbacks. */
export type ReportTrace =
  | ({ source: 'onTrace' } & RunTrace)
  | { source: 'onProgress'; chunks: Array<{ t: number; items: number; failed: number }>; decisions: []; droppedSamples?: number };

/**
 * Text from input or from a task, made safe for a terminal: control characters (escape sequences included) are
 * shown as `\x1b`-style escapes instead of being sent raw.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** `1,234,567`: as toLocaleString('en-US') writes an integer, without loading the locale data (~0.1 s of CPU). */
const count = (n: number): string =>
  Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The summary printed on stderr at the end. */
export function formatSummary(s: Summary): string {
  const lines: string[] = [];
  const head = s.command === 'retry' ? `retried ${count(s.items)} items` : `${count(s.items)} items`;
  lines.push(
    `batchtools: ${head} in ${duration(s.durationMs)} (${count(Math.round(s.itemsPerSecond))} items/s, ${s.threads} thread${s.threads === 1 ? '' : 's'})`,
  );
  if (s.fromJournal > 0) lines.push(`  resumed    ${count(s.fromJournal)} from the checkpoint, ${count(s.ranNow)} run now`);
  lines.push(`  succeeded  ${count(s.succeeded)}`);
  const codes = Object.entries(s.failedByCode)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code} ${count(n)}`);
  lines.push(`  failed     ${count(s.failed)}${codes.length > 0 ? `  (${codes.join(', ')})` : ''}`);
  for (const invalid of s.invalidLines) lines.push(`    ${invalid}`);
  lines.push(`  output     ${s.output}`);
  if (s.failures !== undefined) lines.push(`  failures   ${s.failures}`);
  else if (s.failed > 0 && s.command !== 'retry') lines.push('  (pass --failures <file> to keep the failed items for `batchtools retry`)');
  return `${lines.join('\n')}\n`;
}

/** Write the JSON report atomically. */
export function writeReport(path: string, s: Summary, trace: ReportTrace | undefined, exitCode: number): void {
  const report = {
    command: s.command,
    exitCode,
    items: s.items,
    succeeded: s.succeeded,
    failed: s.failed,
    failedByCode: s.failedByCode,
    fromJournal: s.fromJournal,
    ranNow: s.ranNow,
    durationMs: Math.round(s.durationMs * 1000) / 1000,
    itemsPerSecond: Math.round(s.itemsPerSecond * 1000) / 1000,
    threads: s.threads,
    output: s.output,
    failures: s.failures ?? null,
    trace: trace ?? null,
  };
  writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`);
}
