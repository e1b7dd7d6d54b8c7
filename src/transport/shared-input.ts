/**
 * Shared-memory input for numbers: a typed array, or a plain array whose every element is a number, is copied once
 * into a SharedArrayBuffer when the map starts, and chunks travel as views over it (a view over shared memory
 * crosses threads without a copy). The copy is taken at call time even when the caller's array is already backed
 * by a SharedArrayBuffer: a caller that keeps writing to its array after the call cannot change the results.
 * Numeric results go the other way through a shared Float64Array indexed by input index.
 */
import type { ItemArray } from './protocol.ts';
import { TYPED_ARRAYS } from './typed-arrays.ts';

type ItemArrayConstructor = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => ItemArray;

/** Where shared memory comes from (a runtime's shelf of spares, see buffer-shelf.ts); contents may be stale. */
export type SharedAlloc = (bytes: number) => SharedArrayBuffer;

/** Fresh shared memory (zeroed), where no runtime lends its spares. */
export const freshShared: SharedAlloc = (bytes) => new SharedArrayBuffer(bytes);

const CONSTRUCTORS: Record<string, ItemArrayConstructor> = TYPED_ARRAYS;

/** The constructor of a typed array we can share (any built-in one; a subclass is shared as its base). */
function itemArrayConstructor(value: ArrayBufferView): ItemArrayConstructor | null {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return Object.hasOwn(CONSTRUCTORS, tag) ? CONSTRUCTORS[tag]! : null;
}

/** True for a typed array whose memory is a SharedArrayBuffer (a message carries it without copying). */
export function isSharedView(value: unknown): value is ItemArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && value.buffer instanceof SharedArrayBuffer;
}

/**
 * A snapshot of `items` in shared memory, or null when they are not numbers: a typed array keeps its element type;
 * an array of numbers only (no holes) becomes a Float64Array (every JS number, NaN and -0 included, survives).
 */
export function sharedSnapshot(items: unknown, alloc: SharedAlloc = freshShared): ItemArray | null {
  if (ArrayBuffer.isView(items)) {
    if (items instanceof DataView) return null;
    const Ctor = itemArrayConstructor(items);
    if (Ctor === null) return null;
    const source = items as ItemArray;
    const copy = new Ctor(alloc(source.byteLength), 0, source.length);
    (copy as unknown as { set(from: ArrayLike<unknown>): void }).set(source);
    return copy;
  }
  if (!Array.isArray(items)) return null;
  const n = items.length;
  // Not numbers at the first item: no memory taken (a runtime's spare would be held for nothing).
  if (n === 0 || typeof items[0] !== 'number') return null;
  const copy = new Float64Array(alloc(n * 8), 0, n);
  for (let i = 0; i < n; i++) {
    const v: unknown = items[i];
    if (typeof v !== 'number') return null;
    copy[i] = v;
  }
  return copy;
}

/** A shared output for `n` numeric results (each written by the worker that runs its item; stale until then). */
export function sharedOutput(n: number, alloc: SharedAlloc = freshShared): Float64Array {
  return new Float64Array(alloc(Math.max(1, n) * 8), 0, Math.max(1, n));
}
