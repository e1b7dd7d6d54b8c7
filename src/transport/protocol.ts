/**
 * The messages between the dispatcher and the batch worker: one request per chunk, one response per chunk.
 * No per-item wrapper objects: items travel as one array (or one typed array, transferred), results likewise.
 */
import type { TaskSpec } from '../task.ts';
import type { ErrorEnvelope } from './envelope.ts';
import type { Payload } from './pack.ts';
import type { SharedRecords } from './shared-records.ts';

/** Typed arrays that can carry items (a view over a SharedArrayBuffer crosses threads without a copy). */
export type ItemArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** A chunk of items, as sent to a worker. */
export interface ChunkMessage {
  task: TaskSpec;
  /** Input index of the first item; item k of the chunk is input item `start + k`. */
  start: number;
  /**
   * The items: as they are; a Float64Array when every item is a number (moved, not cloned); records of one shape
   * as columns (see records.ts); or a view over the run's shared input (a typed array over a SharedArrayBuffer).
   */
  items: Payload | ItemArray | SharedRecords;
  /**
   * The run's shared numeric output, indexed by input index: a worker whose results are all numbers writes them
   * there instead of sending them back (the reply then has `values: null`).
   */
  out?: Float64Array | undefined;
  /** The worker may stop early, at an item boundary, when another worker is hungry (work stealing). */
  yieldable?: boolean | undefined;
  /** The run's mean cost per item so far (ms), which a yieldable chunk judges its rest by (with its own pace). */
  itemMs?: number | undefined;
  /**
   * A self-scheduled chunk (see claims.ts): `items` is the whole shared input, numbers or records (`start` 0), and the worker claims
   * ranges of it from the board itself, one after the other, until none is left or `budgetMs` has passed.
   */
  claims?: { board: SharedArrayBuffer; ranges: number; budgetMs: number } | undefined;
  /** The run's shared state (see {@link RunStateViews}): abort flag, load count, and one progress slot per chunk. */
  state: SharedArrayBuffer;
  /** Number of progress slots in `state`. */
  slots: number;
  /**
   * Check that every result can be cloned before replying, failing just the items whose result cannot (set for
   * chunks being isolated after a failure; an uncloneable result otherwise kills the worker while replying).
   */
  verify: boolean;
  /** The run has a host object: the worker sets `ctx.host` to its Remote. */
  host: boolean;
  /**
   * Tag this chunk's code with it even if its run's items await (a worker of this process has died: see
   * src/worker/crash-owner.ts).
   */
  own?: true | undefined;
  /** Identifies the run, so a worker keeps one task-facing AbortSignal (and host Remote) per run. */
  runId: number;
  /** Before each item, also store its start time in the slot (the run has a per-item deadline). */
  timed: boolean;
  /**
   * This chunk's progress slot. Before running item k the worker stores k in it (after the start time, when
   * `timed`); at the start it stores its thread id. The dispatcher reads them to enforce run-time deadlines, to
   * know which item was running when a worker died, and to terminate the right worker.
   */
  slot: number;
}

/** What a worker returns for a chunk. */
export interface ChunkReply {
  /** Worker thread id. */
  threadId: number;
  /**
   * Results by position in the chunk (holes where `errors` say): as they are, a Float64Array when all are numbers,
   * records as columns; null when they were written to the message's shared `out` (at `start + k`).
   */
  values: Payload | null;
  /**
   * The worker stopped early because another worker was hungry: items `ran..` were not touched and are to be
   * sent again (split among the hungry). Never set when the run was aborted.
   */
  yielded?: boolean;
  /**
   * A self-scheduled chunk: the range it still held when it replied (its items ran up to `ran`, with `errors`,
   * `values` and `yielded` about it), or -1 when it held none; `claimed`: items of the ranges it finished cleanly.
   */
  range?: number;
  claimed?: number;
  /** Per-item failures: `[positionInChunk, envelope]` pairs; empty when all succeeded. */
  errors: Array<[number, ErrorEnvelope]>;
  /** Items actually run (fewer than sent when the run was aborted mid-chunk). */
  ran: number;
  /** In-worker wall time of the chunk's items, in milliseconds. */
  runMs: number;
  /** When the worker began the chunk's first item, epoch ms (`performance.timeOrigin + performance.now()`). */
  startedAt?: number;
  /** V8 heap used / heap size limit after the chunk. */
  heapUsed: number;
  heapLimit: number;
  /** True when this was the first chunk this worker ran (includes module load and warm-up). */
  cold: boolean;
  /** Set when the task could not be loaded; no item was run. */
  loadError?: ErrorEnvelope;
}

/**
 * A chunk gives way only when the items it has left would take at least this long, at the pace it ran so far or
 * at the run's mean cost per item, whichever is higher (worker/item-loop.ts):
 * giving way costs a round trip through the main thread (its reply, then the pieces sent out again: about a
 * millisecond on a busy machine), which less work than this would not pay back.
 */
export const MIN_YIELD_MS = 1;

/**
 * Int32 index of the run's signal word, which a worker reads once per item. Bit 30 is the abort flag (set when the
 * run stops: workers stop between items; `ctx.signal` fires). The bits below it are the hunger count: how many
 * workers are idle with nothing queued and nothing left to send. A worker running a yieldable chunk that sees it
 * above 0 claims one unit (compare-and-swap) and returns early with the prefix it finished; the dispatcher splits
 * the rest among the hungry. One word for both, so that an item costs one shared read, not two (~25 ns each,
 * measured against a ~1 µs task: 2 % of its time); it is 0 while nothing is asked of the workers.
 */
export const STATE_SIGNALS = 0;
/** The abort flag of the signal word. */
export const ABORTED_BIT = 1 << 30;
const HUNGER_MASK = ABORTED_BIT - 1;
/**
 * Int32 index of a count of chunks whose worker had the task loaded when they began (one per chunk, not per load):
 * 0 means no worker has loaded the task yet, which tells workers dying at start-up apart from items killing them.
 */
export const STATE_LOADED = 1;
/** Int32 words before the first slot. */
const HEADER_INTS = 2;
/** Int32 words per progress slot: item offset, thread id, stage. */
const SLOT_INTS = 3;
/** Int32 index of a slot's current item offset (SLOT_NOT_STARTED before the first item, the chunk length once replying). */
export const slotItemAt = (slot: number): number => HEADER_INTS + SLOT_INTS * slot;
/** Slot value of a chunk that has not started an item yet. */
export const SLOT_NOT_STARTED = -1;
/**
 * Slot value while item k awaits a promise (the event loop runs other code meanwhile): -(k + 2), so it never
 * collides with -1 (not started) or an item offset.
 */
export const awaitingCode = (k: number): number => -(k + 2);

/**
 * Slot value written by a dying worker when the code that ended it belongs to another chunk (another run's timer,
 * say): this chunk's items are not to blame (see src/worker/crash-owner.ts).
 */
export const SLOT_FOREIGN = -0x80000000;

/**
 * Decode a slot value: the item offset, and whether it was awaiting (null item: not started); `foreign` when the
 * worker died from another chunk's code.
 */
export function decodeSlot(value: number): { item: number | null; awaiting: boolean; foreign?: true } {
  if (value === SLOT_NOT_STARTED) return { item: null, awaiting: false };
  if (value === SLOT_FOREIGN) return { item: null, awaiting: false, foreign: true };
  return value >= 0 ? { item: value, awaiting: false } : { item: -value - 2, awaiting: true };
}

/** Int32 index of the thread id of the worker running a slot's chunk (0 until it starts). */
export const slotThreadAt = (slot: number): number => HEADER_INTS + 1 + SLOT_INTS * slot;
/**
 * Int32 index of the pipeline stage a slot's chunk is in (fused stages: the worker stores the stage's number before
 * running it on an item), so that a worker that dies names the stage; SLOT_NO_STAGE for a single task.
 */
export const slotStageAt = (slot: number): number => HEADER_INTS + 2 + SLOT_INTS * slot;
/** Stage word of a chunk that is not in a stage (a single task, or before the first). */
export const SLOT_NO_STAGE = -1;

/** Views over a run's shared state buffer. */
export interface RunStateViews {
  ints: Int32Array;
  /** Per slot: when the current item started, epoch ms (`performance.timeOrigin + performance.now()`). */
  startedAt: Float64Array;
}

const timesOffset = (slots: number): number => Math.ceil(((HEADER_INTS + SLOT_INTS * slots) * 4) / 8) * 8;

/** Bytes of a run state buffer with `slots` slots. */
export function runStateBytes(slots: number): number {
  return timesOffset(slots) + slots * 8;
}

/** The views over a run state buffer. */
export function runStateViews(buffer: SharedArrayBuffer, slots: number): RunStateViews {
  return { ints: new Int32Array(buffer, 0, HEADER_INTS + SLOT_INTS * slots), startedAt: new Float64Array(buffer, timesOffset(slots), slots) };
}

/** Whether the run was aborted (the signal word's flag). */
export function isAborted(ints: Int32Array): boolean {
  return (Atomics.load(ints, STATE_SIGNALS) & ABORTED_BIT) !== 0;
}

/** Set the abort flag, keeping the hunger count. */
export function setAborted(ints: Int32Array): void {
  Atomics.or(ints, STATE_SIGNALS, ABORTED_BIT);
}

/** Set the hunger count, keeping the abort flag. Returns the count it replaced (less the units claimed since). */
export function setHungerCount(ints: Int32Array, hungry: number): number {
  for (;;) {
    const word = Atomics.load(ints, STATE_SIGNALS);
    if (Atomics.compareExchange(ints, STATE_SIGNALS, word, (word & ABORTED_BIT) | hungry) === word) return word & HUNGER_MASK;
  }
}

/** Claim one unit of hunger (true: this worker is to yield its chunk's rest to a hungry one). Never after an abort. */
export function claimHunger(ints: Int32Array): boolean {
  for (;;) {
    const word = Atomics.load(ints, STATE_SIGNALS);
    if ((word & ABORTED_BIT) !== 0 || (word & HUNGER_MASK) === 0) return false;
    if (Atomics.compareExchange(ints, STATE_SIGNALS, word, word - 1) === word) return true;
  }
}
