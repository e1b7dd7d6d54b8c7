/**
 * Typed arrays as items or results (buffers of bytes, samples, pixels): typed arrays of one class across a chunk
 * travel as the bytes of every array end to end in one buffer, moved to the other thread, with where each one ends.
 * Structured clone would serialize each array on its own (the whole buffer a view looks into, each time) and give
 * each a buffer of its own on the other side; a buffer of its own costs ~2.6 µs to allocate on the 2-core machine
 * here (`new Uint8Array(256)`; `node bench/typed-arrays.mjs`), more than many tasks spend on the array. Here the
 * sending thread copies the bytes once, and the receiving thread reads each array as a view into the chunk's one
 * buffer, as Node hands out pooled Buffers: a task may keep, change or return its array, but `array.buffer` holds
 * the whole chunk, so code that reads the buffer must use `byteOffset` and `byteLength` (or `slice()` a copy of its
 * own). The chunk's buffer is marked untransferable, so that a task (or a caller, with results) that transfers one
 * array's buffer to a port cannot empty the others: Node 20 then copies it, later versions refuse with a
 * DataCloneError. An array whose buffer was detached all the same (`ArrayBuffer.prototype.transfer`, Node 22 on)
 * fails as BT_INVALID_INPUT, named. Arrays over shared memory are not packed (structured clone shares them).
 */
import { markAsUntransferable } from 'node:worker_threads';
import { InvalidInputError } from '../base/errors.ts';
import { TYPED_ARRAYS } from './typed-arrays.ts';

/** The typed array classes, by the name a packed chunk carries. */
const CLASSES = TYPED_ARRAYS;

type ClassName = keyof typeof CLASSES;
type AnyTyped = InstanceType<(typeof CLASSES)[ClassName]>;

/** Typed arrays of one class, end to end. */
export interface PackedViews {
  readonly kind: 'views';
  readonly type: ClassName;
  readonly length: number;
  /** The bytes of every array, in order. */
  readonly data: Uint8Array;
  /** Array k is `data` bytes `[ends[k - 1] ?? 0, ends[k])`. */
  readonly ends: Float64Array;
}

/** Fewer arrays than this are cloned as they are. */
const MIN_VIEWS = 8;
/** Bytes one packed chunk may hold (one buffer); more are cloned as they are. */
const MAX_BYTES = 2 ** 31;

/** The class of a typed array (a Buffer's is Uint8Array: it clones as one), or null. */
function classOf(v: unknown): ClassName | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Buffer.prototype) return 'Uint8Array';
  for (const name of Object.keys(CLASSES) as ClassName[]) if (proto === CLASSES[name].prototype) return name;
  return null;
}

/** `values[from..to)` as one buffer when they are typed arrays of one class (at least 8), else null. */
export function packViews(values: ArrayLike<unknown>, from = 0, to = values.length): { packed: PackedViews; transfer: ArrayBuffer[] } | null {
  const n = to - from;
  if (n < MIN_VIEWS) return null;
  const first = values[from];
  const type = classOf(first);
  if (type === null) return null;
  const proto: unknown = Object.getPrototypeOf(first);
  const ends = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const v = values[from + k] as AnyTyped;
    // The first one's class exactly (a subclass or a Buffer among Uint8Arrays: cloned as they are), and not over
    // shared memory (structured clone shares it).
    if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== proto || !(v.buffer instanceof ArrayBuffer)) return null;
    total += v.byteLength;
    if (total > MAX_BYTES) return null;
    ends[k] = total;
  }
  const data = new Uint8Array(total);
  if (type === 'Uint8Array') copyBytes(data, values, from, to);
  else copyElements(new CLASSES[type](data.buffer) as AnyTyped, values, from, to);
  return { packed: { kind: 'views', type, length: n, data, ends }, transfer: [data.buffer as ArrayBuffer, ends.buffer as ArrayBuffer] };
}

/**
 * Byte arrays end to end into `data` (the commonest class, in a loop of its own: one receiver class at the `set`
 * call, an integer offset; about a fifth cheaper per 256-byte array than one loop for every class).
 */
function copyBytes(data: Uint8Array, values: ArrayLike<unknown>, from: number, to: number): void {
  let at = 0;
  for (let k = from; k < to; k++) {
    const v = values[k] as Uint8Array;
    data.set(v, at);
    at += v.length;
  }
}

/** Arrays of another class end to end into `into` (same class to same class: each set is one copy of bytes). */
function copyElements(into: AnyTyped, values: ArrayLike<unknown>, from: number, to: number): void {
  let at = 0;
  const set = into.set as (this: AnyTyped, v: AnyTyped, at: number) => void;
  for (let k = from; k < to; k++) {
    const v = values[k] as AnyTyped;
    set.call(into, v, at);
    at += v.length;
  }
}

/** True for a value `packViews` produced (after it crossed a thread: by shape). */
export function isPackedViews(value: unknown): value is PackedViews {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'views' && !Array.isArray(value);
}

/** Array k of a packed chunk: a view of its bytes in the chunk's buffer (each is a whole number of elements). */
export function viewsReader(packed: PackedViews): { length: number; at: (k: number) => unknown } {
  const { data, ends } = packed;
  const Class = CLASSES[packed.type] as new (buffer: ArrayBuffer, byteOffset: number, length: number) => AnyTyped;
  const per = CLASSES[packed.type].BYTES_PER_ELEMENT;
  const buffer = data.buffer as ArrayBuffer;
  const base = data.byteOffset;
  const total = ends[packed.length - 1] ?? 0;
  if (buffer.byteLength > 0) markAsUntransferable(buffer);
  return {
    length: packed.length,
    at: (k) => {
      const s = k === 0 ? 0 : ends[k - 1]!;
      if (buffer.byteLength < total) throw detached(k, packed.type);
      return new Class(buffer, base + s, (ends[k]! - s) / per);
    },
  };
}

function detached(k: number, type: string): InvalidInputError {
  return new InvalidInputError(
    `${type} ${k} of its chunk cannot be read: the buffer the chunk's arrays share was detached (ArrayBuffer.prototype.transfer ` +
      'of one of them); typed arrays arrive as views into one buffer per chunk, so slice() an array before detaching its buffer',
  );
}

/** Every array of a packed chunk, as views (for the side that keeps them all). */
export function unpackViews(packed: PackedViews): unknown[] {
  const { length, at } = viewsReader(packed);
  const out: unknown[] = [];
  for (let k = 0; k < length; k++) out.push(at(k));
  return out;
}
