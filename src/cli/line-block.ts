/**
 * A block of input lines as the byte path hands it to a worker (made by line-blocks.ts, run by line-worker.ts), and
 * how to find its items. Its own module, imported by both sides: the worker's bundle takes nothing of the reader.
 */

/** Items of the input, in blocks. Sent to a worker as they are (the bytes are a view of shared memory). */
export interface LineBlock {
  /** The block's bytes (shared memory: a worker reads them where they are). */
  bytes: Uint8Array;
  /**
   * Item k is bytes[bounds[2k], bounds[2k + 1]), without its line end; null for a dense block, whose item k is its
   * k-th line (up to a `\n` or the end of the bytes, less one `\r` before it). See {@link boundsOf}.
   */
  bounds: Int32Array | null;
  /** Item k's 1-based line number; null for a dense block (item k is on line `line + k`). See {@link lineOf}. */
  numbers: Int32Array | null;
  /** Item 0's 1-based line number. */
  line: number;
  /** Input index of item 0; item k is `first + k`. */
  first: number;
  count: number;
  /** Items that cannot be used as they are (a line too long): [k, message]. Their range is empty. */
  problems: Array<[number, string]> | null;
}

/** Item k's 1-based line number. */
export function lineOf(block: LineBlock, k: number): number {
  return block.numbers === null ? block.line + k : block.numbers[k]!;
}

/** Where the line that starts at byte `s` ends: at its newline, or at the end of the bytes. */
export function lineEnd(bytes: Uint8Array, s: number): number {
  const nl = bytes.indexOf(10, s);
  return nl === -1 ? bytes.length : nl;
}

/** The end of the item on the line [s, end): one `\r` before the line end is not part of it. */
export function itemEnd(bytes: Uint8Array, s: number, end: number): number {
  return end > s && bytes[end - 1] === 13 ? end - 1 : end;
}

/**
 * The byte ranges of the first `count` lines of `bytes` (each less one `\r`), as items 0.. of `into` (item k is
 * [into[2k], into[2k + 1])): the items of a dense block.
 */
export function denseBounds(bytes: Uint8Array, count: number, into: Int32Array): Int32Array {
  let s = 0;
  for (let k = 0; k < count; k++) {
    const end = lineEnd(bytes, s);
    into[2 * k] = s;
    into[2 * k + 1] = itemEnd(bytes, s, end);
    s = end + 1;
  }
  return into;
}

/** The byte ranges of a block's items (item k is [b[2k], b[2k + 1])): a dense block's are found by a scan. */
export function boundsOf(block: LineBlock): Int32Array {
  return block.bounds ?? denseBounds(block.bytes, block.count, new Int32Array(2 * block.count));
}
