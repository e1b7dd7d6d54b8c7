/**
 * Shared memory kept from one map to the next. A self-scheduled map copies its input into SharedArrayBuffers (numbers
 * into one, shared-input.ts; records into a column each, shared-records.ts) and has its workers write numeric
 * results into another; each is about as large as the input. Fresh memory is paid for page by page the first time
 * it is touched, and on some virtual machines that is dear: on the 2-core benchmark machine ~11 µs per 4 KiB page,
 * so 35 ms for the 12 MiB of 1.5 M numbers, on the main thread (the input; for records, while the workers already
 * run) and on the busy workers (the output). A runtime therefore keeps the buffers of a map that completed and
 * lends them to its next one.
 *
 * A buffer goes back on the shelf only once nothing reads or writes it any more: after a map resolved (every
 * chunk replied, so no worker holds it) and its results were copied out of it. A map that failed, was aborted or
 * streams its results keeps its buffers to itself (a chunk stopped late may still be writing). The shelf holds
 * few buffers and bounded memory, and the runtime empties it on close().
 */

/** Buffers kept at most (a map's input and output; records: a column each, and the output). */
const MAX_SPARES = 8;
/** Bytes the spares may hold together (~16 M numbers); a larger buffer is let go. */
const MAX_SPARE_BYTES = 128 * 1024 * 1024;

/** The runtime's shelf of spare shared buffers. */
export class BufferShelf {
  #spares: SharedArrayBuffer[] = [];

  /**
   * A buffer of at least `bytes` (its contents are stale: the caller overwrites what it reads): the smallest spare
   * that fits and is at most twice as large, else a fresh one.
   */
  take(bytes: number): SharedArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.#spares.length; i++) {
      const size = this.#spares[i]!.byteLength;
      if (size >= bytes && size <= 2 * bytes && (best < 0 || size < this.#spares[best]!.byteLength)) best = i;
    }
    if (best < 0) return new SharedArrayBuffer(bytes);
    return this.#spares.splice(best, 1)[0]!;
  }

  /** Keep these buffers for a later map (the newest first, within the shelf's bounds). */
  give(buffers: readonly SharedArrayBuffer[]): void {
    const kept = [...buffers.filter((b) => b.byteLength > 0 && b.byteLength <= MAX_SPARE_BYTES && !this.#spares.includes(b)), ...this.#spares];
    let bytes = 0;
    this.#spares = [];
    for (const b of kept) {
      if (this.#spares.length === MAX_SPARES || bytes + b.byteLength > MAX_SPARE_BYTES) break;
      this.#spares.push(b);
      bytes += b.byteLength;
    }
  }

  /** Let every spare go. */
  clear(): void {
    this.#spares = [];
  }

  /** Bytes on the shelf now. */
  get bytes(): number {
    return this.#spares.reduce((sum, b) => sum + b.byteLength, 0);
  }
}

/** Shared memory for one map: taken from a shelf (or fresh), and remembered so that it can be given back. */
export class BufferLease {
  readonly #shelf: BufferShelf;
  readonly #lent: SharedArrayBuffer[] = [];
  constructor(shelf: BufferShelf) {
    this.#shelf = shelf;
  }
  /** A buffer of at least `bytes` for this map (stale contents). */
  take = (bytes: number): SharedArrayBuffer => {
    const buffer = this.#shelf.take(bytes);
    this.#lent.push(buffer);
    return buffer;
  };
  /** The map is over and nothing reads its buffers any more: back on the shelf. */
  giveBack(): void {
    this.#shelf.give(this.#lent.splice(0));
  }
}
