/**
 * Worker side: run a task over one chunk. Catches per item, measures the chunk's in-worker time and the heap.
 * Items arrive as they are, packed (numbers, records as columns: rebuilt one at a time) or as a view over the
 * run's shared input. Results go back packed, or straight into the run's shared output when they are all numbers.
 * Between items the worker reads the abort flag and, for a yieldable chunk, the hunger count: when another worker
 * is idle with nothing to do, it returns early with the prefix it finished (work stealing by early return).
 */
import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BatchtoolsError, ErrorCodes } from '../errors.ts';
import { toEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { isPackedPayload, packValues, payloadReader, type Payload } from '../transport/pack.ts';
import { isSharedRecords, SharedRecordReader } from '../transport/shared-records.ts';
import {
  runStateViews,
  slotItemAt,
  slotStageAt,
  slotThreadAt,
  SLOT_NOT_STARTED,
  isAborted,
  STATE_LOADED,
  type ChunkMessage,
  type ChunkReply,
  type ItemArray,
  type RunStateViews,
} from '../transport/protocol.ts';
import type { TaskContext } from '../task.ts';
import { STAGE_SLOT } from './composite.ts';
import { runOwned } from './crash-owner.ts';
import { runClaims, type Claimed } from './claim-loop.ts';
import { RAN_ALL, results, runItems, YIELDED, type ItemLoop } from './item-loop.ts';
import { loadTask } from './load-task.ts';

let warm = false;

/** What a worker keeps of the run whose chunk it ran last: its shared state and its task-facing signal. */
interface RunLocal {
  id: number;
  views: RunStateViews;
  signal: AbortSignal;
  /** Fire the signal (the run's abort flag is set). */
  abort(): void;
  /** The reader of the run's shared records (self-scheduled chunks of one run carry the same columns). */
  shared?: SharedRecordReader;
  /** A chunk of the run awaited an item in this worker: its later chunks need not be tracked (see crash-owner.ts). */
  awaits: boolean;
}
let current: RunLocal | undefined;

/** The run of a message (a worker mostly serves one run at a time; switching runs renews the signal). */
function runOf(message: ChunkMessage): RunLocal {
  if (current?.id !== message.runId) {
    const views = runStateViews(message.state, message.slots);
    const controller = new AbortController();
    current = { id: message.runId, views, signal: signalFor(views.ints, controller), abort: () => controller.abort(abortReason()), awaits: false };
  }
  return current;
}

const nativeAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;
const abortReason = (): DOMException => new DOMException('the run was aborted', 'AbortError');

/**
 * The task-facing signal of a run. Its `aborted` (and `throwIfAborted()`) read the run's shared abort flag, so a
 * synchronous loop that checks `ctx.signal.aborted` sees the abort at once; for tasks that await, the flag is also
 * polled while they wait, which fires 'abort' listeners.
 */
function signalFor(control: Int32Array, own: AbortController): AbortSignal {
  const signal = own.signal;
  const aborted = (): boolean => {
    if (nativeAborted.call(signal)) return true;
    if (!isAborted(control)) return false;
    own.abort(abortReason());
    return true;
  };
  Object.defineProperty(signal, 'aborted', { get: aborted, configurable: true });
  Object.defineProperty(signal, 'throwIfAborted', {
    value: () => {
      if (aborted()) throw signal.reason;
    },
    configurable: true,
  });
  return signal;
}

/**
 * Run one chunk. The piscina handler of the batch worker. The chunk's code is tagged with it, so a death caused by
 * another chunk's code (a timer another run left) is not charged to its items (see crash-owner.ts): always where
 * that is cheap; elsewhere unless its run's items await (each promise would pay for the tag) and no worker died yet.
 */
export function runChunk(message: ChunkMessage): Promise<ChunkReply> {
  const run = runOf(message);
  const own = message.own === true;
  return runOwned({ ints: run.views.ints, slot: message.slot }, own || !run.awaits, (untrack) =>
    runOwnChunk(message, run, () => {
      run.awaits = true;
      if (!own) untrack();
    }),
  );
}

/** `onAwait`: called before an item that awaits (the run's items await; see runChunk). */
async function runOwnChunk(message: ChunkMessage, run: RunLocal, onAwait: () => void): Promise<ChunkReply> {
  const cold = !warm;
  warm = true;
  const { task, start, items, slot } = message;
  const records = isPackedPayload(items) ? payloadReader(items) : null;
  const list = records === null ? (items as ArrayLike<unknown>) : null;
  const n = records === null ? list!.length : records.length;
  const { ints: control, startedAt } = run.views;
  const itemAt = slotItemAt(slot);
  Atomics.store(control, slotThreadAt(slot), threadId);
  let fn;
  let host: unknown;
  try {
    fn = await loadTask(task);
    host = message.host ? await (await import('../rpc/host-client.ts')).hostFor(message.runId) : undefined;
  } catch (error) {
    return reply([], [], 0, 0, cold, false, toEnvelope(error));
  }
  Atomics.add(control, STATE_LOADED, 1);
  // One context per chunk, its `index` updated per item: two chunks may interleave in a worker when tasks await.
  const context = { signal: run.signal, index: 0, workerId: threadId, host } as TaskContext & { index: number };
  // Fused pipeline stages store the stage they run into the slot, so that a worker that dies names it.
  if (task.kind === 'composite') Object.defineProperty(context, STAGE_SLOT, { value: { ints: control, at: slotStageAt(slot) } });
  const loopOver = (from: number, to: number, list: ArrayLike<unknown> | null, item: ((k: number) => unknown) | null): ItemLoop => ({
    fn,
    item,
    list,
    n: to - from,
    start: from,
    context,
    control,
    startedAt,
    slot,
    itemAt,
    timed: message.timed,
    // Isolation runs (after a failure) are not split further: their outcome decides what failed.
    yieldable: message.yieldable === true && !message.verify,
    itemMs: message.itemMs ?? 0,
    // Numbers straight into the run's shared output; isolation runs check every result, so they keep them all.
    out: message.out !== undefined && !message.verify ? message.out : null,
    inline: task.kind === 'inline' ? task.name : null,
    values: null,
    errors: [],
    k: 0,
    end: RAN_ALL,
  });
  const origin = performance.timeOrigin;
  const t0 = performance.now();
  let loop: ItemLoop | null;
  let claimed: Claimed | undefined;
  if (message.claims) {
    // The whole input in shared memory: numbers (a view per range) or records (read per range from the columns).
    const sharedRecords = isSharedRecords(items) ? (run.shared ??= new SharedRecordReader(items)) : null;
    const numbers = sharedRecords === null ? (items as ItemArray) : null;
    const rangeLoop = (r: number, from: number, to: number): ItemLoop =>
      numbers !== null ? loopOver(from, to, numbers.subarray(from, to), null) : loopOver(from, to, null, sharedRecords!.range(r, from, to));
    claimed = await runClaims({ ...message, claims: message.claims }, control, itemAt, rangeLoop, run.abort, onAwait);
    loop = claimed.held;
  } else {
    loop = loopOver(start, start + n, list, records === null ? null : records.at);
    await runItems(loop, run.abort, onAwait);
  }
  const runMs = performance.now() - t0;
  // Past the last item: a worker that dies from here on died while replying (an uncloneable result).
  Atomics.store(control, itemAt, loop === null ? SLOT_NOT_STARTED : loop.n);
  const errors = loop?.errors ?? [];
  const k = loop?.k ?? 0;
  const values = loop === null ? null : results(loop);
  if (message.verify && values !== null) verifyCloneable(values, errors, k);
  const result = reply(values, errors, k, runMs, cold, loop?.end === YIELDED, undefined, origin + t0);
  if (claimed) {
    result.range = claimed.range;
    result.claimed = claimed.claimed;
  }
  return result;
}

function reply(
  values: unknown[] | null,
  errors: Array<[number, ErrorEnvelope]>,
  ran: number,
  runMs: number,
  cold: boolean,
  yielded: boolean,
  loadError?: ErrorEnvelope,
  startedAt?: number,
): ChunkReply {
  const heap = getHeapStatistics();
  let payload: Payload | null = values;
  let transfer: ArrayBuffer[] | null = null;
  if (values !== null && errors.length === 0 && ran === values.length) {
    const packed = packValues(values);
    if (packed) {
      payload = packed.payload;
      transfer = packed.transfer;
    }
  }
  const result: ChunkReply = {
    threadId,
    values: payload,
    errors,
    ran,
    runMs,
    heapUsed: heap.used_heap_size,
    heapLimit: heap.heap_size_limit,
    cold,
  };
  if (yielded) result.yielded = true;
  if (loadError) result.loadError = loadError;
  if (startedAt !== undefined) result.startedAt = startedAt;
  // Moving the buffers hands their memory to the main thread: no clone on either side.
  return transfer ? movable(result, transfer) : result;
}

/**
 * piscina's own `markMovable`, from the copy of `piscina/dist/common.js` its worker already loaded (the mark is a
 * private symbol of that module). Importing `piscina` itself in every worker would load the whole pool code and
 * slow down each worker's start.
 */
const require = createRequire(import.meta.url);
const { markMovable } = require(join(dirname(require.resolve('piscina')), 'common.js')) as {
  markMovable: (value: object) => void;
};

/** Mark a reply so piscina transfers the given buffers with it instead of cloning them. */
function movable<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  Object.defineProperty(value, Symbol.for('Piscina.transferable'), { value: buffers });
  Object.defineProperty(value, Symbol.for('Piscina.valueOf'), { value });
  markMovable(value);
  return value;
}

/** Move results that cannot cross threads into `errors`, so they fail alone instead of killing the worker. */
function verifyCloneable(values: unknown[], errors: Array<[number, ErrorEnvelope]>, ran: number): void {
  const failed = new Set(errors.map(([k]) => k));
  for (let k = 0; k < ran; k++) {
    if (failed.has(k)) continue;
    try {
      structuredClone(values[k]);
    } catch (error) {
      values[k] = undefined;
      errors.push([
        k,
        toEnvelope(
          new BatchtoolsError(ErrorCodes.DATA_CLONE, `its result cannot be sent back to the main thread: ${(error as Error).message}`, {
            cause: error,
          }),
        ),
      ]);
    }
  }
  errors.sort((a, b) => a[0] - b[0]);
}
