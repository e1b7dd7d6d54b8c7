/**
 * Compiled code per record shape, for the records codec (records.ts): one encoder that checks every record's shape
 * and fills every column in one pass, and one reader that rebuilds a record from the columns. Both are generated
 * once per shape (its keys and its column kinds) with property names as literals, so V8 sees named loads and one
 * object literal: monomorphic inline caches, one hidden class for every record built, no call per field.
 *
 * No data reaches the generated code as code: keys are written with JSON.stringify (a valid JS string literal),
 * and a key that an object literal cannot hold as an own property ('__proto__') never gets here.
 */

/** Where an encoder writes the text of one string column (text-sink.ts, or a region of shared memory). */
export interface TextOut {
  put(piece: string): void;
}

/**
 * How a column travels: a typed array (numbers, booleans, and dates as their time values), units of text with
 * offsets (strings), or cloned.
 */
export type ColumnKind = 'number' | 'boolean' | 'string' | 'date' | 'any';

const getTime = Date.prototype.getTime;

/**
 * The time value of a Date (any object with a Date's internal slot, subclasses and other realms included: what
 * structured clone turns into a plain Date, dropping own properties), else undefined (a brand check: it throws for
 * anything else, a Proxy and an object that only inherits from `Date.prototype` included).
 */
export function timeOf(v: unknown): number | undefined {
  try {
    return getTime.call(v as Date);
  } catch {
    return undefined;
  }
}

/** The encoder's answer: every record fitted; a record is not of the shape; or column `c` is not of its kind. */
export const FITTED = -1;
export const MISFIT = -2;

/**
 * Fills the columns from `values[from..to)`: `cols[c]` is a Float64Array (numbers, and Dates' time values), a
 * Uint8Array (booleans, 0 or 1), the Uint32Array of end offsets (strings; `cols[c][0]` is where the text starts,
 * 0 for a chunk of its own, and stays as it is) or an array (cloned values, appended). The text of string column c,
 * every value joined, goes to the sink `texts[c]` in pieces of about TEXT_PIECE units (one joined string would be
 * a large object: fresh pages for every chunk, and a long life in GC terms). Returns FITTED, MISFIT, or the index
 * of the first column found holding a value of another kind (the caller demotes it to 'any' and encodes
 * again). `proto`: the prototype of class instances admitted beside plain objects (the first record's: see
 * `plainKeys` in record-kinds.ts), if any.
 */
export type Encoder = (values: ArrayLike<unknown>, from: number, to: number, cols: unknown[], texts: TextOut[], proto?: object) => number;

/** Units of text per piece (well below V8's large-object size, in one or two bytes per unit). */
export const TEXT_PIECE = 16384;

/**
 * Builds record `k` from columns (`cols` as the encoder filled them, `texts[c]` the text of string column c, which
 * starts at offset `cols[c][0]`).
 */
export type ReaderMaker = (cols: readonly unknown[], texts: readonly string[]) => (k: number) => Record<string, unknown>;

/** Units of text one string column of one chunk may hold (V8 strings end near 2^29); more makes it 'any'. */
export const MAX_TEXT_UNITS = 1 << 27;

/** Adds to `units[c]` the length of every string in string column c of `values[from..to)` (other values count 0). */
export type TextCounter = (values: ArrayLike<unknown>, from: number, to: number, units: number[]) => void;

interface Compiled {
  encoder?: Encoder;
  reader?: ReaderMaker;
  counter?: TextCounter;
}

/** Shapes seen lately (both threads see few; compiling per chunk would defeat the JIT). Oldest dropped first. */
const compiled = new Map<string, Compiled>();
const CACHE = 64;

function entry(keys: readonly string[], kinds: readonly ColumnKind[], sparse = false, tuple = false): Compiled {
  // JSON: keys may hold any character, a separator could make two shapes one.
  const id = JSON.stringify([kinds, keys, sparse, tuple]);
  let found = compiled.get(id);
  if (found === undefined) {
    if (compiled.size >= CACHE) compiled.delete(compiled.keys().next().value!);
    found = {};
    compiled.set(id, found);
  }
  return found;
}

const lit = (key: string): string => JSON.stringify(key);

/** Keys a sparse shape may have (its presence mask is one 32-bit integer per record). */
export const MAX_SPARSE_KEYS = 30;

/** Longest tuple (a plain array whose positions each hold one kind: `[id, text]`) packed as columns. */
export const MAX_TUPLE_LENGTH = 16;

/**
 * Longest array packed as part of a list (its elements are read one by one into one run of the chunk). Proving
 * that an array has no named property costs a key per element (`Object.keys`, ~20-30 ns on the 2-core machine
 * here), still a fraction of what structured clone costs per element of a plain array: rows of 400 numbers took
 * ~210 ns per element to post and receive as they are, ~40 ns packed and read back (strings ~200 against ~170,
 * records `{ x, y }` ~1,200 against ~330: `node bench/pack-records.mjs --long [--clone]`).
 */
export const MAX_LIST_LENGTH = 1 << 24;

/**
 * Elements a list of fewer than MIN_PACKED_RECORDS arrays must hold in all to be packed (a chunk of a few long
 * rows: each row alone costs more to clone than the columns cost to make).
 */
export const MIN_LIST_ELEMENTS = 64;

/** '0', '1', …: the index keys of the shortest arrays (tuples, and a list's short arrays). */
export const INDEX_KEYS: readonly string[] = Array.from({ length: 64 }, (_, i) => String(i));

/** The index key of position i ('0', '1', …). */
export const indexKey = (i: number): string => INDEX_KEYS[i] ?? String(i);

/**
 * The encoder of one shape. A sparse shape (`sparse`) admits any record whose own keys are some of `keys`, in the
 * same order: `cols[keys.length]` is then a Uint32Array that receives each record's presence mask (bit c: key c),
 * and an absent key leaves its column as for an empty value (0, 0, no text, `undefined` written). A tuple shape
 * (`tuple`, keys '0', '1', …) admits plain arrays of exactly that length, without holes or named properties.
 */
export function encoderFor(keys: readonly string[], kinds: readonly ColumnKind[], sparse = false, tuple = false): Encoder {
  const e = entry(keys, kinds, sparse, tuple);
  if (e.encoder) return e.encoder;
  const m = keys.length;
  const head: string[] = ['const n = to - from;'];
  const body: string[] = [];
  const tail: string[] = [];
  for (let c = 0; c < m; c++) {
    head.push(`const c${c} = cols[${c}];`);
    // A tuple's position by index (an array's element), a record's field by name.
    const at = tuple ? `r[${c}]` : `r[${lit(keys[c]!)}]`;
    const read = `const v${c} = ${at};`;
    const field: string[] = [];
    let absent = '';
    switch (kinds[c]) {
      case 'number':
        field.push(read, `if (typeof v${c} !== 'number') return ${c};`, `c${c}[i] = v${c};`);
        break;
      case 'boolean':
        field.push(read, `if (typeof v${c} !== 'boolean') return ${c};`, `c${c}[i] = v${c} ? 1 : 0;`);
        break;
      case 'date':
        field.push(read, `const d${c} = TIME(v${c});`, `if (d${c} === undefined) return ${c};`, `c${c}[i] = d${c};`);
        break;
      case 'string':
        head.push(`let s${c} = '';`, `let p${c} = c${c}[0];`);
        field.push(
          read,
          `if (typeof v${c} !== 'string') return ${c};`,
          `p${c} += v${c}.length;`,
          `if (p${c} > MAX) return ${c};`,
          `s${c} += v${c};`,
          `if (s${c}.length >= PIECE) { t${c}.put(s${c}); s${c} = ''; }`,
          `c${c}[i + 1] = p${c};`,
        );
        absent = `c${c}[i + 1] = p${c};`;
        head.push(`const t${c} = texts[${c}];`);
        tail.push(`t${c}.put(s${c});`);
        break;
      default:
        // By index: the column may be a longer scratch array (scratch-refs.ts), read over [0, n).
        field.push(`c${c}[i] = ${at};`);
        absent = `c${c}[i] = undefined;`;
    }
    if (sparse) body.push(`if ((M & ${2 ** c}) !== 0) { ${field.join(' ')} }${absent === '' ? '' : ` else { ${absent} }`}`);
    else body.push(...field);
  }
  // Own enumerable keys, exactly these and in this order (inherited ones would show too: none on a plain object);
  // sparse: some of these, in this order, and which ones.
  const keyCheck = sparse
    ? `let j = 0;
    let M = 0;
    for (const k in r) {
      while (j < ${m} && K[j] !== k) j++;
      if (j === ${m}) return MISFIT;
      M |= 1 << j++;
    }
    masks[i] = M;`
    : `let j = 0;
    for (const k in r) if (k !== K[j++]) return MISFIT;
    if (j !== ${m}) return MISFIT;`;
  if (sparse) head.push(`const masks = cols[${m}];`);
  // A tuple: its own enumerable keys are exactly '0' … 'm - 1'. Object.keys lists an array's indices first, in
  // ascending order, so m keys of which the last is 'm - 1' are those and nothing else (no hole, no hidden index,
  // no named property). It costs ~50 ns for a pair; a for-in over an array twice that.
  const shapeCheck = tuple
    ? `if (!IS_ARRAY(r) || getProto(r) !== ARRAY || r.length !== ${m}) return MISFIT;
    const ks = KEYS(r);
    if (ks.length !== ${m} || ks[${m - 1}] !== ${lit(String(m - 1))}) return MISFIT;`
    : `if (typeof r !== 'object' || r === null) return MISFIT;
    const proto = getProto(r);
    if (proto !== OBJECT && proto !== null && proto !== P) return MISFIT;
    ${keyCheck}`;
  const source = `'use strict';
return function encode(values, from, to, cols, texts, P) {
  ${head.join('\n  ')}
  for (let i = 0; i < n; i++) {
    const r = values[from + i];
    ${shapeCheck}
    ${body.join('\n    ')}
  }
  ${tail.join('\n  ')}
  return FITTED;
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are quoted with JSON.stringify; no code from data
  const make = new Function('K', 'OBJECT', 'getProto', 'MAX', 'PIECE', 'FITTED', 'MISFIT', 'TIME', 'IS_ARRAY', 'ARRAY', 'KEYS', source) as (
    ...a: unknown[]
  ) => Encoder;
  e.encoder = make([...keys], Object.prototype, Object.getPrototypeOf, MAX_TEXT_UNITS, TEXT_PIECE, FITTED, MISFIT, timeOf, Array.isArray, Array.prototype, Object.keys);
  return e.encoder;
}

/** The text counter of one shape (a first pass that sizes shared text columns; see shared-records.ts). */
export function textCounterFor(keys: readonly string[], kinds: readonly ColumnKind[]): TextCounter {
  const e = entry(keys, kinds);
  if (e.counter) return e.counter;
  const head: string[] = [];
  const body: string[] = [];
  const tail: string[] = [];
  for (let c = 0; c < keys.length; c++) {
    if (kinds[c] !== 'string') continue;
    head.push(`let u${c} = 0;`);
    body.push(`const v${c} = r === null || typeof r !== 'object' ? undefined : r[${lit(keys[c]!)}];`, `if (typeof v${c} === 'string') u${c} += v${c}.length;`);
    tail.push(`units[${c}] += u${c};`);
  }
  const source = `'use strict';
return function count(values, from, to, units) {
  ${head.join('\n  ')}
  for (let i = from; i < to; i++) {
    const r = values[i];
    ${body.join('\n    ')}
  }
  ${tail.join('\n  ')}
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are quoted with JSON.stringify; no code from data
  e.counter = new Function(source)() as TextCounter;
  return e.counter;
}

/**
 * The reader maker of one shape (sparse: `cols[keys.length]` holds the presence masks; tuple: it builds arrays; see
 * {@link encoderFor}).
 */
export function readerFor(keys: readonly string[], kinds: readonly ColumnKind[], sparse = false, tuple = false): ReaderMaker {
  const e = entry(keys, kinds, sparse, tuple);
  if (e.reader) return e.reader;
  const head: string[] = [];
  const fields: string[] = [];
  for (let c = 0; c < keys.length; c++) {
    head.push(`const c${c} = cols[${c}];`);
    let value: string;
    switch (kinds[c]) {
      case 'number':
        value = `c${c}[k]`;
        break;
      case 'boolean':
        value = `c${c}[k] === 1`;
        break;
      case 'date':
        value = `new Date(c${c}[k])`;
        break;
      case 'string':
        head.push(`const t${c} = texts[${c}];`, `const o${c} = c${c}[0];`);
        value = `t${c}.slice(c${c}[k] - o${c}, c${c}[k + 1] - o${c})`;
        break;
      default:
        // An 'any' column is read through its reader (records.ts: rebuilt when asked for, or as cloned).
        value = `c${c}(k)`;
    }
    fields.push(sparse ? `if ((M & ${2 ** c}) !== 0) o[${lit(keys[c]!)}] = ${value};` : tuple ? value : `${lit(keys[c]!)}: ${value}`);
  }
  if (sparse) head.push(`const masks = cols[${keys.length}];`);
  const build = sparse
    ? `(k) => {\n    const M = masks[k];\n    const o = {};\n    ${fields.join('\n    ')}\n    return o;\n  }`
    : tuple
      ? `(k) => [${fields.join(', ')}]`
      : `(k) => ({ ${fields.join(', ')} })`;
  const source = `'use strict';
return function reader(cols, texts) {
  ${head.join('\n  ')}
  return ${build};
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are quoted with JSON.stringify; no code from data
  e.reader = new Function(source)() as ReaderMaker;
  return e.reader;
}

/**
 * The codec of an array of strings (a "bare" shape: each item is the text itself, one string column, no keys):
 * the same columns and text sinks as records, without the objects. An item that is not a string is a misfit.
 */
export const bareStrings: { encoder: Encoder; reader: (cols: readonly unknown[], texts: readonly string[]) => (k: number) => string; counter: TextCounter } = {
  encoder(values, from, to, cols, texts) {
    const c0 = cols[0] as Uint32Array;
    const t0 = texts[0]!;
    let s = '';
    let p = c0[0]!;
    for (let i = 0; i < to - from; i++) {
      const v = values[from + i];
      if (typeof v !== 'string') return MISFIT;
      p += v.length;
      if (p > MAX_TEXT_UNITS) return 0;
      s += v;
      if (s.length >= TEXT_PIECE) {
        t0.put(s);
        s = '';
      }
      c0[i + 1] = p;
    }
    t0.put(s);
    return FITTED;
  },
  reader(cols, texts) {
    const c0 = cols[0] as Uint32Array;
    const t0 = texts[0]!;
    const o0 = c0[0]!;
    return (k) => t0.slice(c0[k]! - o0, c0[k + 1]! - o0);
  },
  counter(values, from, to, units) {
    let u = 0;
    for (let i = from; i < to; i++) {
      const v = values[i];
      if (typeof v === 'string') u += v.length;
    }
    units[0] = (units[0] ?? 0) + u;
  },
};
