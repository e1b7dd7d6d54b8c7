/**
 * Where a run's outcomes go (the RunSink implementations of the runtime's maps): results in input order for `map`,
 * settled outcomes in input order for `mapSettled`, and a bounded buffer for `stream`. Outcomes arrive as chunks
 * land, in any order; every array here is written in index order only (appended, or filled from the front when its
 * length was allocated up front: `new Array(n)` keeps fast elements on Node 20-24 up to 30 M and beyond), so it
 * never has a hole once complete.
 */
import type { ItemError } from '../errors.ts';
import type { RunSink } from './run-types.ts';

/** The outcome of one item in `mapSettled`. */
export type Settled<O> = { status: 'fulfilled'; value: O } | { status: 'rejected'; reason: ItemError };

/** One item's outcome as yielded by `stream`, with its input index. */
export type StreamResult<O> =
  | { index: number; status: 'fulfilled'; value: O }
  | { index: number; status: 'rejected'; reason: ItemError };

/**
 * An array filled in input order from runs that arrive in any order: a run that continues the array is appended
 * at once (while the workers go on computing); a run that arrives early waits in a map until the gap before it is
 * filled. When the count is known up front (an array input) the array is allocated once at its full length and
 * filled by index, in order (no growing copies: about a third of the cost per entry of appending).
 */
class InOrder<T> {
  readonly #out: T[];
  #filled = 0;
  readonly #early = new Map<number, { values: ArrayLike<T>; from: number; to: number }>();

  /** `expected`: how many entries there will be, when known. */
  constructor(expected?: number) {
    this.#out = expected !== undefined && expected > 0 && expected <= PREALLOCATE_MAX ? new Array<T>(expected) : [];
  }

  /** `values[from..to)` are the entries at `at`, `at + 1`, ... */
  put(at: number, values: ArrayLike<T>, from: number, to: number): void {
    if (at !== this.#filled) {
      this.#early.set(at, { values, from, to });
      return;
    }
    this.#append(values, from, to);
    for (let run = this.#early.get(this.#filled); run; run = this.#early.get(this.#filled)) {
      this.#early.delete(this.#filled);
      this.#append(run.values, run.from, run.to);
    }
  }

  /** The entries so far: all of them, without a gap, once every index was put. */
  toArray(): T[] {
    if (this.#out.length !== this.#filled) this.#out.length = this.#filled;
    return this.#out;
  }

  #append(values: ArrayLike<T>, from: number, to: number): void {
    // Numeric results arrive as Float64Array views: a loop of their own keeps both loops monomorphic (fast).
    if (values instanceof Float64Array) this.#filled = appendNumbers(this.#out as unknown as number[], this.#filled, values, from, to);
    else this.#filled = appendAll(this.#out, this.#filled, values, from, to);
  }
}

/** Longest array allocated up front (V8 keeps arrays this long in fast elements). */
const PREALLOCATE_MAX = 1 << 24;

/** Write `values[from..to)` at `out[at..]` (within its length, or appended past it); returns the next position. */
function appendNumbers(out: number[], at: number, values: Float64Array, from: number, to: number): number {
  const fit = Math.min(to, from + out.length - at);
  let k = from;
  for (; k < fit; k++) out[at++] = values[k]!;
  for (; k < to; k++, at++) out.push(values[k]!);
  return at;
}

function appendAll<T>(out: T[], at: number, values: ArrayLike<T>, from: number, to: number): number {
  const fit = Math.min(to, from + out.length - at);
  let k = from;
  for (; k < fit; k++) out[at++] = values[k]!;
  for (; k < to; k++, at++) out.push(values[k]!);
  return at;
}

/** `map`'s sink: the results in input order (a failure ends the run, so it keeps none). */
export class ResultRuns implements RunSink {
  readonly #results: InOrder<unknown>;
  /** `expected`: the number of results, when known (an array input), to allocate the array once. */
  constructor(expected?: number) {
    this.#results = new InOrder<unknown>(expected);
  }
  values(start: number, values: ArrayLike<unknown>, from: number, to: number): void {
    this.#results.put(start + from, values, from, to);
  }
  value(index: number, value: unknown): void {
    this.#results.put(index, [value], 0, 1);
  }
  failure(): void {}
  /** The results in input order (a map that completed has no gap). */
  toArray(): unknown[] {
    return this.#results.toArray();
  }
}

/** `mapSettled`'s sink: every item's outcome in input order, as a packed array. */
export class SettledRuns<O> implements RunSink {
  readonly #settled = new InOrder<Settled<O>>();
  values(start: number, values: ArrayLike<unknown>, from: number, to: number): void {
    const run: Settled<O>[] = [];
    for (let k = from; k < to; k++) run.push({ status: 'fulfilled', value: values[k] as O });
    this.#settled.put(start + from, run, 0, run.length);
  }
  value(index: number, value: unknown): void {
    this.#settled.put(index, [{ status: 'fulfilled', value: value as O }], 0, 1);
  }
  failure(reason: ItemError): void {
    this.#settled.put(reason.index, [{ status: 'rejected', reason }], 0, 1);
  }
  /** The outcomes in input order (complete once the run resolved). */
  toArray(): Settled<O>[] {
    return this.#settled.toArray();
  }
}

/** Holds outcomes for a stream consumer: in input order (releasing only the contiguous head) or as they come. */
export class OutcomeBuffer<O> {
  readonly #ordered: boolean;
  readonly #queue: StreamResult<O>[] = [];
  readonly #waiting = new Map<number, StreamResult<O>>();
  #head = 0;
  #next = 0;
  constructor(ordered: boolean) {
    this.#ordered = ordered;
  }
  /** Outcomes held (ready or waiting for an earlier one). */
  get size(): number {
    return this.#queue.length - this.#head + this.#waiting.size;
  }
  push(result: StreamResult<O>): void {
    if (!this.#ordered) {
      this.#queue.push(result);
      return;
    }
    this.#waiting.set(result.index, result);
    for (let r = this.#waiting.get(this.#next); r; r = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next);
      this.#queue.push(r);
      this.#next++;
    }
  }
  /** The next outcome the consumer may see, or undefined. */
  shift(): StreamResult<O> | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const r = this.#queue[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    return r;
  }
}
