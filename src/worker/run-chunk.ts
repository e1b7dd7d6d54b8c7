/**
 * Worker side: run a task over one chunk. Catches per item, measures the chunk's in-worker time and the heap,
 * and packs all-number results into a Float64Array that is moved back instead of cloned.
 */
import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { move } from 'piscina';
import { BatchtoolsError, ErrorCodes } from '../errors.ts';
import { toEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { CONTROL_ABORTED, CONTROL_LOADED, type ChunkMessage, type ChunkReply } from '../transport/protocol.ts';
import type { TaskContext } from '../task.ts';
import { explainInlineError, loadTask } from './load-task.ts';

let warm = false;
let runId = -1;
let controller = new AbortController();

/** The mutable context handed to the task; one object per worker, its `index` updated per item. */
const context: { signal: AbortSignal; index: number; workerId: number; host: unknown } = {
  signal: controller.signal,
  index: 0,
  workerId: threadId,
  host: undefined,
};

const nativeAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;
const abortReason = (): DOMException => new DOMException('the run was aborted', 'AbortError');

/**
 * The task-facing signal of a run. Its `aborted` (and `throwIfAborted()`) read the run's shared abort flag, so a
 * synchronous loop that checks `ctx.signal.aborted` sees the abort at once; for tasks that await, the flag is also
 * polled while they wait, which fires 'abort' listeners.
 */
function signalFor(control: Int32Array): AbortSignal {
  const own = new AbortController();
  const signal = own.signal;
  const aborted = (): boolean => {
    if (nativeAborted.call(signal)) return true;
    if (Atomics.load(control, CONTROL_ABORTED) === 0) return false;
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
  controller = own;
  return signal;
}

/** While an item awaits, poll the shared abort flag so 'abort' listeners fire. */
const ABORT_POLL_MS = 10;

/** Run one chunk. The piscina handler of the batch worker. */
export async function runChunk(message: ChunkMessage): Promise<ChunkReply> {
  const cold = !warm;
  warm = true;
  const { task, start, items, control, slot, slotItem, slotStartedAt } = message;
  const n = items.length;
  if (message.runId !== runId) {
    runId = message.runId;
    context.signal = signalFor(control);
  }
  let fn;
  try {
    fn = await loadTask(task);
    context.host = message.host ? await (await import('../rpc/host-client.ts')).hostFor(runId) : undefined;
  } catch (error) {
    return reply([], [], 0, 0, cold, toEnvelope(error));
  }
  Atomics.add(control, CONTROL_LOADED, 1);
  const values: unknown[] = new Array<unknown>(n);
  const errors: Array<[number, ErrorEnvelope]> = [];
  const inline = task.kind === 'inline' ? task.name : null;
  const origin = performance.timeOrigin;
  const timed = message.timed;
  let poll: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  let k = 0;
  for (; k < n; k++) {
    if (Atomics.load(control, CONTROL_ABORTED) !== 0) {
      controller.abort(abortReason());
      break;
    }
    context.index = start + k;
    if (timed) {
      // The time first, then the item with a barrier, so the watchdog never pairs item k with an older time.
      slotStartedAt[slot] = origin + performance.now();
      Atomics.store(slotItem, slot, k);
    } else {
      // Read only after the worker died, when all its writes are visible: a plain store is enough.
      slotItem[slot] = k;
    }
    try {
      let value = fn(items[k], context as TaskContext);
      if (value !== null && (typeof value === 'object' || typeof value === 'function') && 'then' in value) {
        poll ??= setInterval(() => {
          if (Atomics.load(control, CONTROL_ABORTED) !== 0) controller.abort(abortReason());
        }, ABORT_POLL_MS);
        value = await value;
      }
      values[k] = value;
    } catch (error) {
      errors.push([k, toEnvelope(inline === null ? error : explainInlineError(error, inline))]);
    }
  }
  if (poll) clearInterval(poll);
  const runMs = performance.now() - t0;
  // Past the last item: a worker that dies from here on died while replying (an uncloneable result).
  Atomics.store(slotItem, slot, n);
  if (message.verify) verifyCloneable(values, errors, k);
  return reply(values, errors, k, runMs, cold);
}

function reply(
  values: unknown[],
  errors: Array<[number, ErrorEnvelope]>,
  ran: number,
  runMs: number,
  cold: boolean,
  loadError?: ErrorEnvelope,
): ChunkReply {
  const heap = getHeapStatistics();
  const packed = errors.length === 0 && ran === values.length ? packNumbers(values) : null;
  const result: ChunkReply = {
    threadId,
    values: packed ?? values,
    errors,
    ran,
    runMs,
    heapUsed: heap.used_heap_size,
    heapLimit: heap.heap_size_limit,
    cold,
  };
  if (loadError) result.loadError = loadError;
  // Moving the typed array hands its memory to the main thread: no clone on either side.
  return packed ? movable(result, [packed.buffer as ArrayBuffer]) : result;
}

/** Mark a reply so piscina transfers the given buffers with it instead of cloning them. */
function movable<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  Object.defineProperty(value, Symbol.for('Piscina.transferable'), { value: buffers });
  Object.defineProperty(value, Symbol.for('Piscina.valueOf'), { value });
  return move(value as never) as T;
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

/** A Float64Array of the values when every one is a number (NaN and -0 survive), else null. */
export function packNumbers(values: ArrayLike<unknown>): Float64Array | null {
  const n = values.length;
  if (n < 8 || typeof values[0] !== 'number') return null;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number') return null;
    out[i] = v;
  }
  return out;
}
