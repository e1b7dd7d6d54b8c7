/**
 * Progress slots: shared memory where each running chunk's worker says which item it is on and since when.
 * The dispatcher reads them to enforce run-time deadlines (not queue time) and to name the item that was running
 * when a worker died. One slot per in-flight chunk.
 */

/** `slotItem` value of a chunk that has not started an item yet. */
export const NOT_STARTED = -1;

/** A fixed table of progress slots over one SharedArrayBuffer. */
export class SlotTable {
  /** Per slot: offset in the chunk of the item being run (NOT_STARTED before the first). */
  readonly item: Int32Array;
  /** Per slot: when that item started, epoch ms (`performance.timeOrigin + performance.now()`). */
  readonly startedAt: Float64Array;
  readonly #free: number[] = [];

  constructor(size: number) {
    const buffer = new SharedArrayBuffer(size * 12);
    this.startedAt = new Float64Array(buffer, 0, size);
    this.item = new Int32Array(buffer, size * 8, size);
    for (let i = size - 1; i >= 0; i--) this.#free.push(i);
  }

  /** Slots free now. */
  get available(): number {
    return this.#free.length;
  }

  /** A free slot, reset to NOT_STARTED. Check `available` first. */
  take(): number {
    const slot = this.#free.pop();
    if (slot === undefined) throw new Error('no free progress slot (the dispatcher checks `available` first)');
    Atomics.store(this.item, slot, NOT_STARTED);
    this.startedAt[slot] = Number.POSITIVE_INFINITY;
    return slot;
  }

  release(slot: number): void {
    this.#free.push(slot);
  }

  /** Offset of the item the chunk in `slot` is running (NOT_STARTED, or the chunk length once it is replying). */
  current(slot: number): number {
    return Atomics.load(this.item, slot);
  }

  /** How long the current item of `slot` has been running, ms, as of `now` (epoch ms); never negative. */
  runningFor(slot: number, now: number): number {
    return Math.max(0, now - this.startedAt[slot]!);
  }
}

/** The clock the worker writes into `startedAt`. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
