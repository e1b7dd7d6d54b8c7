/**
 * Where a run's outcomes go (the RunSink implementations of the runtime's maps): results in input order for `map`,
 * settled outcomes in input order for `mapSettled`, and a bounded buffer for `stream`. Outcomes arrive as chunks
 * land, in any order; an array filled as they come grows by appending only, so it stays a fast packed array (index
 * writes out of order would leave holes). `map`'s results are built once at the end, into an array of the final
 * length filled first (packed from birth).
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
 * filled.
 */
class InOrder<T> {
  readonly #out: T[] = [];
  readonly #early = new Map<number, { values: ArrayLike<T>; from: number; to: number }>();

  /** `values[from..to)` are the entries at `at`, `at + 1`, ... */
  put(at: number, values: ArrayLike<T>, from: number, to: number): void {
    if (at !== this.#out.length) {
      this.#early.set(at, { values, from, to });
      return;
    }
    this.#append(values, from, to);
    for (let run = this.#early.get(this.#out.length); run; run = this.#early.get(this.#out.length)) {
      this.#early.delete(this.#out.length);
      this.#append(run.values, run.from, run.to);
    }
  }

  /** The entries so far: all of them, without a gap, once every index was put. */
  toArray(): T[] {
    return this.#out;
  }

  #append(values: ArrayLike<T>, from: number, to: number): void {
    // Numeric results arrive as Float64Array views: a loop of their own keeps both loops monomorphic (fast).
    if (values instanceof Float64Array) appendNumbers(this.#out as unknown as number[], values, from, to);
    else appendAll(this.#out, values, from, to);
  }
}

function appendNumbers(out: number[], values: Float64Array, from: number, to: number): void {
  for (let k = from; k < to; k++) out.push(values[k]!);
}

function appendAll<T>(out: T[], values: ArrayLike<T>, from: number, to: number): void {
  for (let k = from; k < to; k++) out.push(values[k]!);
}

/** A run of results: `values[from..to)` are the results of input items `at`, `at + 1`, ... */
interface Piece {
  at: number;
  values: ArrayLike<unknown>;
  from: number;
  to: number;
  /** Already copied into the array of doubles being filled while the run goes on. */
  copied: boolean;
}

/**
 * `map`'s sink: the results in input order (a failure ends the run, so it keeps none). Runs are kept as they land
 * (views over the shared output, unpacked arrays); no per-item work happens as they land.
 *
 * Numbers from the shared output are copied into the result array while the workers compute, just after each
 * reply is handled (an immediate, so the worker that replied gets its next work first): copied at the end instead,
 * they were on the critical path with every worker idle (17-49 ms of a 0.9 s map of 1.5 M numbers), while during
 * the run the copy takes a share of one core from workers that are busy anyway. The array is born as doubles of the
 * final length (the run's item count, when known up front: `total`); anything else is copied at the end (`toArray`).
 */
export class ResultRuns implements RunSink {
  readonly #pieces: Piece[] = [];
  /** The run's item count, when known up front (`total`). */
  #length: number | undefined;
  #count = 0;
  /** Every piece so far holds numbers only (a Float64Array, or an array of numbers). */
  #numbers = true;
  /** The result array, filled with numbers as they land; null until the first Float64Array piece. */
  #doubles: number[] | null = null;
  /** Pieces not copied into `#doubles` yet. */
  #pending: Piece[] = [];
  #draining = false;

  /** How many results the run has, when known: numbers may then be copied as they land. */
  total(count: number | null): void {
    this.#length = count ?? undefined;
  }
  values(start: number, values: ArrayLike<unknown>, from: number, to: number): void {
    this.#add({ at: start + from, values, from, to, copied: false });
  }
  value(index: number, value: unknown): void {
    this.#add({ at: index, values: [value], from: 0, to: 1, copied: false });
  }
  failure(): void {}
  /**
   * The results in input order (a map that completed has no gap): an array of the final length, every piece copied
   * into place by a loop of its own kind (a Float64Array of numbers, or an array), so that a few small unpacked
   * pieces (the first chunks of a run) do not send every number through the generic loop, nor results through
   * `push` one by one (`npm run bench:main` measures the main thread's cost per record).
   */
  toArray(): unknown[] {
    const pieces = this.#pieces.splice(0);
    if (this.#numbers && this.#count === this.#length && (this.#doubles !== null || this.#pending.length > 0)) {
      this.#copyPending();
      const out = this.#doubles!;
      for (const piece of pieces) if (!piece.copied) copyPiece(out, piece);
      return out;
    }
    pieces.sort((a, b) => a.at - b.at);
    // Doubles when every piece is numbers (the array is born with double elements); else any values.
    const out: unknown[] = this.#numbers ? new Array<number>(this.#count).fill(0) : new Array<unknown>(this.#count).fill(undefined);
    for (const piece of pieces) copyPiece(out, piece);
    return out;
  }
  #add(piece: Piece): void {
    this.#pieces.push(piece);
    this.#count += piece.to - piece.from;
    if (this.#numbers && !(piece.values instanceof Float64Array)) this.#numbers = allNumbers(piece.values, piece.from, piece.to);
    if (this.#numbers && this.#length !== undefined && piece.values instanceof Float64Array) {
      this.#pending.push(piece);
      if (!this.#draining) {
        this.#draining = true;
        setImmediate(() => this.#copyPending());
      }
    }
  }
  #copyPending(): void {
    this.#draining = false;
    if (!this.#numbers || this.#length === undefined) return;
    this.#doubles ??= new Array<number>(this.#length).fill(0);
    for (const piece of this.#pending.splice(0)) {
      copyNumbers(this.#doubles, piece.at - piece.from, piece.values as Float64Array, piece.from, piece.to);
      piece.copied = true;
    }
  }
}

function copyPiece(out: unknown[], { at, values, from, to }: Piece): void {
  if (values instanceof Float64Array) copyNumbers(out as number[], at - from, values, from, to);
  else copyAll(out, at - from, values, from, to);
}

/** Every value of `values[from..to)` is a number (small unpacked pieces of a numeric run are). */
function allNumbers(values: ArrayLike<unknown>, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (typeof values[k] !== 'number') return false;
  return true;
}

function copyNumbers(out: number[], shift: number, values: Float64Array, from: number, to: number): void {
  for (let k = from; k < to; k++) out[shift + k] = values[k]!;
}

function copyAll(out: unknown[], shift: number, values: ArrayLike<unknown>, from: number, to: number): void {
  for (let k = from; k < to; k++) out[shift + k] = values[k];
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
