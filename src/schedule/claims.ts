/**
 * Self-scheduling for input in shared memory, numbers, records of one shape or strings (the dispatcher's side of
 * src/transport/claims.ts): instead of the dispatcher cutting chunks and sending one message per chunk, it plans
 * the ranges once, sends each worker one self-scheduled chunk, and the workers claim ranges from the board
 * themselves. Numbers are in shared memory before the run starts; records are written there range by range
 * (record-writing.ts), the first ones before the first chunk goes out and the rest while the workers run. The main
 * thread is then off the critical path: it hears from a worker when the worker ran out of ranges, when its time
 * budget passed, or when a range did not finish cleanly (a failure, a result that is not a number, a yield to a
 * hungry worker), and delivers the finished ranges from the shared output in one step.
 *
 * A range that did not finish cleanly, or that a dead worker held, becomes an ordinary chunk again for the
 * dispatcher (its outcome, isolation and stealing work as for any chunk); finished ranges are in the shared output
 * whatever happened to their worker afterwards. Used only where nothing needs a per-chunk decision from the main
 * thread before the next range: no deadline, no retries, no breaker, no graceful stop, no host object, no consumer
 * backpressure and no fixed chunk size.
 */
import {
  claimBoardBytes,
  claimedBy,
  claimsLeft,
  claimViews,
  DELIVERED,
  doneBy,
  endClaims,
  owner,
  publish,
  rangeStart,
  setOwner,
  setRangeStart,
  type ClaimViews,
} from '../transport/claims.ts';
import type { ChunkMessage, ItemArray } from '../transport/protocol.ts';
import { isPackedPayload, type Payload } from '../transport/pack.ts';
import { mayShare, MIN_SHARED_RECORDS, type SharedRecords } from '../transport/shared-records.ts';
import { deliverReply } from './chunk-io.ts';
import { RecordWriting } from './record-writing.ts';
import type { RunSettings, RunSink } from './run-types.ts';
import { ArraySource, SharedNumberSource, type Batch, type ItemList, type RangeSource } from './source.ts';

/** How long a self-scheduled chunk claims ranges before it reports back (the run's progress is heard that often). */
const BUDGET_MS = 100;
/** A range holds at most 1 / (CAP_SHARE · threads) of the input, so no single range holds a large share of it. */
const CAP_SHARE = 8;
/** Items of the first range of records (the sizes double from there; see cutRanges). */
const RAMP_FROM = 1024;

/** What the ranges are cut from: the whole input as the workers get it, and a range of it as a batch. */
interface ClaimInput {
  readonly length: number;
  /** Shared numbers (a typed array over a SharedArrayBuffer), or records as columns in shared memory. */
  readonly whole: ItemArray | SharedRecords;
  /** Items `start..end`, for a range that goes on as an ordinary chunk. */
  range(start: number, end: number): ItemList;
}

const NO_ITEMS: ItemList = [];

/** The claim board of one run, main-thread side. */
export class ClaimBoard {
  readonly #views: ClaimViews;
  readonly #buffer: SharedArrayBuffer;
  readonly #input: ClaimInput;
  /** The input, handed back to the dispatcher by `handOver`. */
  #source: RangeSource | undefined;
  /** The records still being written into shared memory, if any. */
  #writing: RecordWriting | null = null;
  /** Self-scheduled chunks in flight. */
  inFlight = 0;

  /**
   * The board for a run, or null when the run is not one to self-schedule (see the module comment). Numbers are
   * in shared memory already (a snapshot taken at the call); of records, the array is copied at the call and the
   * records are written into shared memory from it. Ranges of records that turn out not to fit the shape go to
   * `takeBack` as ordinary work.
   */
  static open(s: RunSettings, takeBack: (batches: Batch[]) => void): ClaimBoard | null {
    const { source } = s;
    const retries = s.retry?.retries ?? 0;
    if (!s.local || !s.selfSchedule || source.taken > 0) return null;
    if (!(source instanceof SharedNumberSource) && !(source instanceof ArraySource)) return null;
    if (s.timeout !== undefined || retries > 0 || s.breaker !== undefined || s.stopSignal !== undefined || s.host || s.sink.ready) return null;
    let board: ClaimBoard;
    if (source instanceof SharedNumberSource) {
      const shared = source.shared;
      board = new ClaimBoard({ length: shared.length, whole: shared, range: (start, end) => shared.subarray(start, end) }, s.threads);
      publish(board.#views, board.#views.ranges);
    } else {
      // Not worth a copy of the array unless it may hold records (or strings) to share.
      const array = source.array();
      if (array === null || array.length < MIN_SHARED_RECORDS || !mayShare(array[0])) return null;
      const values = source.snapshot()!;
      const starts = cutRanges(values.length, s.threads, RAMP_FROM);
      const writing = RecordWriting.start(values, starts, takeBack, undefined, s.alloc);
      if (writing === null) return null;
      const range = (start: number, end: number): ItemList => values.slice(start, end);
      board = new ClaimBoard({ length: values.length, whole: writing.records, range }, s.threads, starts);
      board.#writing = writing;
      writing.attach(board.#views);
    }
    source.selfScheduled(board);
    board.#source = source;
    return board;
  }

  private constructor(input: ClaimInput, threads: number, starts = cutRanges(input.length, threads)) {
    this.#input = input;
    const ranges = starts.length - 1;
    this.#buffer = new SharedArrayBuffer(claimBoardBytes(ranges));
    this.#views = claimViews(this.#buffer, ranges);
    for (let r = 0; r < starts.length; r++) setRangeStart(this.#views, r, starts[r]!);
  }

  /** Every range was claimed (or, of records that stopped fitting, every range written). */
  get exhausted(): boolean {
    return !claimsLeft(this.#views, this.#writing?.usable ?? this.#views.ranges);
  }

  /** Stop writing records (the run ended). */
  stop(): void {
    this.#writing?.stop();
  }

  /** Claims ended early (see `handOver`): the rest of the input goes in chunks the dispatcher cuts. */
  handedOver = false;

  /**
   * A range came back with its results (not all were numbers). When most of them are not numbers, every range
   * would come back the same way, one reply each: the claims end (see `handOver`).
   */
  resultsCameBack(values: Payload): void {
    if (!this.handedOver && mostlyNotNumbers(values)) this.handOver();
  }

  /**
   * End self-scheduling: no range not claimed yet will be claimed; ranges claimed keep going, and the input goes on
   * from the first range not claimed, in ordinary chunks (the source takes batches again). Used when
   * results come back that are not numbers: each range then costs a reply, and chunks sized by the policy cost
   * fewer round trips than the guided ranges, which go down to one item.
   */
  handOver(): void {
    this.handedOver = true;
    const r = endClaims(this.#views);
    this.#writing?.limit(r);
    // Records that stopped fitting closed the board before: its ranges from `usable` on went back as batches
    // already, and the input goes on only up to there (a range claimed but never written was among them).
    const usable = this.#writing?.usable ?? null;
    const to = usable === null ? this.#input.length : rangeStart(this.#views, Math.max(r, usable));
    this.#source?.resumeFrom(rangeStart(this.#views, r), to);
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
  get whole(): ItemArray | SharedRecords {
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
    // For the trace and the policy: how many items ran, as a list of that length. Only its length is read, so it is
    // a view of the shared output (the finished ranges start at `first` or later, so it fits): nothing is allocated.
    const finished = succeeded > 0 ? { start: first, items: out.subarray(first, first + succeeded) } : null;
    return { succeeded, finished, held };
  }
}

/**
 * Input indices where the ranges start, and n: guided sizes (the remaining items ÷ (2 · threads), capped), down to
 * one. With `ramp`, the first range holds that many items and each next one twice the one before until the guided
 * size is reached: records are written into shared memory range by range, and a small first range lets the workers
 * start after a fraction of a millisecond of writing instead of after a sixteenth of the input.
 */
function cutRanges(n: number, threads: number, ramp = Infinity): number[] {
  const starts = [0];
  const cap = Math.max(1, Math.ceil(n / (CAP_SHARE * threads)));
  let ramped = ramp;
  for (let at = 0; at < n; starts.push(at)) {
    at += Math.max(1, Math.min(ramped, cap, Math.ceil((n - at) / (2 * threads))));
    ramped *= 2;
  }
  return starts;
}

/** More than half of the values are not numbers (records, or a plain array of mostly other things). */
function mostlyNotNumbers(values: Payload): boolean {
  if (isPackedPayload(values)) return true;
  if (!Array.isArray(values)) return false;
  let numbers = 0;
  for (const v of values) if (typeof v === 'number') numbers++;
  return numbers * 2 < values.length;
}
