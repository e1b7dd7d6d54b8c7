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

/** The end of the item that starts at byte `s` of a dense block's bytes, and where the next one starts. */
export function denseItemEnd(bytes: Uint8Array, s: number): number {
  let nl = bytes.indexOf(10, s);
  if (nl === -1) nl = bytes.length;
  return nl;
}

/** The byte ranges of a block's items (item k is [b[2k], b[2k + 1])): a dense block's are found by a scan. */
export function boundsOf(block: LineBlock): Int32Array {
  if (block.bounds !== null) return block.bounds;
  const bounds = new Int32Array(2 * block.count);
  const bytes = block.bytes;
  let s = 0;
  for (let k = 0; k < block.count; k++) {
    const nl = denseItemEnd(bytes, s);
    bounds[2 * k] = s;
    bounds[2 * k + 1] = nl > s && bytes[nl - 1] === 13 ? nl - 1 : nl;
    s = nl + 1;
  }
  return bounds;
}
