/**
 * The CLI's byte path, main-thread side: runs a JSON Lines input through the library as blocks of lines (see
 * line-blocks.ts and line-worker.ts). The main thread splits the input on newlines and writes finished output
 * text; it parses and stringifies nothing but the (rare) failed items. The guarantees are those of engine.ts:
 * every input item ends as exactly one output line (and one failure record when it failed), items already
 * journaled are not run again, bad lines fail as BT_INVALID_INPUT with the same messages, a task's error is
 * described as before. When a block fails as a whole (a crash, running out of memory, a timeout), its items run
 * again one per block, so that only the item to blame fails and it is named. A run with `--retries` does not come
 * here (job.ts): the library retries items one by one, and counts their attempts.
 *
 * Blocks are sized from the measured cost per item (a few ms of work each, smaller under a --timeout; one line
 * each until the first comes back), so the library's own chunking, work stealing and isolation work on blocks as
 * they do on items.
 */
import { fileURLToPath } from 'node:url';
import { workerModuleUrl } from '../base/entry-url.ts';
import { TaskLoadError, type ItemError } from '../errors.ts';
import { toStageError } from '../pipeline/errors.ts';
import { createRuntimeWithLimits, Runtime } from '../runtime.ts';
import { LINE_WORKER_YOUNG_MB, lineRuntimeOptions } from './early-pool.ts';
import { takeEarlyPool } from './early-start.ts';
import { taskErrorToItemError } from '../schedule/outcomes.ts';
import { defineTask, type Task, type TaskSpec } from '../task.ts';
import { fromEnvelope } from '../transport/envelope.ts';
import type { RunTrace } from '../index.ts';
import type { EngineJob, EngineResult, EngineSink } from './engine.ts';
import { parseLine } from './input.ts';
import type { ByteReader } from './byte-reader.ts';
import { boundsOf, lineBlocks, lineOf, type BlockSize, type LineBlock, type SkipVerdict } from './line-blocks.ts';
import type { BlockItem, BlockReply, LineFailure } from './line-worker.ts';
import { errorInfo, failureLine, invalidInputInfo, NAMED_INVALID_LINES, notJsonInfo, type ErrorInfo, type FailureRecord } from './records.ts';
import { stagesTask } from './stages.ts';
import { cliStream } from './stream-options.ts';
import { printable } from './summary.ts';

/** A sink that also takes the outcomes of a block of consecutive items at once. */
export interface BlockSink extends EngineSink {
  /**
   * Items `first` … `first + count - 1`: `text` holds their output lines in order (each ends with `\n`), as a
   * string or as UTF-8 bytes; `failures` the records of those that failed, in order.
   */
  block(first: number, count: number, text: string | Uint8Array, failures: readonly FailureRecord[]): void;
  /** Items `first` … `first + count - 1` were decided before this run and are not run (`skip` said true). */
  skipRange(first: number, count: number): void;
}

/** What to run: the input as bytes instead of entries. */
export interface BlockJob extends Omit<EngineJob, 'entries' | 'sink'> {
  /** The input's bytes: read straight into shared memory when it is a reader (an input file's, `openInput`). */
  input: AsyncIterable<Buffer | string> | ByteReader;
  /**
   * Items decided before this run (journaled) are not run: true hands them to `sink.skipRange`, `'entry'` to
   * `sink.skip` with their text.
   */
  skip?: SkipVerdict | undefined;
  sink: BlockSink;
  /** Workers started ahead by {@link startBlockWorkers} (the run closes them), else the run starts its own. */
  runtime?: Runtime | undefined;
}

/**
 * Whether a job runs on the byte path (run and resume on this machine): a cluster's workers get parsed items,
 * and with --retries the library retries each item on its own, as it counts the attempts.
 */
export function onBytePath(settings: { connection?: string | undefined; retries?: number | undefined }): boolean {
  return settings.connection === undefined && !(settings.retries !== undefined && settings.retries > 0);
}

/** What starting a byte-path run's workers needs: the pool options and the task. */
export type BlockTaskJob = Pick<BlockJob, 'module' | 'exportName' | 'stages' | 'threads' | 'maxHeapMb' | 'timeout'>;

/**
 * Work per block the sizes aim at, ms. A block is one item to the library: it costs the main thread ~0.1 ms
 * whatever its size (sending, bookkeeping, the reply, the write), and it is what an idle worker waits for at the
 * end at most (the library gives way between blocks, not inside one). 8 ms: the first is a few % of a run of
 * ~100 us lines at 2 ms (measured: the main thread's CPU 270-330 ms against 440-450 on 30,000 such lines), the
 * second stays under 1 % of any run that lasts a second.
 */
const BLOCK_MS = 8;
const MAX_BLOCK_LINES = 4096;
const MAX_BLOCK_BYTES = 1 << 20;
/** Block results that may wait for the main thread before the library stops sending blocks. */
const RESULT_WINDOW = 256;

const WORKER_MODULE = fileURLToPath(workerModuleUrl('cli/line-worker'));

/** The item a library message names by its stream position is renamed to its input index. */
function renamed(info: ErrorInfo, streamIndex: number, inputIndex: number): ErrorInfo {
  const prefix = `item ${streamIndex}`;
  if (streamIndex === inputIndex || !info.message.startsWith(prefix)) return info;
  const rest = info.message.slice(prefix.length);
  if (rest.length > 0 && /[0-9]/.test(rest[0]!)) return info;
  return { ...info, message: `item ${inputIndex}${rest}` };
}

/** Item k of a block (its items' byte ranges: {@link boundsOf}), as a block of its own. */
function single(block: LineBlock, bounds: Int32Array, k: number): LineBlock {
  const s = bounds[2 * k]!;
  const e = bounds[2 * k + 1]!;
  const problem = block.problems?.find((p) => p[0] === k);
  const line = lineOf(block, k);
  return {
    bytes: block.bytes.slice(s, e),
    bounds: Int32Array.of(0, e - s),
    numbers: Int32Array.of(line),
    line,
    first: block.first + k,
    count: 1,
    problems: problem ? [[0, problem[1]]] : null,
  };
}

function runtimeFor(job: Pick<BlockTaskJob, 'threads' | 'maxHeapMb'>): Runtime {
  return createRuntimeWithLimits(lineRuntimeOptions(job), { youngGenerationMb: LINE_WORKER_YOUNG_MB });
}

/** The task each line runs (a module export, or the fused `--stage` / `--filter` stages) and the block worker. */
function tasksOf(job: BlockTaskJob): { fused: ReturnType<typeof stagesTask> | undefined; inner: TaskSpec; wrapper: Task<BlockItem, BlockReply> } {
  const fused = job.stages ? stagesTask(job.stages) : undefined;
  const inner = (fused?.task ?? defineTask(job.module, job.exportName)).spec;
  return { fused, inner, wrapper: defineTask<BlockItem, BlockReply>(WORKER_MODULE, 'runBlock') };
}

/**
 * Start a byte-path run's workers ahead of the run, while the command still reads its settings, checks its input
 * and opens its files: the pool boots and each worker loads the block worker and the task (an empty block each).
 * What this finds wrong (a bad option or stage, a task that fails to load) is left to the run, which reports it
 * as before; here it only means no head start (undefined).
 */
export function startBlockWorkers(job: BlockTaskJob): Runtime | undefined {
  try {
    // The tasks first: what throws here (a bad stage) must not leave a runtime behind.
    const { fused, inner, wrapper } = tasksOf(job);
    const early = takeEarlyPool({ threads: job.threads, maxHeapMb: job.maxHeapMb });
    const rt = early ? new Runtime(early.plan, undefined, early.limits, early.pool) : runtimeFor(job);
    const empty: LineBlock = { bytes: new Uint8Array(0), bounds: null, numbers: null, line: 0, first: 0, count: 0, problems: null };
    const idle: BlockItem = [empty, inner, fused !== undefined];
    // Under the run's --timeout: a task whose loading hangs costs its worker, as it would the run's first block.
    const options = job.timeout === undefined ? { chunkSize: 1 } : { chunkSize: 1, timeout: job.timeout };
    rt.map(Array.from({ length: rt.plan.threads }, () => idle), wrapper, options).catch(() => {});
    return rt;
  } catch {
    return undefined;
  }
}

/** Run the input; resolves when every item is decided, rejects on a run-level failure or abort. */
export async function runBlockEngine(job: BlockJob): Promise<EngineResult> {
  const rt: Runtime = job.runtime ?? runtimeFor(job);
  const threads = rt.plan.threads;
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
  const { fused, inner, wrapper } = tasksOf(job);
  // One line per block until the first block comes back: the first results arrive as soon as the library's first
  // chunk is done, whatever the lines cost (and a block never holds back lines the cost of which is unknown).
  const size: BlockSize = { lines: 1, bytes: MAX_BLOCK_BYTES };
  let perLineMs: number | undefined;
  const adapt = (count: number, ms: number): void => {
    if (count <= 0 || ms <= 0) return;
    const sample = ms / count;
    // A lower sample is taken at once (the first, cold blocks overstate the cost), a higher one damped: blocks aim at
    // a few ms, so lines found dearer than the estimate cost a few such blocks at most.
    perLineMs = perLineMs === undefined || sample < perLineMs ? sample : perLineMs * 0.7 + sample * 0.3;
    const target = job.timeout !== undefined ? Math.min(BLOCK_MS, job.timeout / 8) : BLOCK_MS;
    size.lines = Math.max(1, Math.min(MAX_BLOCK_LINES, Math.round(target / perLineMs)));
  };

  const describe = (error: ItemError, streamIndex: number, index: number): ErrorInfo =>
    renamed(errorInfo(fused ? toStageError(error, index, fused) : error), streamIndex, index);
  const inputOf = (raw: string): { input: unknown } => ({ input: parseLine(raw).ok ? JSON.parse(raw) : undefined });

  /** The failure record of item k of a block, from the worker's account of it. */
  const failureOf = (block: LineBlock, f: LineFailure, streamIndex: number): FailureRecord => {
    const index = block.first + f.k;
    const line = lineOf(block, f.k);
    if (f.kind === 'invalid') {
      const error = invalidInputInfo(f.message);
      const where = printable(`${job.inputDisplay}:${line}: ${error.message}`);
      if (result.invalidLines.length < NAMED_INVALID_LINES) result.invalidLines.push(where);
      job.onNote(`batchtools: ${where} (reported as a failed item, ${error.code})`);
      return { index, line, raw: f.raw, error };
    }
    if (f.kind === 'not-json') return { index, line, ...inputOf(f.raw), error: notJsonInfo(1) };
    return { index, line, ...inputOf(f.raw), error: describe(taskErrorToItemError(index, f.error, 1), streamIndex, index) };
  };

  const deliver = (block: LineBlock, bytes: Uint8Array, failures: FailureRecord[]): void => {
    let out: string | Uint8Array = bytes;
    if (failures.length > 0) {
      // The failure records go between the output lines: decoded, only for blocks with a failure.
      const ok = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').split('\n');
      const lines: string[] = [];
      let o = 0;
      let f = 0;
      for (let k = 0; k < block.count; k++) {
        const failure = failures[f];
        if (failure !== undefined && failure.index === block.first + k) {
          lines.push(failureLine(failure.index, failure.line, failure.error, job.runId()));
          result.failedByCode[failure.error.code] = (result.failedByCode[failure.error.code] ?? 0) + 1;
          f++;
        } else lines.push(ok[o++]!);
      }
      out = `${lines.join('\n')}\n`;
    }
    result.decided += block.count;
    result.failed += failures.length;
    result.succeeded += block.count - failures.length;
    sink.block(block.first, block.count, out, failures);
    job.onCount(result.decided, result.failed);
  };

  // Stream index -> the item sent; blocks to run again, one item each; items sent and not yet back.
  const sent = new Map<number, BlockItem>();
  let nextSent = 0;
  const redo: BlockItem[] = [];
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const rouse = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stopped = (): boolean => job.signal.aborted || job.stopSignal?.aborted === true;
  job.signal.addEventListener('abort', rouse);
  job.stopSignal?.addEventListener('abort', rouse);

  // Per stream index: the block's first input index and its item count (a trace names blocks; reports want items).
  const firsts: number[] = [];
  const counts: number[] = [];
  const send = (item: BlockItem): BlockItem => {
    if (job.trace === true) {
      // Kept only for the trace (a number per block would otherwise grow with the run).
      firsts.push(item[0].first);
      counts.push(item[0].count);
    }
    sent.set(nextSent++, item);
    inFlight++;
    return item;
  };
  async function* items(): AsyncGenerator<BlockItem> {
    for await (const piece of lineBlocks(job.input, size, job.skip, parseLine)) {
      while (redo.length > 0) yield send(redo.shift()!);
      if (sink.congested) await sink.drain();
      if ('skippedRange' in piece) {
        sink.skipRange(piece.skippedRange.first, piece.skippedRange.count);
        continue;
      }
      if ('skipped' in piece) {
        sink.skip(piece.skipped, piece.skipped.index);
        continue;
      }
      yield send([piece.block, inner, fused !== undefined]);
    }
    // The input is read: what is left are the items to run again, known only once their block came back.
    for (;;) {
      while (redo.length > 0) yield send(redo.shift()!);
      if (inFlight === 0 || stopped()) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }

  const stream = cliStream(job);
  const { options } = stream;
  // Results wait for the main thread in blocks, not items: the library's default window (4096 results) would let
  // up to 4096 blocks of replies pile up when the main thread is the slower side (failures cost it the most).
  options.highWaterMark = RESULT_WINDOW;

  try {
    job.onStart(threads);
    for await (const r of rt.stream(items(), wrapper, options)) {
      const item = sent.get(r.index)!;
      sent.delete(r.index);
      inFlight--;
      const [block, , stages] = item;
      if (r.status === 'fulfilled') {
        const [lines, lineFailures, ms, loadError] = r.value;
        if (loadError) {
          const remote = fromEnvelope(loadError);
          throw new TaskLoadError(remote.message, remote.cause === undefined ? undefined : { cause: remote.cause });
        }
        adapt(block.count, ms);
        deliver(block, lines, lineFailures === null ? [] : lineFailures.map((f) => failureOf(block, f, r.index)));
      } else if (block.count > 1) {
        // The block failed as a whole (crash, OOM, timeout): its items run again one by one.
        const bounds = boundsOf(block);
        for (let k = 0; k < block.count; k++) redo.push([single(block, bounds, k), inner, stages]);
      } else {
        const error = describe(r.reason, r.index, block.first);
        const [s, e] = boundsOf(block);
        const raw = new TextDecoder().decode(block.bytes.subarray(s, e));
        deliver(block, new Uint8Array(0), [{ index: block.first, line: lineOf(block, 0), ...inputOf(raw), error }]);
      }
      rouse();
      if (sink.congested) await sink.drain();
    }
    if (job.stopSignal?.aborted) throw job.stopSignal.reason;
  } finally {
    job.signal.removeEventListener('abort', rouse);
    job.stopSignal?.removeEventListener('abort', rouse);
    await rt.close();
  }
  result.durationMs = performance.now() - t0;
  stream.finish(result, (trace) => inItems(trace, firsts, counts));
  return result;

}

/** A library trace of blocks, in items: each chunk's first input index and item count. */
function inItems(trace: RunTrace, firsts: readonly number[], counts: readonly number[]): RunTrace {
  const chunks = trace.chunks.map((c) => {
    if (c.first === undefined) return c;
    const lines = (from: number, n: number): number => {
      let sum = 0;
      for (let i = from; i < from + n && i < counts.length; i++) sum += counts[i]!;
      return sum;
    };
    const items = lines(c.first, c.items);
    const mapped = { ...c, first: firsts[c.first] ?? c.first, items };
    if (c.gaveWay !== undefined) mapped.gaveWay = lines(c.first + c.items, c.gaveWay);
    return mapped;
  });
  return { ...trace, chunks };
}
