/**
 * Packing items and results for the trip between threads. A chunk whose values are all numbers becomes one
 * Float64Array (NaN, -0 and infinities survive); records of one shape become columns, strings one text column,
 * arrays (vectors, pairs, tuples, rows) a column per position or one list of their elements, Maps and Sets their
 * entries end to end (see records.ts and record-lists.ts); typed arrays of one class become one buffer of their bytes (views.ts). All are moved to the other thread instead
 * of cloned element by element. Anything else is cloned as it is.
 */
import { isPackedRecords, packRecords, recordReader, unpackRecords, type PackedRecords } from './records.ts';
import { isPackedViews, packViews, unpackViews, viewsReader, type PackedViews } from './views.ts';

/** A Float64Array of the values when every one is a number (and there are at least 8), else null. */
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

/** What values travel as: as they are, a Float64Array of numbers, or records as columns. */
export type Payload = unknown[] | Float64Array | PackedRecords | PackedViews;

/**
 * Pack values for the trip: numbers or records when they fit, else null (send them as they are). Never throws: a
 * value that throws when read (a getter, a revoked Proxy) leaves the values to structured clone, whose failure names
 * the item.
 */
export function packValues(values: ArrayLike<unknown>): { payload: Float64Array | PackedRecords | PackedViews; transfer: ArrayBuffer[] } | null {
  const numbers = packNumbers(values);
  if (numbers) return { payload: numbers, transfer: [numbers.buffer as ArrayBuffer] };
  try {
    const packed = packRecords(values) ?? packViews(values);
    return packed ? { payload: packed.packed, transfer: packed.transfer } : null;
  } catch {
    return null;
  }
}

/** True for a payload packed as records or typed arrays (read it with {@link payloadReader}). */
export function isPackedPayload(payload: unknown): payload is PackedRecords | PackedViews {
  return isPackedRecords(payload) || isPackedViews(payload);
}

/** The values of a payload as an array-like (records are all rebuilt: for the side that keeps them). */
export function unpackValues(payload: Payload): ArrayLike<unknown> {
  if (isPackedRecords(payload)) return unpackRecords(payload);
  return isPackedViews(payload) ? unpackViews(payload) : payload;
}

/** Read a payload item by item without unpacking it first (records are rebuilt as they are asked for). */
export function payloadReader(payload: Payload): { length: number; at: (k: number) => unknown } {
  if (isPackedRecords(payload)) return recordReader(payload);
  if (isPackedViews(payload)) return viewsReader(payload);
  return { length: payload.length, at: (k) => payload[k] };
}
