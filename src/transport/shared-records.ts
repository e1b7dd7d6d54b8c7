/**
 * Records of one shape in shared memory, for self-scheduled runs (schedule/claims.ts): the main thread writes them
 * range by range into columns every worker sees, and publishes each range on the claim board once written, so the
 * workers run the first ranges while the main thread still writes the later ones. Nothing is copied per chunk and
 * nothing is moved: a worker reads the records of a range it claimed straight from the columns.
 *
 * The columns are those of records.ts: numbers and Dates (their time values) in a Float64Array, booleans in a
 * Uint8Array, each string column's text as code units with a Uint32Array of offsets (absolute over the whole
 * input). A string column reserves two bytes per unit (a first pass counts the units); each range writes its text
 * one byte per unit while every unit fits in a byte, else two (UTF-16, lone surrogates kept), and says which in its
 * flag. A record that does not fit
 * the shape of the first one (other keys, another key order, a field of another kind) stops the writing at its
 * range: that range and the rest are never published, and go as ordinary chunks.
 *
 * An array of strings is shared the same way, as one string column with no keys (`bare`): each item is its text.
 */
import { freshShared, type SharedAlloc } from './shared-input.ts';
import { bareStrings, encoderFor, FITTED, MAX_TEXT_UNITS, readerFor, textCounterFor, type ColumnKind, type Encoder, type TextOut } from './record-shapes.ts';
import { kindOf, plainKeys } from './record-kinds.ts';
import { BEYOND_LATIN1, LITTLE_ENDIAN } from './text-sink.ts';

/** Fewer records than this are not worth a board of ranges: they go in ordinary chunks. */
export const MIN_SHARED_RECORDS = 64;

/** One column of shared records. */
export type SharedColumn =
  | { readonly type: 'number'; readonly data: Float64Array }
  | { readonly type: 'boolean'; readonly data: Uint8Array }
  | { readonly type: 'date'; readonly data: Float64Array }
  | {
      readonly type: 'string';
      /** Two bytes per unit; range r's text at bytes `2 · offsets[start]` on, one or two bytes per unit. */
      readonly data: Uint8Array;
      readonly offsets: Uint32Array;
      /** Per range: 1 when its text is written two bytes per unit. */
      readonly wide: Uint8Array;
    };

/** The whole input as shared records (what every self-scheduled chunk of the run carries). */
export interface SharedRecords {
  readonly kind: 'shared-records';
  readonly length: number;
  readonly keys: readonly string[];
  readonly columns: readonly SharedColumn[];
  /** The items are strings, not records: one string column, no keys. */
  readonly bare: boolean;
}

/**
 * Whether an array whose first item is `first` may be shared (a string, or a plain object with keys); the writer
 * then checks every item. A cheap test before the array is copied.
 */
export function mayShare(first: unknown): boolean {
  if (typeof first === 'string') return true;
  try {
    const keys = plainKeys(first);
    return keys !== null && keys.length > 0;
  } catch {
    return false; // a revoked Proxy, say: ordinary chunks carry it, and its clone failure names it
  }
}

/** True for a value a {@link SharedRecordWriter} made (after it crossed a thread, so by shape). */
export function isSharedRecords(value: unknown): value is SharedRecords {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'shared-records';
}

/** Per column, a Buffer over a string column's bytes (to write or decode text), null for the others. */
function textBytes(columns: readonly SharedColumn[]): Array<Buffer | null> {
  return columns.map((col) => (col.type === 'string' ? Buffer.from(col.data.buffer, col.data.byteOffset, col.data.byteLength) : null));
}

/** The main thread's side: writes ranges of `values` into the shared columns, in input order. */
export class SharedRecordWriter {
  readonly records: SharedRecords;
  readonly #values: readonly unknown[];
  readonly #bytes: Array<Buffer | null>;
  readonly #encoder: Encoder;
  /** The first record's prototype: class instances of it are admitted beside plain objects (record-kinds.ts). */
  readonly #proto: object;

  /**
   * A writer for `values` cut into `ranges` ranges, or null when they are not worth sharing or cannot be: fewer
   * than MIN_SHARED_RECORDS, not plain objects, a first record with a field that is not a number, a boolean, a
   * string or a Date, or more text in a field than one column holds.
   */
  static open(values: readonly unknown[], ranges: number, alloc: SharedAlloc = freshShared): SharedRecordWriter | null {
    if (values.length < MIN_SHARED_RECORDS) return null;
    if (typeof values[0] === 'string') {
      // Strings: one string column of the items themselves.
      const units = [0];
      bareStrings.counter(values, 0, values.length, units);
      if (units[0]! > MAX_TEXT_UNITS) return null;
      return new SharedRecordWriter(values, [], ['string'], units, ranges, bareStrings.encoder, alloc);
    }
    const keys = plainKeys(values[0]);
    if (keys === null || keys.length === 0) return null;
    const first = values[0] as Record<string, unknown>;
    const kinds = keys.map((k) => kindOf(first[k]));
    if (kinds.some((k) => k === 'any')) return null;
    // What is not a string counts 0 here: the writer rejects its range.
    const units = keys.map(() => 0);
    textCounterFor(keys, kinds)(values, 0, values.length, units);
    if (units.some((u) => u > MAX_TEXT_UNITS)) return null;
    return new SharedRecordWriter(values, keys, kinds, units, ranges, encoderFor(keys, kinds), alloc);
  }

  private constructor(values: readonly unknown[], keys: string[], kinds: ColumnKind[], units: number[], ranges: number, encoder: Encoder, alloc: SharedAlloc) {
    const n = values.length;
    this.#values = values;
    this.#encoder = encoder;
    this.#proto = Object.getPrototypeOf(values[0]) as object;
    // Columns may come from a runtime's spare buffers (stale contents): every value read is written first, and a
    // string column's first offset (where range 0's text starts) is set here.
    const columns = kinds.map((kind, c): SharedColumn => {
      if (kind === 'number' || kind === 'date') return { type: kind, data: new Float64Array(alloc(8 * n), 0, n) };
      if (kind === 'boolean') return { type: 'boolean', data: new Uint8Array(alloc(n), 0, n) };
      const offsets = new Uint32Array(alloc(4 * (n + 1)), 0, n + 1);
      offsets[0] = 0;
      return {
        type: 'string',
        data: new Uint8Array(alloc(2 * units[c]!), 0, 2 * units[c]!),
        offsets,
        wide: new Uint8Array(new SharedArrayBuffer(Math.max(1, ranges))),
      };
    });
    this.#bytes = textBytes(columns);
    this.records = { kind: 'shared-records', length: n, keys, columns, bare: keys.length === 0 };
  }

  /**
   * Write records `from..to` as range `r` (ranges are written in input order). False when they do not all fit the
   * shape: then nothing of this range may be read.
   */
  write(r: number, from: number, to: number): boolean {
    const { columns } = this.records;
    const cols = columns.map((col) => (col.type === 'string' ? col.offsets.subarray(from, to + 1) : col.data.subarray(from, to)));
    const texts = columns.map((col, c) => (col.type === 'string' ? new RegionText(this.#bytes[c]!, 2 * col.offsets[from]!) : null));
    const answer = this.#encoder(this.#values, from, to, cols, texts as TextOut[], this.#proto);
    if (answer !== FITTED) return false;
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      const text = texts[c];
      if (col.type !== 'string' || !text) continue;
      if (text.failed) return false;
      col.wide[r] = text.wide ? 1 : 0;
    }
    return true;
  }
}

/** Writes one range's text of one column into its region: one byte per unit, or two from the first wide piece on. */
class RegionText implements TextOut {
  readonly #bytes: Buffer;
  readonly #start: number;
  #units = 0;
  wide = false;
  /** More text than the column holds (a getter answering differently), or wide text on a big-endian machine. */
  failed = false;

  constructor(bytes: Buffer, start: number) {
    this.#bytes = bytes;
    this.#start = start;
  }

  put(piece: string): void {
    if (this.failed || piece.length === 0) return;
    if (!this.wide && BEYOND_LATIN1.test(piece)) this.#widen();
    if (this.failed) return;
    const width = this.wide ? 2 : 1;
    const at = this.#start + this.#units * width;
    if (at + piece.length * width > this.#bytes.length) {
      this.failed = true;
      return;
    }
    this.#bytes.write(piece, at, piece.length * width, this.wide ? 'utf16le' : 'latin1');
    this.#units += piece.length;
  }

  /** From one byte per unit to two, in place (from the last unit back, so nothing is overwritten before it is read). */
  #widen(): void {
    if (!LITTLE_ENDIAN) {
      this.failed = true;
      return;
    }
    const b = this.#bytes;
    const s = this.#start;
    for (let i = this.#units - 1; i >= 0; i--) {
      b[s + 2 * i] = b[s + i]!;
      b[s + 2 * i + 1] = 0;
    }
    this.wide = true;
  }
}

/** The worker's side: reads the records of ranges it claimed. Text is decoded per range, when the range is run. */
export class SharedRecordReader {
  readonly #records: SharedRecords;
  readonly #kinds: ColumnKind[];
  readonly #bytes: Array<Buffer | null>;

  constructor(records: SharedRecords) {
    this.#records = records;
    this.#kinds = records.columns.map((col) => col.type);
    this.#bytes = textBytes(records.columns);
  }

  /** Record (or string) `k` of range `r` (input items `start..end`), as a function of k. */
  range(r: number, start: number, end: number): (k: number) => unknown {
    const { columns, keys } = this.#records;
    const cols: unknown[] = [];
    const texts: string[] = [];
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      if (col.type !== 'string') {
        cols.push(col.data.subarray(start, end));
        texts.push('');
        continue;
      }
      const u0 = col.offsets[start]!;
      const u1 = col.offsets[end]!;
      const bytes = this.#bytes[c]!;
      cols.push(col.offsets.subarray(start, end + 1));
      texts.push(col.wide[r] === 1 ? bytes.toString('utf16le', 2 * u0, 2 * u1) : bytes.toString('latin1', 2 * u0, 2 * u0 + (u1 - u0)));
    }
    return (this.#records.bare ? bareStrings.reader : readerFor(keys, this.#kinds))(cols, texts);
  }
}
