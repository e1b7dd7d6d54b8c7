/**
 * Self-scheduling for input in shared memory, numbers or records of one shape (the dispatcher's side of
 * src/transport/claims.ts): instead
 * of the dispatcher cutting chunks and sending one message per chunk, it plans the ranges once, sends each worker
 * one self-scheduled chunk, and the workers claim ranges from the board themselves. The main thread is then off
 * the critical path: it hears from a worker when the worker ran out of ranges, when its time budget passed, or
 * when a range did not finish cleanly (a failure, a result that is not a number, a yield to a hungry worker), and
 * delivers the finished ranges from the shared output in one step.
 *
 * A range that did not finish cleanly, or that a dead worker held, becomes an ordinary chunk again for the
 * dispatcher (its outcome, isolation and stealing work as for any chunk); finished ranges are in the shared output
 * whatever happened to their worker afterwards. Used only where nothing needs a per-chunk decision from the main
 * thread before the next range: no deadline, no retries, no breaker, no graceful stop, no host object, no consumer
 * backpressure and no fixed chunk size.
 */
import { claimBoardBytes, claimedBy, claimsLeft, claimViews, DELIVERED, doneBy, owner, rangeStart, setOwner, setRangeStart, type ClaimViews } from '../transport/claims.ts';
import type { ChunkMessage, ItemArray } from '../transport/protocol.ts';
import type { PackedRecords } from '../transport/records.ts';
import { deliverReply } from './chunk-io.ts';
import type { RunSettings, RunSink } from './run-types.ts';
import { ArraySource, SharedNumberSource, type Batch, type ItemList } from './source.ts';

/** How long a self-scheduled chunk claims ranges before it reports back (the run's progress is heard that often). */
const BUDGET_MS = 100;
/** A range holds at most 1 / (CAP_SHARE · threads) of the input, so no single range holds a large share of it. */
const CAP_SHARE = 8;

/** What the ranges are cut from: the whole input as the workers get it, and a range of it as a batch. */
interface ClaimInput {
  readonly length: number;
  /** Shared numbers (a typed array over a SharedArrayBuffer), or records as columns in shared memory. */
  readonly whole: ItemArray | PackedRecords;
  /** Items `start..end`, for a range that goes on as an ordinary chunk. */
  range(start: number, end: number): ItemList;
}

const NO_ITEMS: ItemList = [];

/** The claim board of one run, main-thread side. */
export class ClaimBoard {
  readonly #views: ClaimViews;
  readonly #buffer: SharedArrayBuffer;
  readonly #input: ClaimInput;
  /** Self-scheduled chunks in flight. */
  inFlight = 0;

  /**
   * The board for a run, or null when the run is not one to self-schedule (see the module comment). Records are
   * packed into shared memory here, at the call: a snapshot, as numbers are.
   */
  static open(s: RunSettings): ClaimBoard | null {
    const { source } = s;
    const retries = s.retry?.retries ?? 0;
    if (!s.local || !s.selfSchedule || source.taken > 0) return null;
    if (!(source instanceof SharedNumberSource) && !(source instanceof ArraySource)) return null;
    if (s.timeout !== undefined || retries > 0 || s.breaker !== undefined || s.stopSignal !== undefined || s.host || s.sink.ready) return null;
    let input: ClaimInput;
    if (source instanceof SharedNumberSource) {
      const shared = source.shared;
      input = { length: shared.length, whole: shared, range: (start, end) => shared.subarray(start, end) };
    } else {
      const records = source.sharedRecords();
      if (records === null) return null;
      input = { length: records.length, whole: records, range: (start, end) => source.range(start, end) };
    }
    const board = new ClaimBoard(input, s.threads);
    source.selfScheduled(board);
    return board;
  }

  private constructor(input: ClaimInput, threads: number) {
    this.#input = input;
    const n = input.length;
    const starts = [0];
    const cap = Math.max(1, Math.ceil(n / (CAP_SHARE * threads)));
    for (let at = 0; at < n; starts.push(at)) at += Math.max(1, Math.min(cap, Math.ceil((n - at) / (2 * threads))));
    const ranges = starts.length - 1;
    this.#buffer = new SharedArrayBuffer(claimBoardBytes(ranges));
    this.#views = claimViews(this.#buffer, ranges);
    for (let r = 0; r < starts.length; r++) setRangeStart(this.#views, r, starts[r]!);
  }

  /** Every range was claimed. */
  get exhausted(): boolean {
    return !claimsLeft(this.#views);
  }

  /** What a self-scheduled chunk message carries. */
  message(): NonNullable<ChunkMessage['claims']> {
    return { board: this.#buffer, ranges: this.#views.ranges, budgetMs: BUDGET_MS };
  }

  /** The work of a self-scheduled chunk: no items of its own (it carries the whole input, see `whole`). */
  batch(): Batch {
    return { start: 0, items: NO_ITEMS };
  }

  /** The whole input, which every self-scheduled chunk carries (shared memory: nothing is copied). */
  get whole(): ItemArray | PackedRecords {
    return this.#input.whole;
  }

  /**
   * A self-scheduled chunk of `slot` landed (replied or died): the ranges it finished go to the sink from the
   * shared output `out`; the range it held, if any, is returned to go on as an ordinary chunk. All are marked
   * delivered. `finished`: one batch spanning the count of items finished (for the trace), null when none.
   */
  settle(slot: number, out: Float64Array, sink: RunSink): { succeeded: number; finished: Batch | null; held: Batch | null } {
    this.inFlight--;
    const views = this.#views;
    let succeeded = 0;
    let first = -1;
    let held: Batch | null = null;
    for (let r = 0; r < views.ranges; r++) {
      const word = owner(views, r);
      if (word !== doneBy(slot) && word !== claimedBy(slot)) continue;
      setOwner(views, r, DELIVERED);
      const start = rangeStart(views, r);
      const end = rangeStart(views, r + 1);
      if (word === claimedBy(slot)) held = { start, items: this.#input.range(start, end) };
      else {
        // Every result is in the shared output and nothing failed: no item is read.
        succeeded += deliverReply({ start, items: NO_ITEMS }, 1, { values: null, errors: [], ran: end - start }, out, sink).succeeded;
        if (first < 0) first = start;
      }
    }
    // For the trace and the policy: how many items ran (the items themselves are not needed).
    const finished = succeeded > 0 ? { start: first, items: new Array<unknown>(succeeded) } : null;
    return { succeeded, finished, held };
  }
}
