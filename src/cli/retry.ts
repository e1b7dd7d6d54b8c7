/**
 * `batchtools retry <task-module> --failed-items <failures> --output <output>`: run the items of a failures file
 * again and merge their new outcomes into the output file of the run that produced it. It is the same job as
 * `run` (job.ts): the retried items are its entries, the other lines of the old output are read back in order,
 * and the output and the failures file are committed atomically. The failures file must belong to the output:
 * same run id (written in both by `run`), same items on the same lines with the same errors.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, ExitCode } from './cli-error.ts';
import { inputMode, requireModuleFile, requireParentDir } from './files.ts';
import { isBlank, openInput, parseLine, readLines, type Entry } from './input.ts';
import { executeJob, type EarlierLines } from './job.ts';
import { parseFailureLine, parseOutputLine, type FailureRecord } from './records.ts';
import { runIdOf, type JobOptions } from './run.ts';
import { checkReportFiles } from './report-files.ts';
import { resolveStages } from './stages.ts';
import { checkTlsCa, refuseLocalPoolOptions } from './connection-options.ts';

/** Options of `batchtools retry`. */
export interface RetryOptions extends JobOptions {
  failedItems: string;
}

async function readFailures(path: string, display: string): Promise<{ records: FailureRecord[]; runId: string | undefined }> {
  const records = new Map<number, FailureRecord>();
  let runId: string | undefined;
  for await (const { number, text } of readLines(openInput(path, display))) {
    if (isBlank(text)) continue;
    const record = parseFailureLine(text);
    if (!record) {
      throw new CliError(`${display}:${number}: not a failure record`, 'give --failed-items the file written by `run --failures`');
    }
    if (records.has(record.index)) throw new CliError(`${display}:${number}: item ${record.index} is listed twice`, 'remove the duplicate line');
    if (record.run !== undefined) {
      runId ??= record.run;
      if (record.run !== runId) throw new CliError(`${display}:${number}: a failure of another run (${record.run}, not ${runId})`, 'give the failures file of one run');
    }
    records.set(record.index, record);
  }
  return { records: [...records.values()].sort((a, b) => a.index - b.index), runId };
}

/**
 * Check that the failures belong to the output (same run id, same item, same line, same error); returns those
 * still failed in it and the output's line count. An item that succeeded in the output already was merged by an
 * earlier retry (stopped before it rewrote the failures file): it is not run again.
 */
async function matchOutput(
  path: string,
  display: string,
  failures: FailureRecord[],
  failuresDisplay: string,
  runId: string | undefined,
): Promise<{ pending: FailureRecord[]; lines: number; runId: string | undefined }> {
  const wanted = new Map(failures.map((f) => [f.index, f]));
  const pending: FailureRecord[] = [];
  const notOurs = (why: string): CliError => new CliError(`${failuresDisplay} does not belong to ${display}: ${why}`, 'give the output and the failures file of the same run');
  let outputRun: string | undefined;
  let k = 0;
  for await (const { number, text } of readLines(openInput(path, display))) {
    if (isBlank(text)) continue;
    const record = parseOutputLine(text);
    if (!record || record.index !== k) {
      throw new CliError(`${display}:${number}: not a line of a batchtools output (expected item ${k})`, 'give --output the output file of the run');
    }
    if (!record.ok && record.run !== undefined) {
      outputRun ??= record.run;
      if (runId !== undefined && record.run !== runId) throw notOurs(`it was written by run ${runId}, the output by run ${record.run}`);
    }
    const f = wanted.get(k);
    if (f) {
      if (record.line !== f.line) throw notOurs(`item ${k} is on line ${f.line} there, line ${record.line} here`);
      if (!record.ok) {
        if (JSON.stringify(record.error) !== JSON.stringify(f.error)) throw notOurs(`item ${k} failed with another error there`);
        pending.push(f);
      }
      wanted.delete(k);
    }
    k++;
  }
  const missing = wanted.keys().next();
  if (!missing.done) throw notOurs(`it has no item ${missing.value}`);
  if (runId !== undefined && outputRun === undefined && pending.length > 0) throw notOurs(`the output has no failure of run ${runId}`);
  return { pending, lines: k, runId: runId ?? outputRun };
}

/** The start of an output line of a failed item (the format is fixed: see records.ts). */
const FAILED_LINE = /^\{"index":\d+,"line":\d+,"ok":false,/;
const READ_BYTES = 1 << 20;

/** The lines of the old output in index order, except those of the items being retried. */
class OldOutput implements EarlierLines {
  readonly #fd: number;
  readonly #retried: number[];
  #r = 0;
  #buf = Buffer.alloc(0);
  #at = 0;
  #pos = 0;
  #eof = false;
  #index = -1;
  #text: string | undefined;
  #failedRead = 0;

  constructor(path: string, retried: number[]) {
    this.#fd = openSync(path, 'r');
    this.#retried = retried;
  }

  get failedRead(): number {
    return this.#failedRead;
  }

  /** The next non-blank line, or undefined at the end. */
  #nextLine(): string | undefined {
    for (;;) {
      let nl = this.#buf.indexOf(10, this.#at);
      while (nl === -1 && !this.#eof) {
        const chunk = Buffer.allocUnsafe(READ_BYTES);
        const n = readSync(this.#fd, chunk, 0, READ_BYTES, this.#pos);
        if (n === 0) this.#eof = true;
        this.#pos += n;
        const rest = this.#buf.length - this.#at;
        this.#buf = Buffer.concat([this.#buf.subarray(this.#at), chunk.subarray(0, n)]);
        this.#at = 0;
        nl = this.#buf.indexOf(10, rest);
      }
      const end = nl === -1 ? this.#buf.length : nl;
      if (end === this.#at && nl === -1) return undefined;
      const text = this.#buf.toString('utf8', this.#at, end > this.#at && this.#buf[end - 1] === 13 ? end - 1 : end);
      this.#at = nl === -1 ? this.#buf.length : nl + 1;
      if (!isBlank(text)) return text;
    }
  }

  read(index: number): string | undefined {
    while (this.#r < this.#retried.length && this.#retried[this.#r]! < index) this.#r++;
    if (this.#retried[this.#r] === index) return undefined;
    while (this.#index < index) {
      this.#text = this.#nextLine();
      this.#index++;
      if (this.#text === undefined) return undefined;
      if (this.#index === index && FAILED_LINE.test(this.#text) && this.#retried[this.#r] !== index) this.#failedRead++;
    }
    return this.#index === index ? this.#text : undefined;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function toEntry(f: FailureRecord): Entry {
  if (f.raw !== undefined) return { index: f.index, line: f.line, raw: f.raw, parsed: parseLine(f.raw) };
  return { index: f.index, line: f.line, raw: JSON.stringify(f.input ?? null), parsed: { ok: true, value: f.input ?? null } };
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/** `batchtools retry`. Returns the exit code. */
export async function retryCommand(modulePath: string | undefined, o: RetryOptions): Promise<number> {
  refuseLocalPoolOptions(o);
  const tlsCa = checkTlsCa(o);
  const stages = resolveStages(modulePath, o.export, o.stage ?? o.filter);
  const module = stages ? stages[0]!.module : resolve(modulePath!);
  if (!stages) requireModuleFile(module, modulePath!);
  if (o.output === '-') throw new CliError('retry needs --output to be the output file of the run', 'give the file passed to `run --output`');
  const failuresIn = resolve(o.failedItems);
  const failuresOut = resolve(o.failures ?? o.failedItems);
  const outputPath = resolve(o.output);
  if (failuresOut === outputPath || failuresIn === outputPath) {
    throw new CliError(`--output and the failures file name the same file: ${outputPath}`, 'give each its own file');
  }
  requireParentDir(failuresOut, '--failures');
  if (o.jsonReport !== undefined) requireParentDir(resolve(o.jsonReport), '--json-report');
  const reports = checkReportFiles(o);
  const listed = await readFailures(failuresIn, o.failedItems);
  const matched = await matchOutput(outputPath, o.output, listed.records, o.failedItems, listed.runId);
  const { pending } = matched;
  const earlier = new OldOutput(outputPath, pending.map((f) => f.index));
  const code = await executeJob({
    command: 'retry',
    settings: {
      module,
      exportName: stages ? stages[0]!.exportName : (o.export ?? 'default'),
      ...(stages ? { stages } : {}),
      input: failuresIn,
      ...(o.connection === undefined ? {} : { connection: o.connection }),
      ...(o.queue === undefined ? {} : { queue: o.queue }),
      ...(tlsCa === undefined ? {} : { tlsCa }),
      inputDisplay: o.failedItems,
      output: outputPath,
      failures: failuresOut,
      ...(o.jsonReport === undefined ? {} : { jsonReport: resolve(o.jsonReport) }),
      ...(o.threads === undefined ? {} : { threads: o.threads }),
      ...(o.maxHeapMb === undefined ? {} : { maxHeapMb: o.maxHeapMb }),
      ...(o.retries === undefined ? {} : { retries: o.retries }),
      ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
      ...reports,
      strict: false,
    },
    runId: matched.runId ?? runIdOf(undefined, { size: 0, sha256: '' }, ''),
    total: matched.lines,
    entries: fromArray(pending.map(toEntry)),
    entryCount: pending.length,
    checkpoint: undefined,
    earlier,
    fileMode: inputMode(outputPath),
    quiet: o.quiet === true,
  });
  if (listed.records.length > pending.length && code !== ExitCode.INTERRUPTED && code !== ExitCode.TERMINATED) {
    process.stderr.write(`  (${listed.records.length - pending.length} listed items had already succeeded in ${o.output}; not run again)\n`);
  }
  return code;
}
