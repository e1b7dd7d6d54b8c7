/**
 * The records codec: an array of plain objects of one shape (same keys, same order) travels as columns instead of
 * being structured-cloned object by object. Numbers go into a Float64Array, booleans into a Uint8Array, strings
 * into one buffer of UTF-16 code units (a Uint8Array when every unit is below 256, else a Uint16Array: every JS
 * string survives exactly, lone surrogates included) with one Uint32Array of offsets. A column whose values are of
 * mixed kinds (or objects, null, undefined) stays a plain array and is cloned as usual. The buffers are moved, not
 * copied, to the other thread, which rebuilds each record only when it is needed (`recordAt`).
 *
 * Anything irregular (a class instance, an array, a record with other keys or another key order, a key that
 * cannot be an object-literal property) makes `packRecords` answer null, and the caller falls back to structured
 * clone, so what arrives is always what structured clone would have delivered.
 */

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
}

/** Fewer records than this are cloned as they are (the columns would not pay for themselves). */
export const MIN_PACKED_RECORDS = 8;

const OBJECT_PROTO = Object.prototype;

/** The own enumerable keys of `value` when it is a plain object, else null. */
function plainKeys(value: unknown): string[] | null {
  if (typeof value !== 'object' || value === null) return null;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== OBJECT_PROTO && proto !== null) return null;
  const keys = Object.keys(value);
  // Symbol keys are dropped by structured clone too; a '__proto__' own key cannot be rebuilt by a literal.
  for (const k of keys) if (k === '__proto__') return null;
  return keys;
}

/** True when `value` is a plain object whose own enumerable keys are exactly `keys`, in that order. */
function sameShape(value: unknown, keys: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== OBJECT_PROTO && proto !== null) return false;
  let i = 0;
  // for-in also walks inherited enumerable keys: Object.prototype has none, a null prototype has none.
  for (const k in value) {
    if (k !== keys[i++]) return false;
  }
  return i === keys.length;
}

/** The compiled accessors of one record shape: a getter per key (a named load, so V8 caches it) and a maker. */
interface Shape {
  readonly keys: readonly string[];
  readonly getters: ReadonlyArray<(record: Record<string, unknown>) => unknown>;
  readonly make: (...values: unknown[]) => Record<string, unknown>;
}

/** Shapes seen lately, by their keys (both threads see few shapes; compiling one per chunk would defeat the JIT). */
const shapes = new Map<string, Shape>();
const SHAPE_CACHE = 64;

function shapeOf(keys: readonly string[]): Shape {
  const id = keys.join('\u0000');
  let shape = shapes.get(id);
  if (shape === undefined) {
    if (shapes.size >= SHAPE_CACHE) shapes.delete(shapes.keys().next().value!);
    shape = {
      keys,
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are quoted with JSON.stringify; no code from data
      getters: keys.map((k) => new Function('r', `return r[${JSON.stringify(k)}];`) as (r: Record<string, unknown>) => unknown),
      make: objectMaker(keys),
    };
    shapes.set(id, shape);
  }
  return shape;
}

/** Kind of a value for column purposes. */
function kindOf(v: unknown): 'number' | 'boolean' | 'string' | 'any' {
  const t = typeof v;
  return t === 'number' || t === 'boolean' || t === 'string' ? t : 'any';
}

/**
 * Pack `values[from..to)` as columns, or null when they are not records of one shape (or too few). Returns the
 * packed form and the buffers to move with it.
 */
export function packRecords(values: ArrayLike<unknown>, from = 0, to = values.length): { packed: PackedRecords; transfer: ArrayBuffer[] } | null {
  const n = to - from;
  if (n < MIN_PACKED_RECORDS) return null;
  const keys = plainKeys(values[from]);
  if (keys === null || keys.length === 0) return null;
  const first = values[from] as Record<string, unknown>;
  const kinds = keys.map((k) => kindOf(first[k]));
  if (kinds.every((k) => k === 'any')) return null;
  // Check every record's shape first: a misfit is found before any column is built.
  for (let i = from; i < to; i++) if (!sameShape(values[i], keys)) return null;
  const { getters } = shapeOf(keys);
  const columns: Column[] = [];
  const transfer: ArrayBuffer[] = [];
  for (let c = 0; c < keys.length; c++) {
    const column = packColumn(values as ArrayLike<Record<string, unknown>>, from, to, getters[c]!, kinds[c]!);
    columns.push(column);
    if (column.type !== 'any') transfer.push(column.data.buffer as ArrayBuffer);
    if (column.type === 'string') transfer.push(column.offsets.buffer as ArrayBuffer);
  }
  if (columns.every((c) => c.type === 'any')) return null;
  return { packed: { kind: 'records', length: n, keys, columns }, transfer };
}

type Rows = ArrayLike<Record<string, unknown>>;
type Getter = (record: Record<string, unknown>) => unknown;

function packColumn(values: Rows, from: number, to: number, get: Getter, kind: ReturnType<typeof kindOf>): Column {
  const n = to - from;
  if (kind === 'number') {
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = get(values[from + i]!);
      if (typeof v !== 'number') return anyColumn(values, from, to, get);
      data[i] = v;
    }
    return { type: 'number', data };
  }
  if (kind === 'boolean') {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = get(values[from + i]!);
      if (typeof v !== 'boolean') return anyColumn(values, from, to, get);
      data[i] = v ? 1 : 0;
    }
    return { type: 'boolean', data };
  }
  if (kind === 'string') return stringColumn(values, from, to, get) ?? anyColumn(values, from, to, get);
  return anyColumn(values, from, to, get);
}

function anyColumn(values: Rows, from: number, to: number, get: Getter): Column {
  const data: unknown[] = [];
  for (let i = from; i < to; i++) data.push(get(values[i]!));
  return { type: 'any', data };
}

/** True where typed arrays are little-endian (the UTF-16 buffer is written as `utf16le`). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * The code units of one string field of every record, or null when some value is not a string. In bulk: the
 * strings are joined once and written by one native call (latin1 when every unit fits in a byte, else UTF-16,
 * which keeps every unit as it is, lone surrogates included), into a buffer of its own (it is moved, not copied).
 */
function stringColumn(values: Rows, from: number, to: number, get: Getter): Column | null {
  if (!LITTLE_ENDIAN) return stringColumnByUnits(values, from, to, get);
  const n = to - from;
  const offsets = new Uint32Array(n + 1);
  const parts = new Array<string>(n);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const s = get(values[from + i]!);
    if (typeof s !== 'string') return null;
    parts[i] = s;
    p += s.length;
    offsets[i + 1] = p;
  }
  const joined = parts.join('');
  if (!BEYOND_LATIN1.test(joined)) {
    const bytes = Buffer.allocUnsafeSlow(p);
    bytes.write(joined, 0, p, 'latin1');
    return { type: 'string', data: new Uint8Array(bytes.buffer, 0, p), offsets };
  }
  const bytes = Buffer.allocUnsafeSlow(2 * p);
  bytes.write(joined, 0, 2 * p, 'utf16le');
  return { type: 'string', data: new Uint16Array(bytes.buffer, 0, p), offsets };
}

/** The same, unit by unit (big-endian machines). */
function stringColumnByUnits(values: Rows, from: number, to: number, get: Getter): Column | null {
  const n = to - from;
  const offsets = new Uint32Array(n + 1);
  const firstLength = (get(values[from]!) as string).length;
  let units: Uint8Array | Uint16Array = new Uint8Array(Math.max(64, n * (firstLength + 8)));
  let wide = false;
  let p = 0;
  for (let i = 0; i < n; i++) {
    const s = get(values[from + i]!);
    if (typeof s !== 'string') return null;
    const len = s.length;
    if (p + len > units.length) units = grow(units, p + len);
    if (wide) {
      for (let j = 0; j < len; j++) units[p++] = s.charCodeAt(j);
    } else {
      for (let j = 0; j < len; j++) {
        const u = s.charCodeAt(j);
        if (u > 0xff) {
          // A unit that needs 16 bits: widen what is written so far and go on.
          const wider: Uint16Array = new Uint16Array(units.length);
          wider.set(units.subarray(0, p));
          units = wider;
          wide = true;
        }
        units[p++] = u;
      }
    }
    offsets[i + 1] = p;
  }
  // Trim, so only the used bytes move to the other thread.
  const data = units.length === p ? units : units.slice(0, p);
  return { type: 'string', data, offsets };
}

function grow<T extends Uint8Array | Uint16Array>(units: T, need: number): T {
  const bigger = new (units.constructor as new (n: number) => T)(Math.max(need, units.length * 2));
  bigger.set(units);
  return bigger;
}

/** True for a value `packRecords` produced (after it crossed a thread, so by shape, not by prototype). */
export function isPackedRecords(value: unknown): value is PackedRecords {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'records' && !Array.isArray(value);
}

/** Rebuilds records one by one from their columns. */
export interface RecordReader {
  readonly length: number;
  /** Record `k` (a new plain object with the original keys in the original order). */
  at(k: number): Record<string, unknown>;
}

/** Makes objects of one shape: a literal with the keys in order, so V8 gives them all one hidden class. */
function objectMaker(keys: readonly string[]): (...values: unknown[]) => Record<string, unknown> {
  const params = keys.map((_, i) => `v${i}`);
  const body = `return {${keys.map((k, i) => `${JSON.stringify(k)}: v${i}`).join(', ')}};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are quoted with JSON.stringify; no code from data
  return new Function(...params, body) as (...values: unknown[]) => Record<string, unknown>;
}

const latin1 = (data: Uint8Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
const utf16 = (data: Uint16Array): string => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf16le');

/** Value `k` of a column. */
function columnGetter(column: Column): (k: number) => unknown {
  if (column.type === 'boolean') {
    const d = column.data;
    return (k) => d[k] === 1;
  }
  if (column.type === 'string') {
    const text = column.data instanceof Uint8Array ? latin1(column.data) : utf16(column.data);
    const o = column.offsets;
    return (k) => text.slice(o[k], o[k + 1]);
  }
  // Numbers (a Float64Array) and cloned values (an array) are read as they are.
  const d: ArrayLike<unknown> = column.data;
  return (k) => d[k];
}

/** A reader over packed records: each string column is decoded into one string once; records are built on demand. */
export function recordReader(packed: PackedRecords): RecordReader {
  const { make } = shapeOf(packed.keys);
  const getters = packed.columns.map(columnGetter);
  const m = getters.length;
  let at: (k: number) => Record<string, unknown>;
  if (m === 1) {
    const [g0] = getters as [(k: number) => unknown];
    at = (k) => make(g0(k));
  } else if (m === 2) {
    const [g0, g1] = getters as [(k: number) => unknown, (k: number) => unknown];
    at = (k) => make(g0(k), g1(k));
  } else if (m === 3) {
    const [g0, g1, g2] = getters as [(k: number) => unknown, (k: number) => unknown, (k: number) => unknown];
    at = (k) => make(g0(k), g1(k), g2(k));
  } else {
    const args = new Array<unknown>(m);
    at = (k) => {
      for (let c = 0; c < m; c++) args[c] = getters[c]!(k);
      return make(...args);
    };
  }
  return { length: packed.length, at };
}

/** Every record, as an array (for the side that needs them all at once). */
export function unpackRecords(packed: PackedRecords): Record<string, unknown>[] {
  const reader = recordReader(packed);
  const out: Record<string, unknown>[] = [];
  for (let k = 0; k < reader.length; k++) out.push(reader.at(k));
  return out;
}
