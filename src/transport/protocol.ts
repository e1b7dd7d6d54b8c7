/**
 * The messages between the dispatcher and the batch worker: one request per chunk, one response per chunk.
 * No per-item wrapper objects: items travel as one array (or one typed array, transferred), results likewise.
 */
import type { TaskSpec } from '../task.ts';
import type { ErrorEnvelope } from './envelope.ts';

/** A chunk of items, as sent to a worker. */
export interface ChunkMessage {
  task: TaskSpec;
  /** Input index of the first item; item k of the chunk is input item `start + k`. */
  start: number;
  /** The items. A Float64Array when every item of the chunk is a number (moved, not cloned). */
  items: unknown[] | Float64Array;
  /**
   * Shared run control: `[CONTROL_ABORTED]` is set to 1 when the run is stopped (workers stop between items and
   * the task's `ctx.signal` fires); workers add 1 to `[CONTROL_LOADED]` when they have loaded the task.
   */
  control: Int32Array;
  /**
   * Check that every result can be cloned before replying, failing just the items whose result cannot (set for
   * chunks being isolated after a failure; an uncloneable result otherwise kills the worker while replying).
   */
  verify: boolean;
  /** The run has a host object: the worker sets `ctx.host` to its Remote. */
  host: boolean;
  /** Identifies the run, so a worker keeps one task-facing AbortSignal (and host Remote) per run. */
  runId: number;
  /**
   * Progress slot of this chunk in the run's shared progress arrays: before running item k the worker stores
   * `slotItem[slot] = k` (and, when `timed`, `slotStartedAt[slot] = epoch ms` first). The dispatcher reads them to
   * enforce per-item run-time deadlines and to know which item was running when a worker died.
   */
  timed: boolean;
  slot: number;
  slotItem: Int32Array;
  slotStartedAt: Float64Array;
}

/** What a worker returns for a chunk. */
export interface ChunkReply {
  /** Worker thread id. */
  threadId: number;
  /** Results by position in the chunk; a Float64Array when every result is a number. Holes where `errors` say. */
  values: unknown[] | Float64Array;
  /** Per-item failures: `[positionInChunk, envelope]` pairs; empty when all succeeded. */
  errors: Array<[number, ErrorEnvelope]>;
  /** Items actually run (fewer than sent when the run was aborted mid-chunk). */
  ran: number;
  /** In-worker wall time of the chunk's items, in milliseconds. */
  runMs: number;
  /** V8 heap used / heap size limit after the chunk. */
  heapUsed: number;
  heapLimit: number;
  /** True when this was the first chunk this worker ran (includes module load and warm-up). */
  cold: boolean;
  /** Set when the task could not be loaded; no item was run. */
  loadError?: ErrorEnvelope;
}

/** Index of the abort flag in {@link ChunkMessage.control}. */
export const CONTROL_ABORTED = 0;
/** Index of the count of successful task loads in {@link ChunkMessage.control} (tells start-up crashes apart). */
export const CONTROL_LOADED = 1;
/** Length of the control array. */
export const CONTROL_LENGTH = 2;
