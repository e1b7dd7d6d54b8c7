/**
 * Worker side of a self-scheduled chunk: claim a range from the run's claim board (src/transport/claims.ts), run
 * its items with the ordinary item loop, mark it done, claim the next; no message per range. It stops claiming
 * when no range is left, the run is aborted, or its time budget has passed (so the dispatcher hears of progress),
 * and it returns at once with a range that did not finish cleanly (a failure, a result that is not a number, a
 * yield to a hungry worker): that range's outcome travels in the reply like any chunk's.
 */
import { awaitReady, claimRange, claimViews, doneBy, rangeStart, setOwner } from '../transport/claims.ts';
import { isAborted, SLOT_NOT_STARTED, type ChunkMessage } from '../transport/protocol.ts';
import { RAN_ALL, runItems, type ItemLoop } from './item-loop.ts';

/** What a self-scheduled chunk leaves for its reply. */
export interface Claimed {
  /** The loop of the range still held (see ChunkReply.range), or null. */
  held: ItemLoop | null;
  range: number;
  /** Items of the ranges finished cleanly. */
  claimed: number;
}

/**
 * Run ranges until none is left. `loopOver(r, start, end)` makes the item loop of range r, input items
 * `start..end`. Between ranges, and while waiting for a range to be ready, the progress slot says no item is
 * running, so a death there is charged to no item. A range that will never be ready is left to the dispatcher.
 */
export async function runClaims(
  message: ChunkMessage & { claims: NonNullable<ChunkMessage['claims']> },
  control: Int32Array,
  itemAt: number,
  loopOver: (r: number, start: number, end: number) => ItemLoop,
  onAbort: () => void,
  onAwait?: () => void,
): Promise<Claimed> {
  const views = claimViews(message.claims.board, message.claims.ranges);
  const t0 = performance.now();
  let claimed = 0;
  const aborted = (): boolean => isAborted(control);
  for (;;) {
    if (aborted()) {
      onAbort();
      break;
    }
    if (claimed > 0 && performance.now() - t0 >= message.claims.budgetMs) break;
    Atomics.store(control, itemAt, SLOT_NOT_STARTED);
    const r = claimRange(views, message.slot);
    if (r < 0) break;
    // Not ready, and never will be (the board closed; the dispatcher takes it and the rest), or the run was aborted.
    if (!awaitReady(views, r, aborted)) continue;
    const loop = loopOver(r, rangeStart(views, r), rangeStart(views, r + 1));
    await runItems(loop, onAbort, onAwait);
    if (loop.end !== RAN_ALL || loop.errors.length > 0 || loop.values !== null) return { held: loop, range: r, claimed };
    claimed += loop.n;
    // Done: its results are in the shared output.
    setOwner(views, r, doneBy(message.slot));
  }
  return { held: null, range: -1, claimed };
}
