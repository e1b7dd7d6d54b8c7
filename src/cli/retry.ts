/**
 * `batchtools retry <task-module> --failed-items <failures> --output <output>`: run the items of a failures file
 * again and merge their new outcomes into the output file of the run that produced it (a new file renamed into
 * place, so the output is never half written). The failures file is then rewritten with what still fails.
 */
import { resolve } from 'node:path';
import { CliError, ExitCode } from './cli-error.ts';
import { runEngine, type EngineSink } from './engine.ts';
import { AtomicFile, requireModuleFile, requireParentDir, writeFileAtomic } from './files.ts';
import { isBlank, openInput, parseLine, readLines, type Entry } from './input.ts';
import { watchInterrupts } from './interrupt.ts';
import { displayPath } from './job.ts';
import { chooseProgress } from './progress.ts';
import { failureRecordLine, parseFailureLine, parseOutputLine, type FailureRecord } from './records.ts';
import type { JobOptions } from './run.ts';
import { checkReportFiles, wantsTrace, writeReportFiles } from './report-files.ts';
import { formatSummary, writeReport, type Summary } from './summary.ts';
import { resolveStages } from './stages.ts';

/** Options of `batchtools retry`. */
export interface RetryOptions extends JobOptions {
  failedItems: string;
}

async function readFailures(path: string, display: string): Promise<FailureRecord[]> {
  const records = new Map<number, FailureRecord>();
  for await (const { number, text } of readLines(openInput(path, display))) {
    if (isBlank(text)) continue;
    const record = parseFailureLine(text);
    if (!record) {
      throw new CliError(`${display}:${number}: not a failure record`, 'give --failed-items the file written by `run --failures`');
    }
    if (records.has(record.index)) throw new CliError(`${display}:${number}: item ${record.index} is listed twice`, 'remove the duplicate line');
    records.set(record.index, record);
  }
  return [...records.values()].sort((a, b) => a.index - b.index);
}

/**
 * Check that the failures belong to the output (same item, same line, same error); returns those still failed in
 * it. An item that succeeded in the output already was merged by an earlier retry (stopped before it rewrote the
 * failures file): it is not run again.
 */
async function matchOutput(path: string, display: string, failures: FailureRecord[], failuresDisplay: string): Promise<FailureRecord[]> {
  const wanted = new Map(failures.map((f) => [f.index, f]));
  const pending: FailureRecord[] = [];
  let k = 0;
  for await (const { number, text } of readLines(openInput(path, display))) {
    if (isBlank(text)) continue;
    const record = parseOutputLine(text);
    if (!record || record.index !== k) {
      throw new CliError(`${display}:${number}: not a line of a batchtools output (expected item ${k})`, 'give --output the output file of the run');
    }
    const f = wanted.get(k);
    if (f) {
      if (record.line !== f.line) {
        throw new CliError(
          `${failuresDisplay} does not belong to ${display}: item ${k} is on line ${f.line} there, line ${record.line} here`,
          'give the output and the failures file of the same run',
        );
      }
      if (!record.ok) {
        if (JSON.stringify(record.error) !== JSON.stringify(f.error)) {
          throw new CliError(
            `${failuresDisplay} does not belong to ${display}: item ${k} failed with another error there`,
            'give the output and the failures file of the same run',
          );
        }
        pending.push(f);
      }
      wanted.delete(k);
    }
    k++;
  }
  const missing = wanted.keys().next();
  if (!missing.done) {
    throw new CliError(`${failuresDisplay} does not belong to ${display}: it has no item ${missing.value}`, 'give the output and the failures file of the same run');
  }
  return pending;
}

function toEntry(f: FailureRecord): Entry {
  if (f.raw !== undefined) return { index: f.index, line: f.line, raw: f.raw, parsed: parseLine(f.raw) };
  return { index: f.index, line: f.line, raw: JSON.stringify(f.input ?? null), parsed: { ok: true, value: f.input ?? null } };
}

/** The start of an output line of a failed item (the format is fixed: see records.ts). */
const FAILED_LINE = /^\{"index":\d+,"line":\d+,"ok":false,/;

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/** `batchtools retry`. Returns the exit code. */
export async function retryCommand(modulePath: string | undefined, o: RetryOptions): Promise<number> {
  const stages = resolveStages(modulePath, o.export, o.stage ?? o.filter);
  const module = stages ? stages[0]!.module : resolve(modulePath!);
  if (!stages) requireModuleFile(module, modulePath!);
  if (o.output === '-') throw new CliError('retry needs --output to be the output file of the run', 'give the file passed to `run --output`');
  const failuresIn = resolve(o.failedItems);
  const failuresOut = resolve(o.failures ?? o.failedItems);
  const outputPath = resolve(o.output);
  requireParentDir(failuresOut, '--failures');
  if (o.jsonReport !== undefined) requireParentDir(resolve(o.jsonReport), '--json-report');
  const reports = checkReportFiles(o);
  const listed = await readFailures(failuresIn, o.failedItems);
  const pending = await matchOutput(outputPath, o.output, listed, o.failedItems);

  const progress = chooseProgress(o.quiet === true);
  const newLines = new Map<number, string>();
  const stillFailing: FailureRecord[] = [];
  const sink: EngineSink = {
    outcome(entry, line, failure) {
      newLines.set(entry.index, line);
      if (failure) stillFailing.push(failure);
    },
    skip: () => false,
    congested: false,
    drain: async () => {},
  };
  const watch = watchInterrupts(
    () => progress.note('batchtools: interrupted: stopping (press Ctrl-C again to quit at once)'),
    () => progress.stop(),
  );
  let result;
  try {
    result = await runEngine({
      entries: fromArray(pending.map(toEntry)),
      module,
      exportName: stages ? stages[0]!.exportName : (o.export ?? 'default'),
      stages,
      threads: o.threads,
      maxHeapMb: o.maxHeapMb,
      retries: o.retries,
      timeout: o.timeout,
      connection: o.connection,
      queue: o.queue,
      signal: watch.signal,
      stopSignal: watch.stopSignal,
      inputDisplay: o.failedItems,
      trace: wantsTrace(o),
      sink,
      onStart: (threads) => progress.start(pending.length, 0, threads),
      onCount: (decided, failed) => progress.update(decided, failed),
      onNote: (text) => progress.note(text),
    });
  } catch (error) {
    progress.stop();
    if (watch.interrupted) {
      process.stderr.write(`batchtools: interrupted; ${o.output} and ${o.failedItems} are unchanged\n`);
      return ExitCode.INTERRUPTED;
    }
    throw error;
  } finally {
    watch.dispose();
  }
  progress.stop();

  // Merge: the output with the retried lines replaced, renamed into place; then the failures that remain.
  const merged = new AtomicFile(outputPath);
  let failedInOutput = 0;
  try {
    let k = 0;
    for await (const { text } of readLines(openInput(outputPath, o.output))) {
      if (isBlank(text)) continue;
      const line = newLines.get(k) ?? text;
      if (FAILED_LINE.test(line)) failedInOutput++;
      merged.write(`${line}\n`);
      k++;
    }
    merged.commit();
  } catch (error) {
    merged.abort();
    throw error;
  }
  stillFailing.sort((a, b) => a.index - b.index);
  writeFileAtomic(failuresOut, stillFailing.map((f) => `${failureRecordLine(f)}\n`).join(''));

  const summary: Summary = {
    command: 'retry',
    items: pending.length,
    succeeded: result.succeeded,
    failed: result.failed,
    failedByCode: result.failedByCode,
    fromJournal: 0,
    ranNow: result.decided,
    durationMs: result.durationMs,
    itemsPerSecond: result.durationMs > 0 ? (result.decided * 1000) / result.durationMs : 0,
    threads: result.threads,
    output: displayPath(outputPath),
    failures: displayPath(failuresOut),
    invalidLines: result.invalidLines,
  };
  const code = failedInOutput > 0 ? ExitCode.ITEMS_FAILED : ExitCode.OK;
  if (o.jsonReport !== undefined) writeReport(resolve(o.jsonReport), summary, result.trace, code);
  await writeReportFiles(reports, { trace: result.runTrace, plan: result.plan, summary, failures: stillFailing, module });
  process.stderr.write(formatSummary(summary));
  if (listed.length > pending.length) {
    process.stderr.write(`  (${listed.length - pending.length} listed items had already succeeded in ${o.output}; not run again)\n`);
  }
  return code;
}
