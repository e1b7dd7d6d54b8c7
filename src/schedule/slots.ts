/**
 * A run's shared state on the main side: the abort flag, the task-load count, and the progress slots where each
 * running chunk's worker says which item it is on, since when, and which thread it is. The dispatcher reads them
 * to enforce run-time deadlines (not queue time), to name the item that was running when a worker died, and to
 * terminate exactly the worker running a chunk.
 */
import {
  decodeSlot,
  runStateBytes,
  runStateViews,
  slotItemAt,
  slotStageAt,
  SLOT_NO_STAGE,
  SLOT_NOT_STARTED,
  slotThreadAt,
  setAborted,
  setHungerCount,
  STATE_LOADED,
  type RunStateViews,
} from '../transport/protocol.ts';

/** The shared state of one run. */
export class RunState {
  readonly buffer: SharedArrayBuffer;
  readonly size: number;
  readonly #views: RunStateViews;
  readonly #free: number[] = [];

  constructor(size: number) {
    this.size = size;
    this.buffer = new SharedArrayBuffer(runStateBytes(size));
    this.#views = runStateViews(this.buffer, size);
    for (let i = size - 1; i >= 0; i--) this.#free.push(i);
  }

  /** Slots free now. */
  get available(): number {
    return this.#free.length;
  }

  /** A free slot, reset. Check `available` first. */
  take(): number {
    const slot = this.#free.pop();
    if (slot === undefined) throw new Error('no free progress slot (the dispatcher checks `available` first)');
    this.#views.startedAt[slot] = Number.POSITIVE_INFINITY;
    Atomics.store(this.#views.ints, slotThreadAt(slot), 0);
    Atomics.store(this.#views.ints, slotItemAt(slot), SLOT_NOT_STARTED);
    Atomics.store(this.#views.ints, slotStageAt(slot), SLOT_NO_STAGE);
    return slot;
  }

  release(slot: number): void {
    this.#free.push(slot);
  }

  /**
   * Where the chunk in `slot` is: the item it runs (null before the first; the chunk length once replying), whether
   * it awaits, and `foreign` when its worker died from another chunk's code.
   */
  position(slot: number): { item: number | null; awaiting: boolean; foreign?: true } {
    return decodeSlot(Atomics.load(this.#views.ints, slotItemAt(slot)));
  }

  /** The pipeline stage the chunk in `slot` was in (fused stages), or undefined (a single task, or none begun). */
  stage(slot: number): number | undefined {
    const stage = Atomics.load(this.#views.ints, slotStageAt(slot));
    return stage === SLOT_NO_STAGE ? undefined : stage;
  }

  /** Thread id of the worker running the chunk in `slot` (0 until it starts). */
  thread(slot: number): number {
    return Atomics.load(this.#views.ints, slotThreadAt(slot));
  }

  /** How long the current item of `slot` has been running, ms, as of `now` (epoch ms); never negative. */
  runningFor(slot: number, now: number): number {
    return Math.max(0, now - this.#views.startedAt[slot]!);
  }

  /** The hunger count last set. */
  #hunger = 0;
  /** Chunks that claimed a unit of hunger and have not landed yet. */
  #yielding = 0;

  /**
   * Say how many workers are hungry (idle with nothing to send them); a worker running a yieldable chunk claims a
   * unit and gives way. Returns how many units were claimed since the last call (each is a chunk giving way).
   */
  setHunger(hungry: number): number {
    const left = setHungerCount(this.#views.ints, hungry);
    const claimed = Math.max(0, this.#hunger - left);
    this.#hunger = hungry;
    return claimed;
  }

  /**
   * Set the hunger from the count of idle workers with nothing to send them, less the chunks that already gave way
   * for them and have not landed yet.
   */
  feedHunger(idle: number): void {
    this.#yielding += this.setHunger(Math.max(0, idle - this.#yielding));
  }

  /** A chunk that gave way landed: count the claims made since the hunger was last set, then take this one off. */
  gaveWay(): void {
    this.#yielding += this.setHunger(0);
    this.#yielding = Math.max(0, this.#yielding - 1);
  }

  /** Tell workers to stop between items. */
  abort(): void {
    setAborted(this.#views.ints);
  }

  /** Chunks that began with the task loaded in their worker (0: no worker has loaded the task yet). */
  get loads(): number {
    return Atomics.load(this.#views.ints, STATE_LOADED);
  }
}

/** The clock the worker writes into `startedAt`. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
