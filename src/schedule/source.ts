/**
 * The input side: turns an array, a typed array, an iterable or an async iterable into a source that hands out
 * batches of consecutive items on demand, so items are pulled only as fast as workers consume them.
 */
import { InvalidInputError } from '../errors.ts';
import { formatValue } from '../task.ts';
import type { ItemArray } from '../transport/protocol.ts';
import { sharedSnapshot, type SharedAlloc } from '../transport/shared-input.ts';

/** Items of a batch: an array, or a typed array (a view over shared memory for numeric input). */
export type ItemList = unknown[] | ItemArray;

/** Items `from..to` of a list: a view when the list is shared memory (no copy), else a copy. */
export function sliceItems(items: ItemList, from: number, to: number): ItemList {
  if (Array.isArray(items)) return items.slice(from, to);
  return items.buffer instanceof SharedArrayBuffer ? items.subarray(from, to) : items.slice(from, to);
}

/** A run of consecutive input items. */
export interface Batch {
  /** Input index of the first item. */
  start: number;
  items: ItemList;
}

/** Pulls batches from the input. */
export interface Source {
  /** Total item count when known up front (arrays), else null. */
  readonly total: number | null;
  /** Items handed out so far. */
  readonly taken: number;
  /** True once the input is exhausted. */
  readonly done: boolean;
  /** Up to `n` next items; a batch with no items once the input is exhausted. */
  take(n: number): Batch | Promise<Batch>;
  /** Stop reading (closes an iterator early). */
  close(): Promise<void>;
  /**
   * A graceful stop: ask the input for nothing more. Answers already asked for are still handed out (for a source
   * where reading consumes, a queue or a socket, they are taken and would be lost otherwise).
   */
  halt?(): void;
  /**
   * The input answered a read that was not handed out yet (the next `take` hands it out, even after `halt()`). A
   * graceful stop waits for such an answer; one still unanswered when the stop is otherwise complete is abandoned
   * (`close()` calls the iterator's `return()`).
   */
  readonly held?: boolean;
}

/**
 * Make a source from whatever the caller passed as `items`. With `shareNumbers`, a typed array or an array of
 * numbers only is copied once into shared memory (a snapshot: later writes by the caller change nothing) and
 * batches are views over it. Throws {@link InvalidInputError} for non-iterables.
 */
export function toSource(items: unknown, options: { shareNumbers?: boolean; alloc?: SharedAlloc | undefined } = {}): Source {
  if (options.shareNumbers) {
    const shared = sharedSnapshot(items, options.alloc);
    if (shared) return new SharedNumberSource(shared);
  }
  if (Array.isArray(items)) return new ArraySource(items);
  if (ArrayBuffer.isView(items) && !(items instanceof DataView)) {
    return new ArraySource(items as unknown as ArrayLike<unknown>);
  }
  if (items !== null && typeof items === 'object') {
    const asyncIt = (items as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator];
    if (typeof asyncIt === 'function') {
      return new AsyncIteratorSource((asyncIt as () => AsyncIterator<unknown>).call(items));
    }
  }
  if (items !== null && items !== undefined && typeof items !== 'string') {
    const syncIt = (items as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (typeof syncIt === 'function') return new IteratorSource((syncIt as () => Iterator<unknown>).call(items));
  }
  throw new InvalidInputError(
    `\`items\` must be an array, an iterable or an async iterable, got ${formatValue(items)}`,
  );
}

/**
 * Input of known length: batches are consecutive ranges; subclasses only say how a range becomes items. The input
 * may be handed over to self-scheduling (workers claim its ranges themselves, see schedule/claims.ts): `take` is then
 * not called any more, and the input is done once every range is claimed.
 */
export abstract class RangeSource implements Source {
  readonly total: number;
  taken = 0;
  #claims: { readonly exhausted: boolean } | undefined;
  /** Where `take` stops: the end of the input, or less once self-scheduling handed back its ranges from there. */
  #end: number;
  constructor(total: number) {
    this.total = total;
    this.#end = total;
  }
  get done(): boolean {
    return this.#claims ? this.#claims.exhausted : this.taken >= this.#end;
  }
  selfScheduled(claims: { readonly exhausted: boolean }): void {
    this.#claims = claims;
  }
  /**
   * Self-scheduling ended early: batches are taken from `from` (the items before it were claimed) up to `to` (the
   * items from there on, if any, went back to the dispatcher as batches of their own).
   */
  resumeFrom(from: number, to = this.total): void {
    this.#claims = undefined;
    this.#end = Math.max(from, Math.min(to, this.total));
    this.taken = from;
  }
  take(n: number): Batch {
    const start = this.taken;
    const end = Math.min(this.#end, start + n);
    this.taken = end;
    return { start, items: this.slice(start, end) };
  }
  async close(): Promise<void> {}
  /** Items `start..end` of the input. */
  protected abstract slice(start: number, end: number): ItemList;
}

/** An array (a copy per batch) or an unshared typed array (read item by item into an array). */
export class ArraySource extends RangeSource {
  #items: ArrayLike<unknown>;
  constructor(items: ArrayLike<unknown>) {
    super(items.length);
    this.#items = items;
  }
  /** The input when it is an array, else null. */
  array(): readonly unknown[] | null {
    return Array.isArray(this.#items) ? this.#items : null;
  }

  /**
   * When the input is an array: from now on, a copy of it (so changes the caller makes to the array later change
   * nothing), returned to share its records (see schedule/claims.ts). Else null.
   */
  snapshot(): readonly unknown[] | null {
    if (!Array.isArray(this.#items)) return null;
    this.#items = this.#items.slice();
    return this.#items as unknown[];
  }
  protected slice(start: number, end: number): ItemList {
    const src = this.#items;
    return Array.isArray(src) ? src.slice(start, end) : Array.from({ length: end - start }, (_, k) => src[start + k]);
  }
}

/** Numbers in shared memory: a batch is a view (no copy, no per-item work); `shared` is the whole input. */
export class SharedNumberSource extends RangeSource {
  readonly shared: ItemArray;
  constructor(shared: ItemArray) {
    super(shared.length);
    this.shared = shared;
  }
  protected slice(start: number, end: number): ItemList {
    return this.shared.subarray(start, end);
  }
}

class IteratorSource implements Source {
  readonly total = null;
  taken = 0;
  done = false;
  readonly #it: Iterator<unknown>;
  constructor(it: Iterator<unknown>) {
    this.#it = it;
  }
  take(n: number): Batch {
    const start = this.taken;
    const items: unknown[] = [];
    while (!this.done && items.length < n) {
      const r = this.#it.next();
      if (r.done) this.done = true;
      else items.push(r.value);
    }
    this.taken += items.length;
    return { start, items };
  }
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      this.#it.return?.();
    }
  }
}

/** Microtask turns a pending `next()` may take before the source counts as stalled (an in-memory async generator answers in 2 or 3). */
const STALL_TURNS = 8;

class AsyncIteratorSource implements Source {
  readonly total = null;
  taken = 0;
  done = false;
  readonly #it: AsyncIterator<unknown>;
  /** A `next()` that had not answered when the last batch was handed out. */
  #pending: Promise<IteratorResult<unknown>> | undefined;
  /** A graceful stop: no new `next()`. */
  #halted = false;
  /** `#pending` has answered. */
  #answered = false;
  /** The take under way (or the last one) holds an item the input answered: it is on its way to the dispatcher. */
  #carrying = false;

  constructor(it: AsyncIterator<unknown>) {
    this.#it = it;
  }

  halt(): void {
    this.#halted = true;
  }

  /**
   * An answer of the input not yet in the dispatcher's hands: one kept for the next take, or items a take under way
   * already holds. It stays true after that take returns, until the next take starts: the dispatcher gets the batch
   * a few microtasks later, and must not count the stop complete in between.
   */
  get held(): boolean {
    return (this.#pending !== undefined && this.#answered) || this.#carrying;
  }

  /** Keep `next` for the next batch and note when it answers. */
  #hold(next: Promise<IteratorResult<unknown>>): void {
    this.#pending = next;
    this.#answered = false;
    const answered = (): void => {
      if (this.#pending === next) this.#answered = true;
    };
    next.then(answered, answered);
  }

  /**
   * Up to `n` items. Once it holds at least one item, it does not wait for a source that has stalled (a producer
   * waiting on I/O): it hands out what it has, so a slow producer never holds back items that are ready. After
   * `halt()` it asks for nothing new: a `next()` already asked for is awaited and its item handed out.
   */
  async take(n: number): Promise<Batch> {
    const start = this.taken;
    const items: unknown[] = [];
    this.#carrying = false;
    while (!this.done && items.length < n) {
      // Halted: only the answer already asked for is taken.
      if (this.#halted && this.#pending === undefined) break;
      const kept = this.#pending;
      const next = kept ?? this.#it.next();
      if (kept === undefined && items.length > 0 && !(await answersSoon(next))) {
        this.#hold(next);
        break;
      }
      // A kept read stays `#pending` (so `held` turns true when it answers) until its answer is in hand.
      const r = await next;
      if (kept !== undefined) this.#pending = undefined;
      if (r.done) this.done = true;
      else {
        items.push(r.value);
        this.#carrying = true;
      }
    }
    this.taken += items.length;
    return { start, items };
  }

  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.#it.return?.();
    }
  }
}

/** Whether `promise` settles within a few microtask turns (no timers involved). */
async function answersSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let turn = 0; turn < STALL_TURNS && !settled; turn++) await null;
  return settled;
}
