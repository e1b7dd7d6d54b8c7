/**
 * Worker side: the item loop of one chunk. A plain synchronous loop runs items until one returns a promise; only
 * then does the async driver await it and go on with the next item. So a synchronous task runs in a tight loop
 * that the JIT optimises as a whole (no suspend point in it), and per item it costs one shared read for the abort
 * flag, one for the hunger count (yieldable chunks), one store into the progress slot and the call.
 *
 * Results of a chunk over the run's shared numeric input go straight into the run's shared output (`out`, indexed
 * by input index) while they are numbers: no array of boxed results, no second pass. A result that is not a number
 * is kept aside by position, and the reply then carries every result (see `results`).
 */
import { toEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { ABORTED_BIT, awaitingCode, claimHunger, isAborted, MIN_YIELD_MS, STATE_SIGNALS } from '../transport/protocol.ts';
import type { TaskContext } from '../task.ts';
import { explainInlineError } from './load-task.ts';
import { WARM_UP_ROUNDS, warmUpFunctions } from './warm-up.ts';

/** How a loop ended: every item ran, the run was aborted, or the chunk gave way to a hungry worker. */
export const [RAN_ALL, ABORTED, YIELDED] = [0, 1, 2] as const;
export type LoopEnd = typeof RAN_ALL | typeof ABORTED | typeof YIELDED;

/** One chunk's item loop: what it runs over, and what it leaves behind (results, failures, where it stopped). */
export interface ItemLoop {
  readonly fn: (item: unknown, context: TaskContext) => unknown;
  /** Item `k` of the chunk. */
  readonly item: ((k: number) => unknown) | null;
  /** The items, when read as they are (an array or a typed array); else `item` reads them. */
  readonly list: ArrayLike<unknown> | null;
  readonly n: number;
  /** Input index of item 0. */
  readonly start: number;
  readonly context: TaskContext & { index: number };
  readonly control: Int32Array;
  /** Per slot: when the current item started (timed runs). */
  readonly startedAt: Float64Array;
  readonly slot: number;
  /** Int32 index of this chunk's progress word in `control`. */
  readonly itemAt: number;
  readonly timed: boolean;
  readonly yieldable: boolean;
  /**
   * The run's mean cost per item so far (ms), as the main thread measured it, or 0: a chunk whose own items were
   * cheap so far still expects its rest to cost this much each (on irregular work the expensive items may lie ahead).
   */
  readonly itemMs: number;
  /** The run's shared numeric output, or null: results then go to `values`. */
  readonly out: Float64Array | null;
  /** Inline task name, for the hint on a ReferenceError; null for a module task. */
  readonly inline: string | null;
  /** Results by position (with `out`: only those that are not numbers, the rest of the array being holes). */
  values: unknown[] | null;
  errors: Array<[number, ErrorEnvelope]>;
  /** Items run so far (the next item to run). */
  k: number;
  end: LoopEnd;
}

/** Fires the task-facing signal once the shared abort flag is seen. */
type OnAbort = () => void;

/** While an item awaits, poll the shared abort flag so 'abort' listeners fire. */
const ABORT_POLL_MS = 10;

/** Run the loop to its end: the synchronous part, and every awaited item in between (`onAwait` before the first). */
export async function runItems(loop: ItemLoop, onAbort: OnAbort, onAwait?: () => void): Promise<void> {
  let poll: NodeJS.Timeout | undefined;
  // The pace a give-way is judged by: from here, over every item, the awaited ones and their waits included.
  const k0 = loop.k;
  const t0 = performance.now();
  try {
    for (;;) {
      const pending = runSync(loop, onAbort, k0, t0);
      if (pending === undefined) return;
      if (poll === undefined) onAwait?.();
      poll ??= setInterval(() => {
        if (isAborted(loop.control)) onAbort();
      }, ABORT_POLL_MS);
      // While it awaits, the event loop runs other code (timers of earlier items, say): a crash now is not
      // surely this item's doing, and the slot says so.
      const k = loop.k;
      Atomics.store(loop.control, loop.itemAt, awaitingCode(k));
      try {
        keep(loop, k, await pending);
      } catch (error) {
        fail(loop, k, error);
      }
      loop.k = k + 1;
    }
  } finally {
    if (poll) clearInterval(poll);
  }
}

/**
 * Run items from `loop.k` until the end, an abort, a yield, or an item that returns a promise (returned, with
 * `loop.k` at that item; its result is the caller's to await). The pace is that of items `k0..` since `t0`, so a
 * task whose every item is awaited (one item per call here) gives way like any other.
 */
function runSync(loop: ItemLoop, onAbort: OnAbort, k0: number, t0: number): PromiseLike<unknown> | undefined {
  const { fn, item, list, n, start, context, control, startedAt, slot, itemAt, timed, yieldable, itemMs, out } = loop;
  // A getter with a brand check and a native call (~35 ns): read only when item start times are stored, since a
  // task whose items await comes here once per item.
  const origin = timed ? performance.timeOrigin : 0;
  for (let k = loop.k; k < n; k++) {
    // One shared read per item: the abort flag and the hunger count share a word, 0 while nothing is asked.
    const signals = Atomics.load(control, STATE_SIGNALS);
    if (signals !== 0) {
      if ((signals & ABORTED_BIT) !== 0) {
        onAbort();
        loop.k = k;
        loop.end = ABORTED;
        return undefined;
      }
      // Someone is hungry: only a worker that finished something and has at least 2 items left, worth
      // MIN_YIELD_MS at its pace or at the run's mean cost, gives way.
      if (yieldable && k > k0 && n - k >= 2 && (n - k) * Math.max((performance.now() - t0) / (k - k0), itemMs) >= MIN_YIELD_MS && claimHunger(control)) {
        loop.k = k;
        loop.end = YIELDED;
        return undefined;
      }
    }
    context.index = start + k;
    if (timed) {
      // The time first, then the item with a barrier, so the watchdog never pairs item k with an older time.
      startedAt[slot] = origin + performance.now();
      Atomics.store(control, itemAt, k);
    } else {
      // Read only after the worker died, when all its writes are visible: a plain store is enough.
      control[itemAt] = k;
    }
    try {
      const value = fn(list === null ? item!(k) : list[k], context);
      if (typeof value === 'number' && out !== null) out[start + k] = value;
      else if (value !== null && (typeof value === 'object' || typeof value === 'function') && 'then' in value) {
        loop.k = k;
        return value as PromiseLike<unknown>;
      } else keep(loop, k, value);
    } catch (error) {
      fail(loop, k, error);
    }
  }
  loop.k = n;
  return undefined;
}

function keep(loop: ItemLoop, k: number, value: unknown): void {
  if (loop.out !== null && typeof value === 'number') loop.out[loop.start + k] = value;
  else (loop.values ??= new Array<unknown>(loop.n))[k] = value;
}

function fail(loop: ItemLoop, k: number, error: unknown): void {
  loop.errors.push([k, toEnvelope(loop.inline === null ? error : explainInlineError(error, loop.inline))]);
}

/**
 * The results of the items that ran, by position: null when every one that succeeded is in the shared output
 * (nothing to send back); else an array (results from the shared output copied in where they went there).
 */
export function results(loop: ItemLoop): unknown[] | null {
  const ran = loop.k;
  if (loop.out === null) {
    const values = loop.values ?? [];
    if (values.length > ran) values.length = ran;
    return values;
  }
  if (loop.values === null) return null;
  const values = loop.values;
  const failed = new Set(loop.errors.map(([k]) => k));
  for (let k = 0; k < ran; k++) if (!(k in values) && !failed.has(k)) values[k] = loop.out[loop.start + k];
  values.length = ran;
  return values;
}

/**
 * Make the task call in `runSync` megamorphic before any chunk runs: V8 then never inlines a task into the item
 * loop. Inlined there, a task with a hot inner loop ran 2x slower than the same call from a plain loop (the demo's
 * `score`: 34 µs per item against 17; `--no-turbo-inlining` gave 17). Feedback is collected only after a function
 * has run a few times, hence several rounds over several distinct functions. Returns how many warm-up items the
 * loop ran (each sets its context's index): a warm-up that ran none would warm nothing, and the first task of a
 * worker would be inlined (a loop of its own, tried and reverted, was warmed that way by mistake: the demo ran
 * 0.94x instead of 1.9x).
 */
function warmCallSite(): number {
  const control = new Int32Array(new SharedArrayBuffer(64));
  const fns = warmUpFunctions();
  let ran = 0;
  for (let round = 0; round < WARM_UP_ROUNDS; round++) {
    for (const fn of fns) {
      const loop: ItemLoop = {
        fn, item: null, list: [1], n: 1, start: 0, context: { index: -1 } as TaskContext & { index: number }, control,
        startedAt: new Float64Array(1), slot: 0, itemAt: 8, timed: false, yieldable: false, itemMs: 0, out: null, inline: null,
        values: null, errors: [], k: 0, end: RAN_ALL,
      };
      void runSync(loop, () => {}, 0, 0);
      if (loop.context.index === 0) ran++;
    }
  }
  return ran;
}

/** Warm-up items the item loop ran at load (see warmCallSite; a test checks that it ran every one). */
export const warmedItems = warmCallSite();
