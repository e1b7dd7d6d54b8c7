/**
 * One run of `run` or `resume`, once its settings are checked: wires the input, the engine, the journal, the
 * ordered output, the failures file, the progress view and Ctrl-C together, and ends in exactly one of: output
 * renamed into place (exit 0 or 1), interrupted with the checkpoint kept (130), or a run-level error (thrown,
 * exit 2) with no output file left behind.
 */
import { isAbsolute, relative } from 'node:path';
import { checkpointPaths, removeCheckpoint, type RunSettings } from './checkpoint.ts';
import { ExitCode } from './cli-error.ts';
import { runEngine, type EngineResult, type EngineSink } from './engine.ts';
import { writeFileAtomic } from './files.ts';
import type { Entry } from './input.ts';
import { watchInterrupts } from './interrupt.ts';
import { JournalReader, JournalWriter, type JournalIndex } from './journal.ts';
import type { Lock } from './lock.ts';
import { fileTarget, OrderedOutput, stdoutTarget } from './ordered-output.ts';
import { chooseProgress } from './progress.ts';
import { failureRecordLine, parseOutputLine, type FailureRecord } from './records.ts';
import { wantsTrace, writeReportFiles } from './report-files.ts';
import { formatSummary, writeReport, type Summary } from './summary.ts';

/** A checkpoint in use by a job. */
export interface JobCheckpoint {
  dir: string;
  lock: Lock;
  ownsDir: boolean;
  /** The journal as found (empty for a new run; torn tail already cut). */
  journal: JournalIndex;
}

/** Everything a job needs. */
export interface JobPlan {
  command: 'run' | 'resume';
  settings: RunSettings;
  /** Items of the input, when known before the run (always with a checkpoint). */
  total: number | null;
  entries: AsyncIterable<Entry>;
  checkpoint: JobCheckpoint | undefined;
  quiet: boolean;
}

/** Outcomes found in the journal of an earlier run. */
interface JournalCounts {
  decided: number;
  failed: number;
  byCode: Record<string, number>;
}

/** A path as a person would like to read it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  if (path === '-') return 'standard output';
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Run the job; returns the exit code, or throws for a run-level failure (the checkpoint lock is released). */
export async function executeJob(plan: JobPlan): Promise<number> {
  try {
    return await runJob(plan);
  } catch (error) {
    plan.checkpoint?.lock.release();
    throw error;
  }
}

async function runJob(plan: JobPlan): Promise<number> {
  const { settings, checkpoint } = plan;
  // A bar and output lines on the same terminal would garble each other.
  const progress = chooseProgress(plan.quiet || (settings.output === '-' && process.stdout.isTTY === true));
  const paths = checkpoint ? checkpointPaths(checkpoint.dir) : undefined;
  const journaled = checkpoint?.journal.entries ?? new Map();
  const reader = paths && checkpoint && journaled.size > 0 ? new JournalReader(paths.journal, checkpoint.journal) : undefined;
  const writer = paths ? new JournalWriter(paths.journal) : undefined;
  const target = settings.output === '-' ? stdoutTarget() : fileTarget(settings.output, displayPath(settings.output));
  const output = new OrderedOutput(target, reader);
  const failures: FailureRecord[] = [];

  // Outcomes from the journal (only those of items the input still has).
  const before: JournalCounts = { decided: 0, failed: 0, byCode: {} };
  for (const [index, entry] of journaled) {
    if (plan.total !== null && index >= plan.total) continue;
    before.decided++;
    if (!entry.ok) {
      before.failed++;
      const code = entry.code ?? 'unknown';
      before.byCode[code] = (before.byCode[code] ?? 0) + 1;
    }
  }
  let ranNow = 0;
  let decidedNow = 0;
  const sink: EngineSink = {
    outcome(entry, line, failure) {
      writer?.append(line);
      output.put(entry.index, line);
      if (failure) failures.push(failure);
      decidedNow++;
      if (entry.parsed.ok) ranNow++;
    },
    skip(entry) {
      if (!reader?.has(entry.index)) return false;
      if (!journaled.get(entry.index)?.ok) {
        const record = parseOutputLine(reader.read(entry.index) ?? '');
        if (record && !record.ok) {
          const base = { index: entry.index, line: entry.line, error: record.error };
          failures.push(entry.parsed.ok ? { ...base, input: entry.parsed.value } : { ...base, raw: entry.raw });
        }
      }
      return true;
    },
    get congested() {
      return target.congested;
    },
    drain: () => target.drain(),
  };

  const watch = watchInterrupts(
    (signal) =>
      progress.note(
        `batchtools: ${signal === 'SIGTERM' ? 'terminated' : 'interrupted'}: finishing the chunks in flight ` +
          `(${signal === 'SIGTERM' ? 'a second SIGTERM' : 'Ctrl-C again'} quits at once)`,
      ),
    () => {
      progress.stop();
      writer?.close();
      target.abort();
      checkpoint?.lock.release();
    },
  );
  let result: EngineResult;
  try {
    output.advance();
    result = await runEngine({
      entries: plan.entries,
      module: settings.module,
      exportName: settings.exportName,
      stages: settings.stages,
      threads: settings.threads,
      maxHeapMb: settings.maxHeapMb,
      retries: settings.retries,
      timeout: settings.timeout,
      connection: settings.connection,
      queue: settings.queue,
      signal: watch.signal,
      stopSignal: watch.stopSignal,
      inputDisplay: settings.inputDisplay,
      trace: wantsTrace(settings),
      sink,
      onStart: (threads) => progress.start(plan.total, before.decided, threads),
      onCount: (decided, failed) => progress.update(before.decided + decided, before.failed + failed),
      onNote: (text) => progress.note(text),
    });
    output.advance();
    if (plan.total !== null && (output.written !== plan.total || output.waiting > 0)) {
      throw new Error(`internal error: ${output.written} of ${plan.total} output lines written, ${output.waiting} waiting`);
    }
    progress.stop();
    writer?.close();
    output.close();
    await target.commit();
  } catch (error) {
    progress.stop();
    writer?.close();
    reader?.close();
    output.close();
    target.abort();
    if (watch.interrupted) return interrupted(plan, before.decided + decidedNow, watch.exitCode);
    if (checkpoint) {
      if (plan.command === 'run' && ranNow === 0) removeCheckpoint(checkpoint.dir, checkpoint.ownsDir, checkpoint.lock);
      else {
        checkpoint.lock.release();
        process.stderr.write(`batchtools: the results so far are kept in ${displayPath(checkpoint.dir)}\n`);
      }
    }
    throw error;
  } finally {
    watch.dispose();
  }
  reader?.close();
  // If this fails, the output is in place and the checkpoint stays: `resume` redoes what is left.
  return await finish(plan, result, before, failures);
}

/** After the output is in place: the failures file, the report, the summary; then the checkpoint goes. */
async function finish(plan: JobPlan, result: EngineResult, before: JournalCounts, failures: FailureRecord[]): Promise<number> {
  const { settings, checkpoint } = plan;
  failures.sort((a, b) => a.index - b.index);
  if (settings.failures !== undefined) writeFileAtomic(settings.failures, failures.map((f) => `${failureRecordLine(f)}\n`).join(''));
  const failedByCode = { ...before.byCode };
  for (const [code, n] of Object.entries(result.failedByCode)) failedByCode[code] = (failedByCode[code] ?? 0) + n;
  const summary: Summary = {
    command: plan.command,
    items: before.decided + result.decided,
    succeeded: before.decided - before.failed + result.succeeded,
    failed: before.failed + result.failed,
    failedByCode,
    fromJournal: before.decided,
    ranNow: result.decided,
    durationMs: result.durationMs,
    itemsPerSecond: result.durationMs > 0 ? (result.decided * 1000) / result.durationMs : 0,
    threads: result.threads,
    output: displayPath(settings.output),
    failures: settings.failures === undefined ? undefined : displayPath(settings.failures),
    invalidLines: result.invalidLines,
  };
  const code = summary.failed > 0 ? ExitCode.ITEMS_FAILED : ExitCode.OK;
  if (settings.jsonReport !== undefined) writeReport(settings.jsonReport, summary, result.trace, code);
  await writeReportFiles(settings, { trace: result.runTrace, plan: result.plan, summary, failures, module: settings.module });
  if (checkpoint) removeCheckpoint(checkpoint.dir, checkpoint.ownsDir, checkpoint.lock);
  process.stderr.write(formatSummary(summary));
  return code;
}

function interrupted(plan: JobPlan, done: number, exitCode: number): number {
  const { checkpoint } = plan;
  const of = plan.total === null ? '' : ` of ${plan.total.toLocaleString('en-US')}`;
  if (checkpoint) {
    checkpoint.lock.release();
    process.stderr.write(
      `batchtools: interrupted after ${done.toLocaleString('en-US')}${of} items; their results are saved in ${displayPath(checkpoint.dir)}\n` +
        `  resume with: batchtools resume ${displayPath(checkpoint.dir)}\n`,
    );
  } else {
    process.stderr.write(
      `batchtools: interrupted after ${done.toLocaleString('en-US')}${of} items; no output was written\n` +
        '  (run with --checkpoint <dir> to be able to resume an interrupted run)\n',
    );
  }
  return exitCode;
}
