/**
 * One job of `run`, `resume` or `retry` (one {@link JobPlan}, built by each command once its settings are
 * checked): wires the input, the engine, the journal, the ordered output, the ordered failures file, the progress
 * view and Ctrl-C together, and ends in exactly one of: output committed (exit 0 or 1), interrupted with the
 * checkpoint kept (130), or a run-level error (thrown) with no new output file left behind.
 *
 * Order of the end, so that a power cut or a failure at any point loses nothing: the journal is fsync'd and
 * closed; the output is committed (fsync, rename, directory fsync); then the failures file; then the report;
 * only then is the checkpoint removed (lock last). Nothing is kept in memory per item: output lines wait in
 * order (spilled to disk past a budget), failure lines are streamed in order to their file, or only counted.
 */
import { isAbsolute, relative } from 'node:path';
import { checkpointPaths, removeCheckpoint, type RunSettings } from './checkpoint.ts';
import { ExitCode } from './cli-error.ts';
import type { Runtime } from '../runtime.ts';
import { onBytePath, runBlockEngine, type BlockSink } from './block-engine.ts';
import type { EngineResult } from './engine.ts';
import { entries as entriesOf, readLines, type Entry } from './input.ts';
import { watchInterrupts } from './interrupt.ts';
import { JournalWriter } from './journal.ts';
import { JournalReader, type JournalIndex } from './journal-index.ts';
import type { Lock } from './lock.ts';
import { fileTarget, OrderedOutput, stdoutTarget, type OutputTarget, type Prefilled } from './ordered-output.ts';
import { chooseProgress, showsBar, silentProgress } from './progress.ts';
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

/** Output lines decided before this job, read in index order (retry: the old output, minus the retried items). */
export interface EarlierLines extends Prefilled {
  /** Failure lines among those read so far. */
  readonly failedRead: number;
  close(): void;
}

/** Everything a job needs: the one description of `run`, `resume` and `retry`. */
export interface JobPlan {
  command: 'run' | 'resume' | 'retry';
  settings: RunSettings;
  /** The run's id, written into failure lines (read only when an item fails: it may be computed then). */
  readonly runId: string;
  /** Lines of the output, when known before the run (always with a checkpoint, and for retry). */
  total: number | null;
  /** The items this job decides (retry: the listed failures), with their input index; or `bytes`. */
  entries?: AsyncIterable<Entry> | undefined;
  /**
   * The input as bytes (run, resume): the items are its lines, sent to the workers as bytes (the main thread
   * parses none of them; see block-engine.ts). Read through `entries` instead for a run on a cluster.
   */
  bytes?: AsyncIterable<Buffer> | undefined;
  /** Items in `entries`, when known (for the progress bar). Default: `total`. */
  entryCount?: number | undefined;
  checkpoint: JobCheckpoint | undefined;
  /** Lines decided before (retry). */
  earlier?: EarlierLines | undefined;
  /** Mode of a new output or failures file (the input's). */
  fileMode?: number | undefined;
  quiet: boolean;
  /** Workers started ahead for the byte path ({@link startBlockWorkers}); the job closes them. */
  runtime?: Runtime | undefined;
}

/** Failures kept for the HTML report. */
const FIRST_FAILURES = 10;

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
  } finally {
    plan.earlier?.close();
    await plan.runtime?.close();
  }
}

function journalCounts(plan: JobPlan): JournalCounts {
  const journal = plan.checkpoint?.journal;
  return journal ? { decided: journal.decided, failed: journal.failed, byCode: { ...journal.byCode } } : { decided: 0, failed: 0, byCode: {} };
}

async function runJob(plan: JobPlan): Promise<number> {
  const { settings, checkpoint } = plan;
  // A bar and output lines on the same terminal would garble each other.
  const progress = showsBar(plan.quiet, settings.output) ? chooseProgress(false) : silentProgress;
  const paths = checkpoint ? checkpointPaths(checkpoint.dir) : undefined;
  const journal = checkpoint?.journal;
  const reader = paths && journal && journal.decided > 0 ? new JournalReader(paths.journal, journal) : undefined;
  let writer: JournalWriter | undefined;
  let target: OutputTarget | undefined;
  let failuresFile: OutputTarget | undefined;
  const cleanUp = (): void => {
    writer?.closeQuietly();
    reader?.close();
    target?.abort();
    failuresFile?.abort();
  };
  let output: OrderedOutput;
  let failuresOut: OrderedOutput | undefined;
  try {
    writer = paths ? new JournalWriter(paths.journal) : undefined;
    target = settings.output === '-' ? stdoutTarget() : fileTarget(settings.output, displayPath(settings.output), plan.fileMode);
    output = new OrderedOutput(target, reader ?? plan.earlier);
    if (settings.failures !== undefined) {
      failuresFile = fileTarget(settings.failures, displayPath(settings.failures), plan.fileMode);
      failuresOut = new OrderedOutput(failuresFile);
    }
  } catch (error) {
    cleanUp();
    dropOrKeep(plan, 0);
    throw error;
  }

  const before = journalCounts(plan);
  // The first failures in input order, for the HTML report (bounded; the failures file has them all).
  const firstFailures: FailureRecord[] = [];
  const noteFailure = (f: FailureRecord): void => {
    if (firstFailures.length >= FIRST_FAILURES && f.index > firstFailures[firstFailures.length - 1]!.index) return;
    firstFailures.push(f);
    firstFailures.sort((a, b) => a.index - b.index);
    if (firstFailures.length > FIRST_FAILURES) firstFailures.pop();
  };
  let ranNow = 0;
  let decidedNow = 0;
  const sink: BlockSink = {
    block(first, count, text, failures) {
      writer?.appendLines(text, count);
      output.putRange(first, count, text);
      let lines: string | null = null;
      if (failures.length > 0) {
        lines = '';
        for (const f of failures) {
          if (failuresOut) lines += `${failureRecordLine(f, plan.runId)}\n`;
          noteFailure(f);
          if (f.raw !== undefined) ranNow--;
        }
      }
      failuresOut?.putRange(first, count, lines);
      decidedNow += count;
      ranNow += count;
    },
    outcome(entry, line, failure, seq) {
      writer?.append(line);
      output.put(entry.index, line);
      failuresOut?.put(seq, failure ? failureRecordLine(failure, plan.runId) : null);
      if (failure) noteFailure(failure);
      decidedNow++;
      if (entry.parsed.ok) ranNow++;
    },
    skip(entry, seq) {
      if (!reader?.has(entry.index)) return false;
      let line: string | null = null;
      if (journal?.failedAt(entry.index)) {
        const record = parseOutputLine(reader.read(entry.index) ?? '');
        if (record && !record.ok) {
          const base = { index: entry.index, line: entry.line, error: record.error };
          const failure = entry.parsed.ok ? { ...base, input: entry.parsed.value } : { ...base, raw: entry.raw };
          if (failuresOut) line = failureRecordLine(failure, plan.runId);
          noteFailure(failure);
        }
      }
      failuresOut?.put(seq, line);
      return true;
    },
    skipRange(first, count) {
      failuresOut?.putRange(first, count, null);
    },
    get congested() {
      return target!.congested;
    },
    drain: () => target!.drain(),
  };

  const watch = watchInterrupts(
    (signal) =>
      progress.note(
        `batchtools: ${signal === 'SIGTERM' ? 'terminated' : 'interrupted'}: finishing the chunks in flight ` +
          `(${signal === 'SIGTERM' ? 'a second SIGTERM' : 'Ctrl-C again'} quits at once)`,
      ),
    () => {
      progress.stop();
      cleanUp();
      checkpoint?.lock.release();
    },
  );
  const progressTotal = plan.entryCount ?? plan.total;
  let result: EngineResult;
  try {
    output.advance();
    const common = {
      module: settings.module,
      exportName: settings.exportName,
      stages: settings.stages,
      threads: settings.threads,
      maxHeapMb: settings.maxHeapMb,
      retries: settings.retries,
      timeout: settings.timeout,
      connection: settings.connection,
      queue: settings.queue,
      tlsCa: settings.tlsCa,
      signal: watch.signal,
      stopSignal: watch.stopSignal,
      inputDisplay: settings.inputDisplay,
      runId: () => plan.runId,
      trace: wantsTrace(settings),
      sink,
      onStart: (threads: number) => progress.start(progressTotal, plan.command === 'retry' ? 0 : before.decided, threads),
      onCount: (decided: number, failed: number) =>
        plan.command === 'retry' ? progress.update(decided, failed) : progress.update(before.decided + decided, before.failed + failed),
      onNote: (text: string) => progress.note(text),
    };
    result =
      plan.bytes !== undefined && onBytePath(settings)
        ? await runBlockEngine({
            ...common,
            input: plan.bytes,
            skip: reader ? (index) => reader.has(index) && (journal!.failedAt(index) ? 'entry' : true) : undefined,
            sink,
            runtime: plan.runtime,
          })
        : await (await import('./engine.ts')).runEngine({ ...common, entries: plan.entries ?? entriesOf(readLines(plan.bytes!)), sink });
    output.advance();
    if (plan.total !== null && (output.written !== plan.total || output.waiting > 0)) {
      throw new Error(`internal error: ${output.written} of ${plan.total} output lines written, ${output.waiting} waiting`);
    }
    progress.stop();
    writer?.close();
    output.close();
    await target.commit();
    failuresOut?.close();
  } catch (error) {
    progress.stop();
    output.close();
    failuresOut?.close();
    cleanUp();
    if (watch.interrupted) return interrupted(plan, before.decided + decidedNow, watch.exitCode);
    dropOrKeep(plan, ranNow);
    throw error;
  } finally {
    watch.dispose();
  }
  reader?.close();
  // If this fails, the output is in place and the checkpoint stays: `resume` redoes what is left.
  try {
    await failuresFile?.commit();
  } catch (error) {
    checkpoint?.lock.release();
    throw error;
  }
  return await finish(plan, result, before, firstFailures);
}

/**
 * After a run-level error: a new run's checkpoint that holds nothing yet is removed (a setup error leaves nothing
 * behind, and the same command can simply be run again); otherwise it is kept, unlocked, for `resume`.
 */
function dropOrKeep(plan: JobPlan, ranNow: number): void {
  const { checkpoint } = plan;
  if (!checkpoint) return;
  if (plan.command === 'run' && ranNow === 0 && checkpoint.journal.decided === 0) {
    try {
      removeCheckpoint(checkpoint.dir, checkpoint.ownsDir, checkpoint.lock);
      return;
    } catch {
      // keep it then
    }
  }
  checkpoint.lock.release();
  process.stderr.write(`batchtools: the results so far are kept in ${displayPath(checkpoint.dir)}\n`);
}

/** After the output and failures are in place: the report, the summary; then the checkpoint goes. */
async function finish(plan: JobPlan, result: EngineResult, before: JournalCounts, failures: FailureRecord[]): Promise<number> {
  const { settings, checkpoint } = plan;
  const failedByCode = { ...before.byCode };
  for (const [code, n] of Object.entries(result.failedByCode)) failedByCode[code] = (failedByCode[code] ?? 0) + n;
  const retry = plan.command === 'retry';
  const summary: Summary = {
    command: plan.command,
    items: retry ? result.decided : before.decided + result.decided,
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
  // retry: the exit code tells whether the output (all of it, not only the retried items) still has failures.
  const failedInOutput = retry ? (plan.earlier?.failedRead ?? 0) + result.failed : summary.failed;
  const code = failedInOutput > 0 ? ExitCode.ITEMS_FAILED : ExitCode.OK;
  if (settings.jsonReport !== undefined) writeReport(settings.jsonReport, summary, result.trace, code);
  await writeReportFiles(settings, { trace: result.runTrace, plan: result.plan, summary, failures, module: settings.module });
  if (checkpoint) removeCheckpoint(checkpoint.dir, checkpoint.ownsDir, checkpoint.lock);
  process.stderr.write(formatSummary(summary));
  return code;
}

function interrupted(plan: JobPlan, done: number, exitCode: number): number {
  const { checkpoint } = plan;
  const total = plan.entryCount ?? plan.total;
  const of = total === null ? '' : ` of ${total.toLocaleString('en-US')}`;
  if (checkpoint) {
    checkpoint.lock.release();
    process.stderr.write(
      `batchtools: interrupted after ${done.toLocaleString('en-US')}${of} items; their results are saved in ${displayPath(checkpoint.dir)}\n` +
        `  resume with: batchtools resume ${displayPath(checkpoint.dir)}\n`,
    );
  } else if (plan.command === 'retry') {
    const failures = plan.settings.failures === undefined ? '' : ` and ${displayPath(plan.settings.failures)}`;
    process.stderr.write(`batchtools: interrupted; ${displayPath(plan.settings.output)}${failures} are unchanged\n`);
  } else {
    process.stderr.write(
      `batchtools: interrupted after ${done.toLocaleString('en-US')}${of} items; no output was written\n` +
        '  (run with --checkpoint <dir> to be able to resume an interrupted run)\n',
    );
  }
  return exitCode;
}
