/**
 * What a chunk carries to its worker and what its reply brings back, as plain functions: the message (shared views
 * as they are, numbers and records packed, plain arrays for another engine) and the delivery of a reply's results
 * to the sink in runs between failures. The dispatcher decides when; this module only says how.
 */
import { packNumbers, packValues, unpackValues } from '../transport/pack.ts';
import type { TaskSpec } from '../task.ts';
import type { ChunkMessage, ChunkReply } from '../transport/protocol.ts';
import { isSharedView, sharedOutput } from '../transport/shared-input.ts';
import type { ItemFailure } from './failures.ts';
import { taskErrorToItemError, type Work } from './outcomes.ts';
import type { RunSettings, RunSink } from './run-types.ts';
import type { RunState } from './slots.ts';
import { SharedNumberSource, type Batch } from './source.ts';

/** What every chunk of one run carries besides its items. */
export interface ChunkContext {
  task: TaskSpec;
  /** The runner's workers are threads of this process: shared views travel as they are, stealing applies. */
  local: boolean;
  slots: RunState;
  /** Tasks may call the main thread (host objects). */
  host: boolean;
  /** Item deadlines are watched (workers mark each item's start). */
  timed: boolean;
  runId: number;
  /** The shared output of an all-number run, if any. */
  out: Float64Array | undefined;
  /** The policy's mean cost per item so far (ms), or null. */
  costMs: () => number | null;
  /**
   * Every chunk's results are checked in the worker before it replies (set once a result of the run could not
   * cross threads: a worker died replying). Isolated chunks are always checked.
   */
  verify: boolean;
}

/** What every chunk of a run carries, from the run's settings (`selfScheduled`: workers claim ranges, see claims.ts). */
export function chunkContext(s: RunSettings, slots: RunState, runId: number, selfScheduled = false): ChunkContext {
  const local = s.local === true;
  return {
    task: s.task,
    local,
    slots,
    host: s.host === true,
    timed: s.timeout !== undefined,
    runId,
    out: local && (selfScheduled || s.source instanceof SharedNumberSource) ? sharedOutput(s.source.total!, s.alloc) : undefined,
    costMs: () => s.policy.warmCostMs?.() ?? null,
    verify: false,
  };
}

/**
 * Whether a worker of this process has died (a crash, out of memory, a timeout's termination). From then on every
 * chunk's code is tagged with its chunk in the worker, awaiting items included (see src/worker/crash-owner.ts), so
 * that a death caused by code another chunk left behind is charged to no item of a chunk that happened to run.
 */
let workerDied = false;

/** Note that a worker died (see {@link workerDied}). */
export function noteWorkerDeath(): void {
  workerDied = true;
}

/** The message of one chunk, and the buffers to move with it (none for shared or plain items). */
export function chunkMessage(work: Work, slot: number, ctx: ChunkContext): { message: ChunkMessage; transfer: ArrayBuffer[] | undefined } {
  const { items } = work.batch;
  // Local workers share this process's memory: shared views travel as they are, numbers and records packed.
  // Another engine's runner gets plain arrays (or a Float64Array of numbers), which it encodes itself.
  const shared = ctx.local && isSharedView(items);
  const packed = shared ? null : ctx.local ? packValues(items) : packItemsForRemote(items);
  const message: ChunkMessage = {
    task: ctx.task,
    start: work.batch.start,
    items: shared ? items : (packed?.payload ?? (Array.isArray(items) ? items : Array.from(items as ArrayLike<unknown>))),
    state: ctx.slots.buffer,
    slots: ctx.slots.size,
    verify: work.isolating || ctx.verify,
    host: ctx.host,
    timed: ctx.timed,
    runId: ctx.runId,
    slot,
  };
  if (ctx.out) message.out = ctx.out;
  if (ctx.local && workerDied) message.own = true;
  if (ctx.local) {
    message.yieldable = true;
    const itemMs = ctx.costMs();
    if (itemMs !== null) message.itemMs = itemMs;
  }
  return { message, transfer: packed?.transfer };
}

/**
 * Hand a reply's successes to the sink, in runs between its failed items (one call per run when the sink takes
 * runs); results written to the shared output `out` are read there (a view, no copy), packed ones unpacked once.
 * Returns how many succeeded and the failed items, each with its input item.
 */
export function deliverReply(
  batch: Batch,
  attempts: number,
  reply: Pick<ChunkReply, 'values' | 'errors' | 'ran'>,
  out: Float64Array | undefined,
  sink: RunSink,
): { succeeded: number; failures: ItemFailure[] | undefined } {
  const { errors } = reply;
  const values = reply.values === null ? out!.subarray(batch.start, batch.start + reply.ran) : unpackValues(reply.values);
  let failures: ItemFailure[] | undefined;
  let succeeded = 0;
  let from = 0;
  for (let e = 0; e <= errors.length; e++) {
    const error = errors[e];
    const to = error ? error[0] : reply.ran;
    if (to > from) {
      succeeded += to - from;
      if (sink.values) sink.values(batch.start, values, from, to);
      else for (let k = from; k < to; k++) sink.value(batch.start + k, values[k]);
    }
    if (error) {
      const k = error[0];
      (failures ??= []).push({ error: taskErrorToItemError(batch.start + k, error[1], attempts), item: batch.items[k] });
    }
    from = to + 1;
  }
  return { succeeded, failures };
}

/** For a remote engine: numbers as a Float64Array (moved), anything else as it is. */
function packItemsForRemote(items: ArrayLike<unknown>): { payload: Float64Array; transfer: ArrayBuffer[] } | null {
  const numbers = packNumbers(items);
  return numbers ? { payload: numbers, transfer: [numbers.buffer as ArrayBuffer] } : null;
}
