/**
 * The chunk-size seam: a policy sees every completed chunk with its measurements and answers "how many items
 * next". The dispatcher owns threads, queues and ordering; a policy is pure arithmetic, tested without threads.
 * Internal: the runtime runs the adaptive policy (adaptive.ts), or the fixed one (fixed.ts) for `chunkSize`.
 */
import type { TraceEntry } from './adaptive.ts';

/** What the dispatcher tells a policy about one finished (or failed) chunk. */
export interface ChunkCompletion {
  /** Items in the chunk. */
  items: number;
  /** Wall time the worker spent running the chunk's items, in milliseconds (in-worker, not the round trip). */
  runMs: number;
  /** Round trip from dispatch to result on the main thread, in milliseconds. */
  roundTripMs: number;
  /** Worker heap used / heap limit after the chunk (0..1). */
  heapRatio: number;
  /** Which worker ran it (a small integer, stable for the worker's life). */
  workerId: number;
  /** True for the first chunk a worker ran (module load and JIT warm-up inflate it). */
  cold: boolean;
  /** How the chunk ended. */
  outcome: 'ok' | 'oom' | 'crash' | 'timeout';
}

/** What the dispatcher asks before forming a chunk. */
export interface ChunkRequest {
  /** Items known to remain (not yet dispatched), or null when the source length is unknown. */
  remaining: number | null;
  /** Chunks currently in flight. */
  inFlight: number;
  /** Worker threads in the pool. */
  threads: number;
  /** Time since the run started, in milliseconds. */
  elapsedMs: number;
}

/** A chunk-size policy. */
export interface ChunkPolicy {
  /** Items to put in the next chunk (an integer >= 1). */
  next(request: ChunkRequest): number;
  /** Learn from a finished chunk. */
  observe(completion: ChunkCompletion): void;
  /** How many chunks may be in flight at once (the dispatcher never exceeds it). */
  maxInFlight(threads: number): number;
  /** Optional: the main thread's own memory pressure (0..1), sampled by the dispatcher. */
  setMainPressure?(ratio: number): void;
  /** Optional: the policy's decisions so far, as plain JSON objects, for the run's trace. */
  trace?(): TraceEntry[];
  /** Optional: the mean cost per item measured on warm workers (ms), or null before one: sent with each chunk. */
  warmCostMs?(): number | null;
}
