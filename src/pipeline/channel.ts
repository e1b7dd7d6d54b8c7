/**
 * The bounded buffer between two pipeline segments. The upstream segment asks `hasRoom()` before taking more
 * input (its run pauses while there is none); the downstream one takes values out, and when it frees room for an
 * upstream that found none, `onRoom` wakes it. A worker segment reads a channel as an async iterator (its run's
 * source) and finds each value's carrier again by its position in that run.
 */

/** A value on its way through the pipeline, with the input item it came from. */
export interface Carrier {
  input: number;
  /** Positions of the flatMap outputs this value descends from (null before any flatMap); orders outputs of one input. */
  path: number[] | null;
  value: unknown;
}

/** Where a segment puts what it produced. */
export interface Downstream {
  put(input: number, path: number[] | null, value: unknown): void;
  hasRoom(): boolean;
  /** No more values will come. */
  end(): void;
}

/** A first-in first-out array with an O(1) shift (compacted now and then). */
export class Deque<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/** A bounded buffer of carriers between two segments. */
export class Channel implements Downstream, AsyncIterableIterator<unknown> {
  readonly #queue = new Deque<Carrier>();
  readonly capacity: number;
  readonly #onRoom: () => void;
  #ended = false;
  #starved = false;
  /** A reader waiting for a value (the run's source asked while the channel was empty). */
  #waiter: ((r: IteratorResult<unknown>) => void) | undefined;
  /** Carriers handed to the run, by their position in it (the run reports outcomes by that position). */
  readonly #taken = new Map<number, Carrier>();
  #next = 0;
  /** Called after an item was read (a reader's side effect, e.g. to wake an io stage). */
  onData: () => void = () => {};

  constructor(capacity: number, onRoom: () => void) {
    this.capacity = capacity;
    this.#onRoom = onRoom;
  }

  get length(): number {
    return this.#queue.length;
  }
  get ended(): boolean {
    return this.#ended;
  }

  put(input: number, path: number[] | null, value: unknown): void {
    this.push({ input, path, value });
  }

  push(carrier: Carrier): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.#taken.set(this.#next++, carrier);
      waiter({ done: false, value: carrier.value });
    } else this.#queue.push(carrier);
    this.onData();
  }

  hasRoom(): boolean {
    if (this.#queue.length < this.capacity) return true;
    this.#starved = true;
    return false;
  }

  end(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ done: true, value: undefined });
    this.onData();
  }

  /** Take the next carrier (io stages). */
  shift(): Carrier | undefined {
    const carrier = this.#queue.shift();
    if (carrier) this.#freed();
    return carrier;
  }

  /** The carrier the run knows as item `position`, forgotten once its outcome is in. */
  taken(position: number): Carrier {
    const carrier = this.#taken.get(position)!;
    this.#taken.delete(position);
    return carrier;
  }

  next(): Promise<IteratorResult<unknown>> {
    const carrier = this.#queue.shift();
    if (carrier) {
      this.#taken.set(this.#next++, carrier);
      this.#freed();
      return Promise.resolve({ done: false, value: carrier.value });
    }
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<unknown>> {
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #freed(): void {
    if (this.#starved && this.#queue.length < this.capacity) {
      this.#starved = false;
      this.#onRoom();
    }
  }
}
