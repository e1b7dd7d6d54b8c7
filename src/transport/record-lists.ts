/**
 * Lists and collections for the records codec (records.ts): values that hold a variable number of elements travel
 * as those elements end to end, with where each value's elements end.
 *
 * - A **list**: plain arrays of several lengths (tags, an order's lines, rows of a matrix, a row of pixels), each
 *   of at most MAX_LIST_LENGTH elements, without holes or named properties. A chunk of a few arrays is a list too
 *   when they hold MIN_LIST_ELEMENTS elements in all (long rows: structured clone costs ~200 ns per element of a
 *   plain array, both sides together).
 * - **Collections**: `Map`s or `Set`s (exactly those classes): a Set's values, or a Map's keys and values as two
 *   element runs that share the ends. Rebuilt as new Maps and Sets in insertion order, as structured clone does
 *   (it too keeps no property of a Map or Set object itself).
 *
 * The elements of one run are all numbers (one Float64Array) or all strings or all records of one shape (packed in
 * turn by packRecords, one level deeper); anything else (mixed kinds, null, undefined, built-ins) leaves the values
 * to structured clone. On the other side each value is rebuilt when its record is read.
 */
import { MIN_PACKED_RECORDS, packRecords, recordReader, type PackedRecords } from './records.ts';
import { indexKey, MAX_LIST_LENGTH, MIN_LIST_ELEMENTS } from './record-shapes.ts';
import { borrowRefs, returnRefs } from './scratch-refs.ts';

/** One run of elements, end to end: numbers, or records or strings (packed). */
export interface PackedElements {
  readonly numbers?: Float64Array;
  readonly packed?: PackedRecords;
}

/** A column of arrays: array k is elements `[offsets[k], offsets[k + 1])`. */
export interface PackedList extends PackedElements {
  readonly offsets: Uint32Array;
}

/** A column of Maps or Sets: value k holds entries `[offsets[k], offsets[k + 1])` of `keys` (and of `values`). */
export interface PackedCollections {
  readonly type: 'map' | 'set';
  readonly offsets: Uint32Array;
  /** A Set's values, or a Map's keys. */
  readonly keys: PackedElements;
  /** A Map's values (absent for Sets). */
  readonly values?: PackedElements;
}

type Moved<T> = { value: T; transfer: ArrayBuffer[] } | null;

const EMPTY_NUMBERS = new Float64Array(0);

/** Elements of one kind gathered end to end: numbers into a growing Float64Array, others into a scratch array. */
class Run {
  kind: string | undefined;
  numbers = EMPTY_NUMBERS;
  /** How many numbers to make room for when the Float64Array is full (at least twice what it holds). */
  hint = 0;
  count = 0;
  #refs: unknown[] | null = borrowRefs();

  /** Add a value; false when it is of another kind than the first, or not a number, string or object. */
  add(v: unknown): boolean {
    const t = typeof v;
    if (t !== this.kind) {
      // Mixed kinds never pack; nor does undefined, which is also what a hole reads as.
      if (this.kind !== undefined || (t !== 'number' && t !== 'string' && t !== 'object')) return false;
      this.kind = t;
    }
    const at = this.count++;
    if (t !== 'number') this.#refs![at] = v;
    else {
      if (at >= this.numbers.length) {
        const grown = new Float64Array(Math.max(this.numbers.length * 2, this.hint, 64));
        grown.set(this.numbers);
        this.numbers = grown;
      }
      this.numbers[at] = v as number;
    }
    return true;
  }

  /**
   * Add the `m` elements of a plain array to a run of numbers (or an empty run): one loop with room made once,
   * each element read once. An empty run whose first element is not a number becomes a run of that element's kind
   * (the rest added one by one); false when the elements do not fit the run.
   */
  addNumbers(a: readonly unknown[], m: number): boolean {
    if (this.kind !== 'number' && this.kind !== undefined) return false;
    const at = this.count;
    if (at + m > this.numbers.length) {
      const grown = new Float64Array(Math.max(this.numbers.length * 2, this.hint, at + m, 64));
      grown.set(this.numbers.subarray(0, at));
      this.numbers = grown;
    }
    const numbers = this.numbers;
    for (let i = 0; i < m; i++) {
      const v = a[i];
      if (typeof v !== 'number') {
        if (i > 0 || at > 0) return false; // numbers, then something else: mixed kinds
        if (!this.add(v)) return false;
        for (let j = 1; j < m; j++) if (!this.add(a[j])) return false;
        return true;
      }
      numbers[at + i] = v;
    }
    this.kind = 'number';
    this.count = at + m;
    return true;
  }

  /** Pack the run (null: its values do not pack), `depth` levels down. The caller then releases it. */
  finish(depth: number): Moved<PackedElements> {
    if (this.kind !== 'string' && this.kind !== 'object') {
      // Never the shared empty array: its buffer would be moved away.
      const exact = this.count === this.numbers.length && this.count > 0 ? this.numbers : this.numbers.slice(0, this.count);
      return { value: { numbers: exact }, transfer: [exact.buffer as ArrayBuffer] };
    }
    // Nothing packed keeps the scratch array (a column cloned as it is takes a copy).
    const packed = packRecords(this.#refs!, 0, this.count, depth);
    return packed === null ? null : { value: { packed: packed.packed }, transfer: packed.transfer };
  }

  /** Give the scratch array back (once, in the caller's `finally`; later calls do nothing). */
  release(): void {
    if (this.#refs !== null) returnRefs(this.#refs, this.count);
    this.#refs = null;
  }
}

/**
 * Arrays as one list (null unless every value is a plain array of at most MAX_LIST_LENGTH elements, without holes
 * or named properties, and their elements, end to end, are all numbers or pack as records or strings: else cloning
 * them costs no more). Gives up at the first element of another kind than the first one's.
 */
export function packList(values: ArrayLike<unknown>, from: number, to: number, depth: number): Moved<PackedList> {
  const n = to - from;
  if (n < 1 || (n < MIN_PACKED_RECORDS && elementsOf(values, from, to) < MIN_LIST_ELEMENTS)) return null;
  const offsets = new Uint32Array(n + 1);
  const run = new Run();
  try {
    for (let k = 0; k < n; k++) {
      const a = values[from + k];
      if (!Array.isArray(a) || Object.getPrototypeOf(a) !== Array.prototype) return null;
      const m = a.length;
      if (m > MAX_LIST_LENGTH) return null;
      // Room for the arrays left being as long as this one (vectors, pairs and rows mostly are), else doubled.
      run.hint = run.count + m * (n - k);
      // Each element read once: a getter may answer differently the next time. Long arrays of numbers (rows,
      // samples) in one loop of their own.
      if (m > LONG && (run.kind === undefined || run.kind === 'number')) {
        if (!run.addNumbers(a, m)) return null;
      } else for (let i = 0; i < m; i++) if (!run.add(a[i])) return null;
      // Own enumerable keys exactly '0' … 'm - 1' (indices come first, ascending): a named property, a hole (filled
      // from the prototype or not) or a non-enumerable index would each change what structured clone delivers.
      const keys = Object.keys(a);
      if (keys.length !== m || (m > 0 && keys[m - 1] !== indexKey(m - 1))) return null;
      offsets[k + 1] = run.count;
    }
    const elements = run.finish(depth);
    return elements === null ? null : { value: { offsets, ...elements.value }, transfer: [offsets.buffer as ArrayBuffer, ...elements.transfer] };
  } finally {
    run.release();
  }
}

/** How many elements the values hold in all, when they are all arrays (else 0). */
function elementsOf(values: ArrayLike<unknown>, from: number, to: number): number {
  let total = 0;
  for (let k = from; k < to; k++) {
    const a = values[k];
    if (!Array.isArray(a)) return 0;
    total += a.length;
  }
  return total;
}

/** 'map' or 'set' for a Map or a Set (exactly those classes: a subclass is cloned as it is), else null. */
export function collectionType(value: unknown): 'map' | 'set' | null {
  if (typeof value !== 'object' || value === null) return null;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Map.prototype ? 'map' : proto === Set.prototype ? 'set' : null;
}

const mapForEach = Map.prototype.forEach;
const setForEach = Set.prototype.forEach;

/** Maps or Sets as element runs (null unless all are of the first one's class and every run packs). */
export function packCollections(values: ArrayLike<unknown>, from: number, to: number, depth: number): Moved<PackedCollections> {
  const type = collectionType(values[from]);
  const n = to - from;
  if (type === null || n < MIN_PACKED_RECORDS) return null;
  const offsets = new Uint32Array(n + 1);
  const keys = new Run();
  const entries = type === 'map' ? new Run() : null;
  let fits = true;
  // One callback for every Map (forEach gives no entry arrays to allocate): after a misfit it only skips.
  const addEntry = (v: unknown, key: unknown): void => {
    if (fits) fits = keys.add(key) && entries!.add(v);
  };
  const addValue = (v: unknown): void => {
    if (fits) fits = keys.add(v);
  };
  try {
    for (let k = 0; k < n && fits; k++) {
      const c = values[from + k];
      if (collectionType(c) !== type) return null;
      // The prototype's forEach, not one the value may carry of its own (structured clone reads the entries too).
      if (type === 'map') mapForEach.call(c as Map<unknown, unknown>, addEntry);
      else setForEach.call(c as Set<unknown>, addValue);
      offsets[k + 1] = keys.count;
    }
    if (!fits) return null;
    const packedKeys = keys.finish(depth);
    const packedValues = entries === null ? null : entries.finish(depth);
    if (packedKeys === null || (entries !== null && packedValues === null)) return null;
    const value: PackedCollections = packedValues === null ? { type, offsets, keys: packedKeys.value } : { type, offsets, keys: packedKeys.value, values: packedValues.value };
    return { value, transfer: [offsets.buffer as ArrayBuffer, ...packedKeys.transfer, ...(packedValues?.transfer ?? [])] };
  } finally {
    keys.release();
    entries?.release();
  }
}

/** Element i of a run, rebuilt when asked for. */
function elementReader(run: PackedElements): (i: number) => unknown {
  const { numbers } = run;
  return numbers !== undefined ? (i) => numbers[i] : recordReader(run.packed!).at;
}

/** A reader of a packed list: array k, rebuilt (a plain array) when asked for. */
export function listReader(list: PackedList): (k: number) => unknown[] {
  const { offsets, numbers } = list;
  const at = elementReader(list);
  return (k) => {
    const s = offsets[k]!;
    const e = offsets[k + 1]!;
    return numbers !== undefined && e - s > LONG ? numberArray(numbers, s, e) : arrayOf(at, s, e);
  };
}

/** Arrays longer than this take the loops for long arrays of numbers (one check per element, no call). */
const LONG = 16;

/**
 * Numbers `[s, e)` as a new plain array: born at its length, filled with zeros first so that it is packed (holes
 * would make it holey, which later clones slowly), then written by index: about half the cost of pushing.
 */
function numberArray(numbers: Float64Array, s: number, e: number): number[] {
  const a = new Array<number>(e - s).fill(0);
  for (let i = s; i < e; i++) a[i - s] = numbers[i]!;
  return a;
}

/** A reader of packed Maps or Sets: value k, rebuilt (a new Map or Set, in insertion order) when asked for. */
export function collectionReader(collections: PackedCollections): (k: number) => Map<unknown, unknown> | Set<unknown> {
  const { offsets } = collections;
  const keys = elementReader(collections.keys);
  if (collections.values === undefined) {
    return (k) => {
      const set = new Set<unknown>();
      for (let i = offsets[k]!; i < offsets[k + 1]!; i++) set.add(keys(i));
      return set;
    };
  }
  const values = elementReader(collections.values);
  return (k) => {
    const map = new Map<unknown, unknown>();
    for (let i = offsets[k]!; i < offsets[k + 1]!; i++) map.set(keys(i), values(i));
    return map;
  };
}

/** Elements `[start, end)` as a new array: short ones (most lists' arrays) by one array literal, of their length. */
function arrayOf(at: (i: number) => unknown, start: number, end: number): unknown[] {
  switch (end - start) {
    case 0:
      return [];
    case 1:
      return [at(start)];
    case 2:
      return [at(start), at(start + 1)];
    case 3:
      return [at(start), at(start + 1), at(start + 2)];
    case 4:
      return [at(start), at(start + 1), at(start + 2), at(start + 3)];
    default: {
      const a: unknown[] = [];
      for (let i = start; i < end; i++) a.push(at(i));
      return a;
    }
  }
}
