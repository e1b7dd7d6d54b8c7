/**
 * Runs input entries through the library: every entry that parsed is sent to the workers with `rt.stream`
 * (as completed, `ordered: false`, so results are journaled as soon as they exist); every entry that did not
 * parse becomes a `BT_INVALID_INPUT` failure without running; entries the sink already has are skipped.
 * Each decided item goes to the sink as its output line (and its failure record). No files here.
 */
import { createRuntime, type Runtime } from '../runtime.ts';
import { defineTask } from '../task.ts';
import { toStageError } from '../pipeline/errors.ts';
import { DROPPED, decodeValue } from '../worker/composite.ts';
import { stagesTask, type StageSetting } from './stages.ts';
import { cliStream } from './stream-options.ts';
import { clusterOptions } from './connection-options.ts';
import type { PoolPlan, RunTrace } from '../index.ts';
import type { Entry } from './input.ts';
import {
  errorInfo,
  failureLine,
  filteredLine,
  invalidInputInfo,
  NAMED_INVALID_LINES,
  notJsonInfo,
  successLine,
  type ErrorInfo,
  type FailureRecord,
} from './records.ts';
import { printable, type ReportTrace } from './summary.ts';

/** Where decided items go. `seq` numbers the entries in the order the engine read them (0, 1, …). */
export interface EngineSink {
  /** An item's outcome: its output line, and its failure record when it failed. */
  outcome(entry: Entry, line: string, failure: FailureRecord | undefined, seq: number): void;
  /** True for an entry decided before this run (it is not run again); the sink deals with it. */
  skip(entry: Entry, seq: number): boolean;
  /** True while the output is behind; the engine then waits for `drain`. */
  readonly congested: boolean;
  drain(): Promise<void>;
}

/** What to run and how. */
export interface EngineJob {
  entries: AsyncIterable<Entry>;
  module: string;
  exportName: string;
  /** Several stages fused into one task (`--stage` / `--filter`); `module` / `exportName` are then the first's. */
  stages?: readonly StageSetting[] | undefined;
  threads?: number | undefined;
  maxHeapMb?: number | undefined;
  retries?: number | undefined;
  timeout?: number | undefined;
  /** Redis URL: the chunks run on the workers of this queue (batchtools/cluster), loaded only then. */
  connection?: string | undefined;
  queue?: string | undefined;
  /** --tls-ca file of a cluster run. */
  tlsCa?: string | undefined;
  signal: AbortSignal;
  /** Graceful stop: send no new items, let those in flight finish, then reject with its reason. */
  stopSignal?: AbortSignal | undefined;
  /** Name of the input for messages about bad lines. */
  inputDisplay: string;
  /**
   * The run's id, written into failure lines; asked for only when an item fails (for a run without a checkpoint
   * it comes from the input's hash, which a run with no failure then never computes).
   */
  runId: () => string;
  /** Keep the library's per-chunk trace, bounded (for --json-report, --report, --trace-events). Default false. */
  trace?: boolean | undefined;
  sink: EngineSink;
  /** Called once the pool size is known, before any item runs. */
  onStart(threads: number): void;
  /** Items decided by this run so far, and how many failed. */
  onCount(decided: number, failed: number): void;
  /** A message for the person (a bad input line). */
  onNote(text: string): void;
}

/** What the engine did. */
export interface EngineResult {
  decided: number;
  succeeded: number;
  failed: number;
  failedByCode: Record<string, number>;
  durationMs: number;
  threads: number;
  trace: ReportTrace | undefined;
  /** The library's trace, when kept. */
  runTrace: RunTrace | undefined;
  /** The pool plan the run used. */
  plan: PoolPlan;
  /** The first bad input lines, `file:line: message`. */
  invalidLines: string[];
}


/**
 * The library names an item by its position in the stream it was given; the CLI feeds it only the entries that
 * run, so that position is not the input index. Messages are rewritten to name the input index (the library's
 * item messages all start with `item <n>`), so output lines do not depend on which items ran in this process.
 */
function namedByInputIndex(info: ErrorInfo, streamIndex: number, inputIndex: number): ErrorInfo {
  const prefix = `item ${streamIndex}`;
  if (streamIndex === inputIndex || !info.message.startsWith(prefix)) return info;
  const rest = info.message.slice(prefix.length);
  if (rest.length > 0 && /[0-9]/.test(rest[0]!)) return info;
  return { ...info, message: `item ${inputIndex}${rest}` };
}

/** Run the entries; resolves when every entry is decided, rejects on a run-level failure or abort. */
export async function runEngine(job: EngineJob): Promise<EngineResult> {
  const runtimeOptions: { threads?: number; maxHeapMb?: number } = {};
  if (job.threads !== undefined) runtimeOptions.threads = job.threads;
  if (job.maxHeapMb !== undefined) runtimeOptions.maxHeapMb = job.maxHeapMb;
  let rt: Runtime;
  let threads: number;
  if (job.connection !== undefined) {
    const cluster = await import('../cluster/index.ts');
    rt = await cluster.connectCluster({ cluster: clusterOptions({ connection: job.connection, queue: job.queue, tlsCa: job.tlsCa }) });
    threads = cluster.fleetThreads(rt);
  } else {
    rt = createRuntime(runtimeOptions);
    threads = rt.plan.threads;
  }
  const result: EngineResult = {
    decided: 0,
    succeeded: 0,
    failed: 0,
    failedByCode: {},
    durationMs: 0,
    threads,
    trace: undefined,
    runTrace: undefined,
    plan: rt.plan,
    invalidLines: [],
  };
  const { sink } = job;
  const t0 = performance.now();
  const decide = (entry: Entry, seq: number, line: string, error: ErrorInfo | undefined, failure?: FailureRecord): void => {
    result.decided++;
    if (error) {
      result.failed++;
      result.failedByCode[error.code] = (result.failedByCode[error.code] ?? 0) + 1;
    } else result.succeeded++;
    sink.outcome(entry, line, failure, seq);
    job.onCount(result.decided, result.failed);
  };
  const failed = (entry: Entry, seq: number, error: ErrorInfo, input: { input: unknown } | { raw: string }): void => {
    const failure: FailureRecord = { index: entry.index, line: entry.line, ...input, error };
    decide(entry, seq, failureLine(entry.index, entry.line, error, job.runId()), error, failure);
  };

  // Stream index -> entry and its sequence number, for the items in flight.
  const sent = new Map<number, { entry: Entry; seq: number }>();
  let nextSent = 0;
  async function* items(): AsyncGenerator<unknown> {
    let seq = 0;
    for await (const entry of job.entries) {
      const s = seq++;
      if (sink.congested) await sink.drain();
      if (sink.skip(entry, s)) continue;
      if (entry.parsed.ok) {
        sent.set(nextSent++, { entry, seq: s });
        yield entry.parsed.value;
        continue;
      }
      const error = invalidInputInfo(entry.parsed.message);
      const where = printable(`${job.inputDisplay}:${entry.line}: ${error.message}`);
      if (result.invalidLines.length < NAMED_INVALID_LINES) result.invalidLines.push(where);
      job.onNote(`batchtools: ${where} (reported as a failed item, ${error.code})`);
      failed(entry, s, error, { raw: entry.raw });
    }
  }

  const stream = cliStream(job);
  const { options } = stream;
  if (job.retries !== undefined) options.retries = job.retries;

  try {
    job.onStart(threads);
    const fused = job.stages ? stagesTask(job.stages) : undefined;
    const task = fused?.task ?? defineTask(job.module, job.exportName);
    for await (const r of rt.stream(items(), task, options)) {
      const { entry, seq } = sent.get(r.index)!;
      sent.delete(r.index);
      const input = { input: entry.parsed.ok ? entry.parsed.value : undefined };
      if (r.status === 'fulfilled') {
        const line = !fused
          ? successLine(entry.index, entry.line, r.value)
          : r.value === DROPPED && !fused.endsFlat
            ? filteredLine(entry.index, entry.line)
            : successLine(entry.index, entry.line, decodeValue(r.value));
        if (line !== undefined) decide(entry, seq, line, undefined);
        else failed(entry, seq, notJsonInfo(1), input);
      } else {
        const info = errorInfo(fused ? toStageError(r.reason, entry.index, fused) : r.reason);
        failed(entry, seq, namedByInputIndex(info, r.index, entry.index), input);
      }
      if (sink.congested) await sink.drain();
    }
    // Stopped gracefully: every result that came back has been handed to the sink; the run itself is unfinished.
    if (job.stopSignal?.aborted) throw job.stopSignal.reason;
  } finally {
    await rt.close();
  }
  result.durationMs = performance.now() - t0;
  stream.finish(result);
  return result;
}
