/**
 * The claim board of a self-scheduled run over shared numeric input: the input is cut once into ranges (guided
 * sizes: each about the remaining items ÷ (2 · threads), capped, down to one item), and workers claim them
 * themselves, one after the other, without a message per range. The board is one SharedArrayBuffer of Int32 words:
 *
 * - `next`: a hint, the next range to try (bumped with Atomics.add);
 * - the range bounds (range r is input items `bounds[r] .. bounds[r + 1]`, written once before the run starts);
 * - one owner word per range, which is the claim itself: a worker owns range r once its compare-and-swap turned
 *   the word from FREE to `claimedBy(slot)`; after running every item of it cleanly (no failure, every result a
 *   number, in the shared output) it stores `doneBy(slot)`. The dispatcher marks ranges whose outcome reached the
 *   sink as DELIVERED.
 *
 * So whatever happens to a worker, the words say which ranges its chunk finished (their results are in the shared
 * output) and which one it held (its progress slot names the item it was running, as for any chunk).
 *
 * - `ready`: how many ranges (from the first) may be run. Numbers are all ready at once; records are written into
 *   shared memory range by range while the workers run (transport/shared-records.ts), and a worker that claimed a
 *   range not ready yet waits for it. `closed`: no more ranges will become ready (records that did not fit
 *   stopped the writing); a worker waiting for a range past `ready` then leaves it, and the dispatcher takes it.
 */

/** Int32 index of the next range to try. */
const NEXT = 0;
/** Int32 index of the count of ranges ready to run. */
const READY = 1;
/** Int32 index of the closed flag (no range will become ready any more). */
const CLOSED = 2;
/** Int32 words before the bounds. */
const HEADER = 3;
/** How long a worker waiting for a range sleeps between looks at the run's abort flag, ms. */
const READY_POLL_MS = 20;

export const FREE = 0;
/** Owner word of a range the dispatcher has delivered (or taken back to run as an ordinary chunk). */
export const DELIVERED = -0x7fffffff;
export const claimedBy = (slot: number): number => slot + 1;
export const doneBy = (slot: number): number => -(slot + 1);

/** Views over a claim board with `ranges` ranges. */
export interface ClaimViews {
  ints: Int32Array;
  ranges: number;
}

const boundAt = (r: number): number => HEADER + r;
const ownerAt = (views: ClaimViews, r: number): number => HEADER + views.ranges + 1 + r;

/** Bytes of a board with `ranges` ranges. */
export function claimBoardBytes(ranges: number): number {
  return (HEADER + 2 * ranges + 1) * 4;
}

export function claimViews(buffer: SharedArrayBuffer, ranges: number): ClaimViews {
  return { ints: new Int32Array(buffer), ranges };
}

/** Input index of the first item of range r (r = ranges: the input's length). */
export function rangeStart(views: ClaimViews, r: number): number {
  return views.ints[boundAt(r)]!;
}

export function setRangeStart(views: ClaimViews, r: number, start: number): void {
  views.ints[boundAt(r)] = start;
}

export function owner(views: ClaimViews, r: number): number {
  return Atomics.load(views.ints, ownerAt(views, r));
}

export function setOwner(views: ClaimViews, r: number, value: number): void {
  Atomics.store(views.ints, ownerAt(views, r), value);
}

/** Ranges not claimed yet may remain (among the first `usable`: all of them unless the board closed early). */
export function claimsLeft(views: ClaimViews, usable = views.ranges): boolean {
  return Atomics.load(views.ints, NEXT) < usable;
}

/** Take range r from the board whoever claimed it (only for a range that is never ready: nobody runs it). */
export function takeRange(views: ClaimViews, r: number): void {
  Atomics.exchange(views.ints, ownerAt(views, r), DELIVERED);
}

/** Ranges `0..count` may be run (wakes the workers waiting for them). */
export function publish(views: ClaimViews, count: number): void {
  Atomics.store(views.ints, READY, count);
  Atomics.notify(views.ints, READY);
}

/** No more ranges will be ready (wakes the workers waiting for them). */
export function closeBoard(views: ClaimViews): void {
  Atomics.store(views.ints, CLOSED, 1);
  Atomics.notify(views.ints, READY);
}

/** Ranges ready to run. */
export function readyCount(views: ClaimViews): number {
  return Atomics.load(views.ints, READY);
}

/**
 * Wait until range r may be run: true then; false when it never will (the board closed before it), or when
 * `aborted()` says so.
 */
export function awaitReady(views: ClaimViews, r: number, aborted: () => boolean): boolean {
  const ints = views.ints;
  for (;;) {
    const ready = Atomics.load(ints, READY);
    if (r < ready) return true;
    // Closed after its last publication: read `ready` again, it may have moved in between.
    if (Atomics.load(ints, CLOSED) !== 0) return r < Atomics.load(ints, READY);
    if (aborted()) return false;
    Atomics.wait(ints, READY, ready, READY_POLL_MS);
  }
}

/**
 * No range from the first one not claimed yet will ever be claimed: returns its index (`ranges` when every range
 * was claimed). Ranges claimed before keep their owners.
 */
export function endClaims(views: ClaimViews): number {
  return Math.min(views.ranges, Atomics.exchange(views.ints, NEXT, views.ranges));
}

/** Claim the next free range for `slot`: its index, or -1 when every range is taken. */
export function claimRange(views: ClaimViews, slot: number): number {
  const { ints, ranges } = views;
  for (;;) {
    const r = Atomics.add(ints, NEXT, 1);
    if (r >= ranges) {
      // Keep the hint from growing without bound when idle workers keep asking.
      Atomics.store(ints, NEXT, ranges);
      return -1;
    }
    if (Atomics.compareExchange(ints, ownerAt(views, r), FREE, claimedBy(slot)) === FREE) return r;
  }
}
