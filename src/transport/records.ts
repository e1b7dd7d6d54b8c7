/**
 * The records codec: an array of plain objects of one shape (same keys, same order) travels as columns instead of
 * being structured-cloned object by object. Numbers go into a Float64Array, booleans into a Uint8Array, strings
 * into one buffer of UTF-16 code units (a Uint8Array when every unit is below 256, else a Uint16Array: every JS
 * string survives exactly, lone surrogates included) with one Uint32Array of end offsets. A column whose values
 * are of mixed kinds (or objects, null, undefined) stays a plain array and is cloned as usual. The buffers are
 * moved, not copied, to the other thread, which rebuilds each record only when it is needed (`recordAt`).
 *
 * The work per record is one pass of code compiled for the shape (record-shapes.ts): a shape check (prototype,
 * then the own keys in order), then each field read by name into its column; each string column's text is then
 * written by one native call. Anything irregular (a class instance, an array, a record with other keys or another
 * key order, a key that cannot be an object-literal property) makes `packRecords` answer null, and the caller falls
 * back to structured clone, so what arrives is always what structured clone would have delivered. An array of
 * strings travels the same way, as one string column of the strings themselves (`bare`).
 */
import { TextSink } from './text-sink.ts';
import { bareStrings, encoderFor, FITTED, MISFIT, readerFor, type ColumnKind } from './record-shapes.ts';

/** A column of one field across the records of a chunk. */
export type Column =
  | { readonly type: 'number'; readonly data: Float64Array }
  | { readonly type: 'boolean'; readonly data: Uint8Array }
  | { readonly type: 'string'; readonly data: Uint8Array | Uint16Array; readonly offsets: Uint32Array }
  | { readonly type: 'any'; readonly data: unknown[] };

/** Records of one shape, as columns. */
export interface PackedRecords {
  readonly kind: 'records';
  readonly length: number;
  readonly keys: readonly string[];
  readonly columns: readonly Column[];
  /** Strings, not records: one string column (the values themselves), no keys. */
  readonly bare?: true;
}

/** Fewer records than this are cloned as they are (the columns would not pay for themselves). */
export const MIN_PACKED_RECORDS = 8;

const OBJECT_PROTO = Object.prototype;

/** The own enumerable keys of `value` when it is a plain object, else null. */
export function plainKeys(value: unknown): string[] | null {
  if (typeof value !== 'object' || value === null) return null;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== OBJECT_PROTO && proto !== null) return null;
  const keys = Object.keys(value);
  // Symbol keys are dropped by structured clone too; a '__proto__' own key cannot be rebuilt by a literal.
  for (const k of keys) if (k === '__proto__') return null;
  return keys;
}

/** Kind of a value for column purposes. */
export function kindOf(v: unknown): ColumnKind {
  const t = typeof v;
  return t === 'number' || t === 'boolean' || t === 'string' ? t : 'any';
}

/** Fresh column buffers for `n` records of these kinds (string columns: their offsets). */
function columnBuffers(kinds: readonly ColumnKind[], n: number): unknown[] {
  return kinds.map((kind) =>
    kind === 'number' ? new Float64Array(n) : kind === 'boolean' ? new Uint8Array(n) : kind === 'string' ? new Uint32Array(n + 1) : [],
  );
}

/**
 * Pack `values[from..to)` as columns, or null when they are not records of one shape (or too few). Returns the
 * packed form and the buffers to move with it.
 */
export function packRecords(values: ArrayLike<unknown>, from = 0, to = values.length): { packed: PackedRecords; transfer: ArrayBuffer[] } | null {
  const n = to - from;
  if (n < MIN_PACKED_RECORDS) return null;
  if (typeof values[from] === 'string') return packStrings(values, from, to);
  const keys = plainKeys(values[from]);
  if (keys === null || keys.length === 0) return null;
  const first = values[from] as Record<string, unknown>;
  const kinds = keys.map((k) => kindOf(first[k]));
  // A column found holding a value of another kind is cloned instead, and the chunk encoded again (at most once
  // per column).
  for (;;) {
    if (kinds.every((k) => k === 'any')) return null;
    const cols = columnBuffers(kinds, n);
    const texts = kinds.map((kind, c) => (kind === 'string' ? new TextSink(c) : null)) as TextSink[];
    const answer = encoderFor(keys, kinds)(values, from, to, cols, texts);
    if (answer === MISFIT) return null;
    if (answer !== FITTED) {
      kinds[answer] = 'any';
      continue;
    }
    return finish(keys, kinds, cols, texts, values, from, to);
  }
}

/** Strings as one text column (null when one of them is not a string, or wide text cannot travel as units). */
function packStrings(values: ArrayLike<unknown>, from: number, to: number): { packed: PackedRecords; transfer: ArrayBuffer[] } | null {
  const offsets = new Uint32Array(to - from + 1);
  const text = new TextSink(0);
  if (bareStrings.encoder(values, from, to, [offsets], [text]) !== FITTED) return null;
  const data = text.finish();
  if (data === null) return null;
  const columns: Column[] = [{ type: 'string', data, offsets }];
  return { packed: { kind: 'records', length: to - from, keys: [], columns, bare: true }, transfer: [data.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer] };
}

/** The packed form from filled column buffers: each string column's text written into its own buffer. */
function finish(
  keys: string[],
  kinds: ColumnKind[],
  cols: unknown[],
  texts: TextSink[],
  values: ArrayLike<unknown>,
  from: number,
  to: number,
): { packed: PackedRecords; transfer: ArrayBuffer[] } {
  const columns: Column[] = [];
  const transfer: ArrayBuffer[] = [];
  for (let c = 0; c < keys.length; c++) {
    const kind = kinds[c]!;
    if (kind === 'string') {
      const offsets = cols[c] as Uint32Array;
      const data = texts[c]!.finish();
      if (data === null) {
        // Beyond Latin-1 on a big-endian machine: this column is cloned.
        kinds[c] = 'any';
        columns.push({ type: 'any', data: pluck(values, from, to, keys[c]!) });
        continue;
      }
      columns.push({ type: 'string', data, offsets });
      transfer.push(data.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer);
    } else if (kind === 'any') {
      columns.push({ type: 'any', data: cols[c] as unknown[] });
    } else {
      const data = cols[c] as Float64Array | Uint8Array;
      columns.push(kind === 'number' ? { type: 'number', data: data as Float64Array } : { type: 'boolean', data: data as Uint8Array });
      transfer.push(data.buffer as ArrayBuffer);
    }
  }
  return { packed: { kind: 'records', length: to - from, keys, columns }, transfer };
}

function pluck(values: ArrayLike<unknown>, from: number, to: number, key: string): unknown[] {
  const out: unknown[] = [];
  for (let i = from; i < to; i++) out.push((values[i] as Record<string, unknown>)[key]);
  return out;
}

/** True for a value `packRecords` produced (after it crossed a thread, so by shape, not by prototype). */
export function isPackedRecords(value: unknown): value is PackedRecords {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'records' && !Array.isArray(value);
}

/** Rebuilds records one by one from their columns. */
export interface RecordReader {
  readonly length: number;
  /** Record `k` (a new plain object with the original keys in the original order), or string `k`. */
  at(k: number): unknown;
}

const latin1 = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
const utf16 = (data: Uint16Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf16le');

/** A reader over packed records: each string column is decoded into one string once; records are built on demand. */
export function recordReader(packed: PackedRecords): RecordReader {
  const kinds = packed.columns.map((c) => c.type);
  const cols: unknown[] = [];
  const texts: string[] = [];
  for (const column of packed.columns) {
    if (column.type === 'string') {
      texts.push(column.data instanceof Uint8Array ? latin1(column.data) : utf16(column.data));
      cols.push(column.offsets);
    } else {
      texts.push('');
      cols.push(column.data);
    }
  }
  return { length: packed.length, at: (packed.bare === true ? bareStrings.reader : readerFor(packed.keys, kinds))(cols, texts) };
}

/** Every record (or string), as an array (for the side that needs them all at once). */
export function unpackRecords(packed: PackedRecords): unknown[] {
  const { length, at } = recordReader(packed);
  const out: unknown[] = [];
  for (let k = 0; k < length; k++) out.push(at(k));
  return out;
}
