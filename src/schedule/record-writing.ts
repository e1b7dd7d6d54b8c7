/**
 * Writing a self-scheduled run's records into shared memory while its workers run (transport/shared-records.ts):
 * the first ranges before the first chunk goes out (for FIRST_MS at most: a short input is written whole), the
 * rest in slices of SLICE_MS between turns of the event loop, each range made ready on the claim board as soon as
 * it is written. So the workers start on the first range instead of waiting for the whole input, and the main
 * thread's event loop is never held for long.
 *
 * When a range does not fit the shape of the first record (or reading it throws), the board closes: that range and
 * the rest are taken from the board (a worker that claimed one waits for nothing: it is never ready) and go to the
 * dispatcher as ordinary work, one batch per range. If that happens before the first chunk goes out, the whole run
 * goes in ordinary chunks instead.
 */
import { closeBoard, publish, takeRange, type ClaimViews } from '../transport/claims.ts';
import type { SharedAlloc } from '../transport/shared-input.ts';
import { SharedRecordWriter, type SharedRecords } from '../transport/shared-records.ts';
import type { Batch } from './source.ts';

/** Writing before the first chunk goes out, ms at most (at least one range is written). */
const FIRST_MS = 2;
/** Writing per turn of the event loop afterwards, ms. */
const SLICE_MS = 4;

export class RecordWriting {
  readonly records: SharedRecords;
  readonly #writer: SharedRecordWriter;
  readonly #values: readonly unknown[];
  readonly #starts: readonly number[];
  readonly #takeBack: (batches: Batch[]) => void;
  #views: ClaimViews | undefined;
  /** Ranges written (and, once attached, ready). */
  #written = 0;
  /** Ranges that will ever be ready: null while writing goes on. */
  #usable: number | null = null;
  #timer: NodeJS.Immediate | undefined;
  #stopped = false;
  /** Ranges to write at most (fewer once claims ended early, see `limit`). */
  #limit = Infinity;

  /**
   * Start writing `values` cut at `starts` (range r is `starts[r]..starts[r + 1]`), for `firstMs` before the
   * first chunk goes out; null when they cannot be shared (see SharedRecordWriter.open) or those first ranges
   * already do not fit.
   */
  static start(
    values: readonly unknown[],
    starts: readonly number[],
    takeBack: (batches: Batch[]) => void,
    firstMs = FIRST_MS,
    alloc?: SharedAlloc,
  ): RecordWriting | null {
    let writer: SharedRecordWriter | null;
    try {
      writer = SharedRecordWriter.open(values, starts.length - 1, alloc);
    } catch {
      return null; // a getter that throws, say: ordinary chunks carry such items as they always did
    }
    if (writer === null) return null;
    const writing = new RecordWriting(writer, values, starts, takeBack);
    return writing.#writeFor(firstMs) ? writing : null;
  }

  private constructor(writer: SharedRecordWriter, values: readonly unknown[], starts: readonly number[], takeBack: (batches: Batch[]) => void) {
    this.records = writer.records;
    this.#writer = writer;
    this.#values = values;
    this.#starts = starts;
    this.#takeBack = takeBack;
  }

  /** Ranges that will ever be ready, once known to be fewer than all (the board closed); else null. */
  get usable(): number | null {
    return this.#usable;
  }

  /** The board is made: the ranges written are ready, and the rest follow. */
  attach(views: ClaimViews): void {
    this.#views = views;
    publish(views, this.#written);
    this.#schedule();
  }

  /** Write no range from `r` on (nobody will claim them). */
  limit(r: number): void {
    this.#limit = Math.min(this.#limit, r);
  }

  /** The run ended: write no more. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped || this.#written >= Math.min(this.#limit, this.#starts.length - 1)) return;
    this.#timer = setImmediate(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      if (this.#writeFor(SLICE_MS)) this.#schedule();
      else this.#close();
    });
  }

  /** Write ranges for `ms` at most (at least one); false when a range does not fit. */
  #writeFor(ms: number): boolean {
    const t0 = performance.now();
    const ranges = Math.min(this.#limit, this.#starts.length - 1);
    while (this.#written < ranges) {
      const r = this.#written;
      let fits: boolean;
      try {
        fits = this.#writer.write(r, this.#starts[r]!, this.#starts[r + 1]!);
      } catch {
        fits = false;
      }
      if (!fits) return false;
      this.#written = r + 1;
      if (this.#views) publish(this.#views, this.#written);
      if (performance.now() - t0 >= ms) break;
    }
    return true;
  }

  /** A range did not fit: close the board, take that range and the rest, hand them over as ordinary work. */
  #close(): void {
    const views = this.#views!;
    this.#usable = this.#written;
    closeBoard(views);
    const batches: Batch[] = [];
    // Ranges from the limit on are the dispatcher's already (claims ended early).
    for (let r = this.#written; r < Math.min(this.#limit, this.#starts.length - 1); r++) {
      takeRange(views, r);
      const start = this.#starts[r]!;
      batches.push({ start, items: this.#values.slice(start, this.#starts[r + 1]) });
    }
    this.#takeBack(batches);
  }
}
