/**
 * Packing items and results for the trip between threads. A chunk whose values are all numbers becomes one
 * Float64Array (NaN, -0 and infinities survive); records of one shape become columns, and strings one text column
 * (see records.ts). Both are moved to the other thread instead of cloned element by element. Anything else is
 * cloned as it is.
 */
import { isPackedRecords, packRecords, recordReader, unpackRecords, type PackedRecords } from './records.ts';

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
export type Payload = unknown[] | Float64Array | PackedRecords;

/** Pack values for the trip: numbers or records when they fit, else null (send them as they are). */
export function packValues(values: ArrayLike<unknown>): { payload: Float64Array | PackedRecords; transfer: ArrayBuffer[] } | null {
  const numbers = packNumbers(values);
  if (numbers) return { payload: numbers, transfer: [numbers.buffer as ArrayBuffer] };
  const records = packRecords(values);
  return records ? { payload: records.packed, transfer: records.transfer } : null;
}

/** The values of a payload as an array-like (records are all rebuilt: for the side that keeps them). */
export function unpackValues(payload: Payload): ArrayLike<unknown> {
  return isPackedRecords(payload) ? unpackRecords(payload) : payload;
}

/** Read a payload item by item without unpacking it first (records are rebuilt as they are asked for). */
export function payloadReader(payload: Payload): { length: number; at: (k: number) => unknown } {
  if (isPackedRecords(payload)) return recordReader(payload);
  return { length: payload.length, at: (k) => payload[k] };
}
