/**
 * What travels through Redis: a chunk job (task identity + items) and its reply. Items and results are encoded
 * with V8's serializer, the structured clone a local run uses between threads, so a cluster run takes and gives
 * back exactly what a local one does (Dates, Maps, typed arrays, BigInts, undefined, NaN...).
 */
import { deserialize, serialize } from 'node:v8';
import type { ErrorEnvelope } from '../transport/envelope.ts';

/** Names a task the way every machine can check it: module path, export, and the module file's sha256. */
export interface TaskIdentity {
  /** Absolute path on the producer's machine. */
  path: string;
  /** The path relative to the producer's working directory (null when outside it): found under a worker's roots. */
  relative: string | null;
  exportName: string;
  /** sha256 of the module file, hex. */
  sha256: string;
}

/** The data of one chunk job. */
export interface ChunkJobData {
  /** Format version of this record. */
  v: 1;
  /** The run (producer-side map) the chunk belongs to. */
  run: string;
  task: TaskIdentity;
  /** Per-item deadline, ms. */
  timeout?: number;
  /** Items, V8-serialized, base64 (job data is stored as JSON): an array, or a Float64Array when all are numbers. */
  items: string;
  /** Number of items (for `info` and logs without decoding). */
  count: number;
}

/** A worker's answer to a chunk job, pushed to the run's result list. */
export type ChunkJobReply =
  | {
      kind: 'ok';
      job: string;
      /** Results by position (a Float64Array when all are numbers); holes (or any number) where `errors` say. */
      values: unknown[] | Float64Array;
      /** Per-item failures: the task's own error, or the ItemError the worker's runtime decided (crash, OOM, timeout). */
      errors: Array<[number, ErrorEnvelope]>;
      ran: number;
      runMs: number;
      heapRatio: number;
      /** Small number naming the worker process (stable for its life). */
      worker: number;
      /** First job of this task on that worker (module load and warm-up inflate it). */
      cold: boolean;
    }
  | { kind: 'mismatch'; job: string; host: string; path: string; reason: string }
  | { kind: 'load'; job: string; host: string; error: ErrorEnvelope };

/**
 * Encode items for a job: an array, or numbers as a Float64Array (8 bytes each, copied as a block both ways rather
 * than value by value). Throws a `DataCloneError` for an item that cannot be cloned.
 */
export function encodeItems(items: ArrayLike<unknown>): string {
  const array = items instanceof Float64Array ? ownBuffer(items) : Array.isArray(items) ? items : Array.from(items);
  try {
    return serialize(array).toString('base64');
  } catch (error) {
    const clone = new Error(String((error as Error)?.message ?? error));
    clone.name = 'DataCloneError';
    throw clone;
  }
}

/** Decode a job's items: an array, or a Float64Array of numbers. */
export function decodeItems(encoded: string): unknown[] | Float64Array {
  const items: unknown = deserialize(Buffer.from(encoded, 'base64'));
  if (!Array.isArray(items) && !(items instanceof Float64Array)) throw new TypeError('the job holds no item array');
  return items;
}

/** A view that owns its whole (unshared) buffer: the serializer writes a view's entire buffer, so a part is copied. */
function ownBuffer(view: Float64Array): Float64Array {
  const whole = view.byteOffset === 0 && view.buffer.byteLength === view.byteLength && !(view.buffer instanceof SharedArrayBuffer);
  return whole ? view : view.slice();
}

/** Encode a reply (a Buffer pushed to Redis as is). */
export function encodeReply(reply: ChunkJobReply): Buffer {
  return serialize(reply);
}

/** Decode a reply; undefined for bytes that are not one (another program's push). */
export function decodeReply(bytes: Buffer): ChunkJobReply | undefined {
  try {
    const reply = deserialize(bytes) as ChunkJobReply | null;
    return reply && typeof reply === 'object' && typeof reply.job === 'string' ? reply : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refresh the worker's description (KEYS[3], ARGV[3..6]: what `registry.announce` writes) and push a reply
 * (ARGV[1]) only while its run is alive (KEYS[1]), atomically, so a finished or cancelled run leaves no result list
 * (KEYS[2], TTL ARGV[2]), and `info` counts a job as soon as its producer can see the reply: one round trip.
 */
export const PUSH_IF_ALIVE = `redis.call('set', KEYS[3], ARGV[3], 'PX', ARGV[4]); redis.call('zadd', KEYS[4], ARGV[5], ARGV[6])
if redis.call('exists', KEYS[1]) == 1 then
  redis.call('rpush', KEYS[2], ARGV[1]); redis.call('pexpire', KEYS[2], ARGV[2]); return 1 end
return 0`;
