/**
 * The records codec: an array of plain objects of one shape (same keys, same order) travels as columns instead of
 * being structured-cloned object by object. Numbers go into a Float64Array, booleans into a Uint8Array, Dates
 * into a Float64Array of their time values (rebuilt as plain Dates, as structured clone does), strings into one
 * buffer of UTF-16 code units (a Uint8Array when every unit is below 256, else a Uint16Array: every JS string
 * survives exactly, lone surrogates included) with one Uint32Array of end offsets. A column whose values are
 * records of one shape themselves (`{ id, pos: { x, y } }`) is packed the same way, to MAX_NESTING levels; a
 * column of plain arrays is packed as tuples when they have one length (see below), else, when each has at most
 * MAX_LIST_LENGTH elements and their elements, end to end, are numbers, strings or records of one shape, as a
 * list (the elements, and where each array ends); a column of Maps or Sets, as their entries end to end the same
 * way (lists and collections: record-lists.ts). A column of typed arrays of one class goes as their bytes end to
 * end (views.ts: each arrives as a view into one buffer). A column of anything else (mixed kinds, null, undefined,
 * instances of built-ins) stays a plain array and is cloned as usual. The buffers are moved, not copied, to the
 * other thread, which rebuilds each record only when it is needed. Instances of the caller's own classes count as
 * records (structured clone, too, delivers them as plain objects of their own enumerable fields: see plainLike).
 *
 * The work per record is one pass of code compiled for the shape (record-shapes.ts): a shape check (prototype,
 * then the own keys in order), then each field read by name into its column; each string column's text is then
 * written by one native call. Anything irregular (an instance of a built-in, a record with other keys or another
 * key order, a key that cannot be an object-literal property) makes `packRecords` answer null, and the caller
 * falls back to structured clone, so what arrives is what structured clone would have delivered (typed arrays
 * aside: views). An array of strings travels the same way, as one string column of the strings themselves
 * (`bare`); so does an array of arrays (vectors, pairs, rows: items or results that are arrays): as tuples when
 * they all have one length of at most MAX_TUPLE_LENGTH (each position a column, like a record's keys '0', '1', …,
 * rebuilt by one array literal: the tuple `[id, text]` needs no list's single kind), else as one list with no keys;
 * and an array of Maps or Sets, as their entries.
 *
 * Two known differences from structured clone, both of values it cannot tell apart cheaply: a Proxy of a record or
 * an array is read through its traps (structured clone refuses it with a DataCloneError), and an object or array
 * referenced twice in one chunk arrives as two copies (structured clone keeps one; a cycle ends after MAX_NESTING
 * levels as cloned values).
 */
import { borrowRefs, returnRefs } from './scratch-refs.ts';
import { TextSink } from './text-sink.ts';
import { kindOf, plainKeys } from './record-kinds.ts';
import { packViews, viewsReader, type PackedViews } from './views.ts';
import { collectionReader, collectionType, listReader, packCollections, packList, type PackedCollections, type PackedList } from './record-lists.ts';
import { bareStrings, encoderFor, FITTED, INDEX_KEYS, MAX_SPARSE_KEYS, MAX_TUPLE_LENGTH, MISFIT, readerFor, type ColumnKind } from './record-shapes.ts';

/** A column of one field across the records of a chunk. */
export type Column =
  | { readonly type: 'number'; readonly data: Float64Array }
  | { readonly type: 'boolean'; readonly data: Uint8Array }
  /** Dates as their time values (NaN for an invalid date), rebuilt as plain Dates. */
  | { readonly type: 'date'; readonly data: Float64Array }
  | { readonly type: 'string'; readonly data: Uint8Array | Uint16Array; readonly offsets: Uint32Array }
  | {
      readonly type: 'any';
      readonly data: unknown[];
      /** The column's values when they are records of one shape themselves (or strings): packed, and `data` empty. */
      readonly packed?: PackedRecords;
      /** The column's values when they are arrays whose elements pack: packed end to end, and `data` empty. */
      readonly list?: PackedList;
      /** The column's values when they are Maps or Sets whose entries pack: packed end to end, and `data` empty. */
      readonly collections?: PackedCollections;
      /** The column's values when they are typed arrays of one class: their bytes end to end, and `data` empty. */
      readonly views?: PackedViews;
    };

/** Records of one shape, as columns. */
export interface PackedRecords {
  readonly kind: 'records';
  readonly length: number;
  readonly keys: readonly string[];
  readonly columns: readonly Column[];
  /** No keys: strings (one string column of the values themselves) or arrays (one list column of them). */
  readonly bare?: true;
  /**
   * Records of several shapes that are all some of `keys`, in that order (optional keys): per record, the mask of
   * the keys it has (bit c: key c). An absent key is not rebuilt.
   */
  readonly masks?: Uint32Array;
  /** Tuples: plain arrays with keys '0', '1', …, each position of one kind (`[id, text]`), rebuilt as arrays. */
  readonly tuple?: true;
}

/** Fewer records than this are cloned as they are (the columns would not pay for themselves). */
export const MIN_PACKED_RECORDS = 8;

/**
 * Levels of records inside records packed as columns (`{ id, pos: { x, y } }`: the `pos` column is packed records
 * of its own); deeper values are cloned. The limit also ends a cycle (a record that holds itself).
 */
export const MAX_NESTING = 3;

/**
 * Column buffers for `n` records of these kinds (string columns: their offsets): fresh typed arrays, and a scratch
 * array for each 'any' column (given back by {@link returnColumns}: the only plain arrays among them).
 */
function columnBuffers(kinds: readonly ColumnKind[], n: number): unknown[] {
  return kinds.map((kind) =>
    kind === 'number' || kind === 'date'
      ? new Float64Array(n)
      : kind === 'boolean'
        ? new Uint8Array(n)
        : kind === 'string'
          ? new Uint32Array(n + 1)
          : borrowRefs(),
  );
}

/** Give back the scratch arrays among column buffers (they hold at most `n` values). */
function returnColumns(cols: readonly unknown[], n: number): void {
  for (const col of cols) if (Array.isArray(col)) returnRefs(col, n);
}

/**
 * Pack `values[from..to)` as columns, or null when they are not records of one shape (or too few). Returns the
 * packed form and the buffers to move with it.
 */
export function packRecords(values: ArrayLike<unknown>, from = 0, to = values.length, depth = 0): { packed: PackedRecords; transfer: ArrayBuffer[] } | null {
  const n = to - from;
  // A few arrays may still be a list worth packing (long rows: see packList); a few of anything else are cloned.
  if (n < MIN_PACKED_RECORDS) return n > 0 && Array.isArray(values[from]) ? packArrays(values, from, to, depth) : null;
  if (typeof values[from] === 'string') return packStrings(values, from, to);
  if (Array.isArray(values[from])) return packArrays(values, from, to, depth);
  if (collectionType(values[from]) !== null) return packBareCollections(values, from, to, depth);
  const keys = plainKeys(values[from]);
  if (keys === null || keys.length === 0) return null;
  const first = values[from] as Record<string, unknown>;
  const strict = encodeAs(keys, keys.map((k) => kindOf(first[k])), 'strict', values, from, to, depth);
  if (strict !== MISFIT) return strict;
  // Records of several shapes: as one sparse shape of every key they have, if their keys come in one order. The
  // union found last for this first shape is tried first (chunks of one input repeat it).
  const id = JSON.stringify(keys);
  const known = unions.get(id);
  if (known !== undefined) {
    const sparse = encodeAs(known.keys, [...known.kinds], 'sparse', values, from, to, depth);
    if (sparse !== MISFIT) return sparse;
  }
  const union = unionOf(values, from, to);
  if (union === null) return null;
  if (unions.size >= UNIONS) unions.delete(unions.keys().next().value!);
  unions.set(id, union);
  const sparse = encodeAs(union.keys, [...union.kinds], 'sparse', values, from, to, depth);
  return sparse === MISFIT ? null : sparse;
}

/** The last key unions found, by the keys of a chunk's first record (a few inputs at a time). */
const unions = new Map<string, { keys: string[]; kinds: ColumnKind[] }>();
const UNIONS = 16;

/**
 * Every key of the records, in an order each record's keys follow (with the kind of its first value), or null: a
 * value that is not a plain object, two records with keys in opposite orders, more than MAX_SPARSE_KEYS keys.
 */
function unionOf(values: ArrayLike<unknown>, from: number, to: number): { keys: string[]; kinds: ColumnKind[] } | null {
  const keys: string[] = [];
  const kinds: ColumnKind[] = [];
  for (let i = from; i < to; i++) {
    const r = values[i] as Record<string, unknown>;
    const own = plainKeys(r);
    if (own === null) return null;
    let j = 0;
    for (const k of own) {
      const at = keys.indexOf(k, j);
      if (at >= 0) {
        j = at + 1;
        continue;
      }
      if (keys.lastIndexOf(k, j - 1) >= 0) return null; // before the keys already matched: another order
      if (keys.length === MAX_SPARSE_KEYS) return null;
      keys.splice(j, 0, k);
      kinds.splice(j, 0, kindOf(r[k]));
      j++;
    }
  }
  return { keys, kinds };
}

/**
 * Encode as this shape: a column found holding a value of another kind is cloned instead, and the chunk encoded
 * again (at most once per column). MISFIT when a record is not of the shape; null when nothing went into columns
 * (every field cloned as it is: the records are then cloned as they are).
 */
function encodeAs(
  keys: string[],
  kinds: ColumnKind[],
  mode: 'strict' | 'sparse' | 'tuple',
  values: ArrayLike<unknown>,
  from: number,
  to: number,
  depth: number,
): { packed: PackedRecords; transfer: ArrayBuffer[] } | null | typeof MISFIT {
  const n = to - from;
  const sparse = mode === 'sparse';
  for (;;) {
    const cols = columnBuffers(kinds, n);
    const masks = sparse ? new Uint32Array(n) : undefined;
    if (masks) cols.push(masks);
    const texts = kinds.map((kind, c) => (kind === 'string' ? new TextSink(c) : null)) as TextSink[];
    const answer = encoderFor(keys, kinds, sparse, mode === 'tuple')(values, from, to, cols, texts, Object.getPrototypeOf(values[from]) as object);
    if (answer !== FITTED) returnColumns(cols, n);
    if (answer === MISFIT) return MISFIT;
    if (answer !== FITTED) {
      kinds[answer] = 'any';
      continue;
    }
    const packed = finish(keys, kinds, cols, texts, values, from, to, depth);
    returnColumns(cols, n);
    // Nothing went into columns (every field cloned as it is): the records are cloned as they are.
    if (packed.packed.columns.every((c) => c.type === 'any' && c.packed === undefined && c.list === undefined && c.views === undefined && c.collections === undefined)) return null;
    if (mode === 'tuple') return { packed: { ...packed.packed, tuple: true }, transfer: packed.transfer };
    if (masks === undefined) return packed;
    packed.transfer.push(masks.buffer as ArrayBuffer);
    return { packed: { ...packed.packed, masks }, transfer: packed.transfer };
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
  depth: number,
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
      // Values that are records of one shape themselves (nested objects) are packed in turn: cloning objects costs
      // more per record, on both threads, than a small task.
      // A scratch array: its values are [0, n).
      const data = cols[c] as unknown[];
      const n = to - from;
      const deep = depth >= MAX_NESTING;
      // Typed arrays (`{ id, bytes }`) go as their bytes end to end; Maps and Sets as their entries.
      const views = packViews(data, 0, n);
      if (views !== null) {
        columns.push({ type: 'any', data: [], views: views.packed });
        transfer.push(...views.transfer);
        continue;
      }
      const collections = deep ? null : packCollections(data, 0, n, depth + 1);
      if (collections !== null) {
        columns.push({ type: 'any', data: [], collections: collections.value });
        transfer.push(...collections.transfer);
        continue;
      }
      // Arrays of one length go as tuples; others straight to a list column (packRecords would wrap the same list in
      // a record of no keys).
      const arrays = Array.isArray(data[0]);
      const nested = deep ? null : arrays ? packTuples(data, 0, n, depth + 1) : packRecords(data, 0, n, depth + 1);
      const list = nested === null && arrays && !deep ? packList(data, 0, n, depth + 1) : null;
      if (nested !== null) {
        columns.push({ type: 'any', data: [], packed: nested.packed });
        transfer.push(...nested.transfer);
      } else if (list !== null) {
        columns.push({ type: 'any', data: [], list: list.value });
        transfer.push(...list.transfer);
      } else columns.push({ type: 'any', data: data.slice(0, n) });
    } else {
      const data = cols[c] as Float64Array | Uint8Array;
      columns.push(kind === 'boolean' ? { type: 'boolean', data: data as Uint8Array } : { type: kind as 'number' | 'date', data: data as Float64Array });
      transfer.push(data.buffer as ArrayBuffer);
    }
  }
  return { packed: { kind: 'records', length: to - from, keys, columns }, transfer };
}

/**
 * Arrays (items or results that are arrays: vectors, pairs, rows) as tuples when they have one length (see
 * {@link packTuples}); failing that, as one list with no keys (`bare`).
 */
function packArrays(values: ArrayLike<unknown>, from: number, to: number, depth: number): { packed: PackedRecords; transfer: ArrayBuffer[] } | null {
  if (depth >= MAX_NESTING) return null;
  // Arrays of one short length first as tuples: rebuilt by one array literal each, cheaper than a list's pushes.
  const tuples = packTuples(values, from, to, depth);
  if (tuples !== null) return tuples;
  const list = packList(values, from, to, depth + 1);
  if (list === null) return null;
  const columns: Column[] = [{ type: 'any', data: [], list: list.value }];
  return { packed: { kind: 'records', length: to - from, keys: [], columns, bare: true }, transfer: list.transfer };
}

/** Maps or Sets (items or results) as their entries end to end, in a record with no keys (`bare`). */
function packBareCollections(values: ArrayLike<unknown>, from: number, to: number, depth: number): { packed: PackedRecords; transfer: ArrayBuffer[] } | null {
  if (depth >= MAX_NESTING) return null;
  const collections = packCollections(values, from, to, depth + 1);
  if (collections === null) return null;
  const columns: Column[] = [{ type: 'any', data: [], collections: collections.value }];
  return { packed: { kind: 'records', length: to - from, keys: [], columns, bare: true }, transfer: collections.transfer };
}

/**
 * Tuples (`[id, text]`, pairs, short rows: plain arrays of one length up to MAX_TUPLE_LENGTH), each position a
 * column of its own, or null.
 */
function packTuples(values: ArrayLike<unknown>, from: number, to: number, depth: number): { packed: PackedRecords; transfer: ArrayBuffer[] } | null {
  if (to - from < MIN_PACKED_RECORDS) return null;
  const first = values[from] as unknown[];
  const m = first.length;
  if (m === 0 || m > MAX_TUPLE_LENGTH || Object.getPrototypeOf(first) !== Array.prototype) return null;
  // Arrays of several lengths are a list: found before reading any element.
  for (let i = from + 1; i < to; i++) if ((values[i] as { length?: unknown } | null)?.length !== m) return null;
  const kinds: ColumnKind[] = [];
  for (let c = 0; c < m; c++) kinds.push(kindOf(first[c]));
  const tuples = encodeAs(tupleKeys[m]!, kinds, 'tuple', values, from, to, depth);
  return tuples === MISFIT ? null : tuples;
}

/** The keys of a tuple of m elements ('0' … 'm - 1'), by m. */
const tupleKeys = Array.from({ length: MAX_TUPLE_LENGTH + 1 }, (_, m) => INDEX_KEYS.slice(0, m));

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
  /**
   * Record `k` (a new plain object with the original keys in the original order), string `k`, or array `k`: objects
   * and arrays are built at each call (fresh ones every time), values inside them too.
   */
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
      cols.push(column.type === 'any' ? anyReader(column) : column.data);
    }
  }
  if (packed.masks !== undefined) cols.push(packed.masks);
  if (packed.bare === true && kinds[0] === 'any') return { length: packed.length, at: cols[0] as (k: number) => unknown };
  const maker = packed.bare === true ? bareStrings.reader : readerFor(packed.keys, kinds, packed.masks !== undefined, packed.tuple === true);
  return { length: packed.length, at: maker(cols, texts) };
}

/**
 * A reader of an 'any' column: value k, rebuilt when asked for (records, arrays and typed arrays: nothing of a
 * chunk is built before its item runs, so what a task is done with is garbage by the next scavenge), or as cloned.
 */
function anyReader(column: Extract<Column, { type: 'any' }>): (k: number) => unknown {
  if (column.packed) return recordReader(column.packed).at;
  if (column.list) return listReader(column.list);
  if (column.collections) return collectionReader(column.collections);
  if (column.views) return viewsReader(column.views).at;
  const { data } = column;
  return (k) => data[k];
}

/** Every record (or string), as an array (for the side that needs them all at once). */
export function unpackRecords(packed: PackedRecords): unknown[] {
  const { length, at } = recordReader(packed);
  const out: unknown[] = [];
  for (let k = 0; k < length; k++) out.push(at(k));
  return out;
}
