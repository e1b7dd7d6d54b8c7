/**
 * The CLI's byte path, main-thread side: JSON Lines input split into blocks of lines without decoding or parsing
 * any of them. A block is one contiguous span of the input, copied once into its own buffer, with the byte range
 * and line number of each item in it; the worker decodes, parses, runs the task and writes the output lines
 * (see line-worker.ts). The rules are those of {@link readLines} and {@link entries}, byte for byte: a UTF-8 byte
 * order mark at the very start and a `\r` before a line end are not part of a line; a line that is empty or only
 * white space is not an item; a line longer than `maxLineBytes` becomes an item with a problem (its bytes are not
 * kept). Items of a block have consecutive input indices: an item the caller skips (already journaled) ends the
 * block before it and is handed out on its own.
 */
import { isBlank, MAX_LINE_BYTES, type Entry } from './input.ts';

/** Items of the input, in blocks. Sent to a worker as they are (all fields clone cheaply). */
export interface LineBlock {
  /** The block's bytes (its own buffer: a view of a larger one would clone all of it). */
  bytes: Uint8Array;
  /** Item k is bytes[bounds[2k], bounds[2k + 1]), without its line end. */
  bounds: Int32Array;
  /** Item k's 1-based line number. */
  numbers: Int32Array;
  /** Input index of item 0; item k is `first + k`. */
  first: number;
  count: number;
  /** Items that cannot be used as they are (a line too long): [k, message]. Their range is empty. */
  problems: Array<[number, string]> | null;
}

/** What the reader hands out: a block to run, or one item decided before (the caller's `skip` said so). */
export type BlockPiece = { block: LineBlock } | { skipped: Entry };

/** How large blocks are: the caller may change `lines` between blocks (it adapts it to the measured cost). */
export interface BlockSize {
  lines: number;
  bytes: number;
}

/** Bytes of the input taken at a time (see the loop in {@link lineBlocks}). */
const SLICE_BYTES = 1 << 16;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });

/** True when bytes[s, e) are a blank line (white space only, as `String.prototype.trim` sees it). */
function blankBytes(bytes: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = bytes[i]!;
    if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) continue;
    if (c < 0x80) return false;
    // Non-ASCII: Unicode white space (U+00A0, U+2028, U+FEFF…) counts as blank for trim(); decode to know.
    try {
      return isBlank(utf8.decode(bytes.subarray(s, e)));
    } catch {
      return false; // invalid UTF-8 is an item (it fails as BT_INVALID_INPUT)
    }
  }
  return true;
}

/** The Entry of one item taken out of the byte path (skipped: journaled before); parsed only if asked. */
function skippedEntry(index: number, line: number, bytes: Uint8Array | null, problem: string | undefined, parse: (text: string) => Entry['parsed']): Entry {
  let raw: string;
  let why = problem;
  if (bytes === null) raw = '';
  else {
    try {
      raw = utf8.decode(bytes);
    } catch {
      raw = lossy.decode(bytes);
      why = 'invalid UTF-8';
    }
  }
  let parsed: Entry['parsed'] | undefined;
  return {
    index,
    line,
    raw,
    get parsed() {
      parsed ??= why !== undefined ? { ok: false, message: why } : parse(raw);
      return parsed;
    },
  };
}

/**
 * Split a byte stream into blocks of items. `skip(index)` true: the item is not run (it is handed out as a
 * `skipped` entry, for the caller's bookkeeping); `parse` turns a skipped line's text into its parsed value on demand.
 */
export async function* lineBlocks(
  source: AsyncIterable<Buffer | string>,
  size: BlockSize,
  skip: ((index: number) => boolean) | undefined,
  parse: (text: string) => Entry['parsed'],
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<BlockPiece> {
  let acc = Buffer.allocUnsafeSlow(1 << 17);
  let len = 0;
  let lineStart = 0;
  let number = 0;
  let index = 0;
  let first = true;
  let dropping = false; // inside a line that is too long: its bytes are thrown away up to its end
  let bounds: number[] = [];
  let numbers: number[] = [];
  let problems: Array<[number, string]> | null = null;
  let blockFirst = 0;

  /** Drop bytes [0, end): the bytes after it move to the front. */
  const discard = (end: number): void => {
    acc.copyWithin(0, end, len);
    len -= end;
    lineStart -= end;
  };
  /** The block of the items so far (bytes [0, end)). */
  const take = (end: number): LineBlock => {
    const bytes = new Uint8Array(end);
    bytes.set(acc.subarray(0, end));
    const block: LineBlock = {
      bytes,
      bounds: Int32Array.from(bounds),
      numbers: Int32Array.from(numbers),
      first: blockFirst,
      count: numbers.length,
      problems,
    };
    discard(end);
    bounds = [];
    numbers = [];
    problems = null;
    blockFirst = index;
    return block;
  };
  const full = (): boolean => numbers.length >= size.lines || lineStart >= size.bytes;

  /**
   * One complete line [s, e) (e: the newline's offset): added to the block, or not an item (blank), or to skip.
   * Returns the skipped item's entry (the caller hands out the block so far first), else undefined.
   */
  const line = (s: number, e: number, tooLong: boolean): { skipped: Entry; at: number } | undefined => {
    number++;
    let a = s;
    let b = e;
    if (!tooLong) {
      if (first && b - a >= 3 && acc[a] === 0xef && acc[a + 1] === 0xbb && acc[a + 2] === 0xbf) a += 3;
      first = false;
      if (b > a && acc[b - 1] === 13) b--;
      if (blankBytes(acc, a, b)) return undefined;
    }
    first = false;
    const problem = tooLong ? `the line is longer than ${maxLineBytes} bytes` : undefined;
    if (skip?.(index)) {
      const text = tooLong ? null : Buffer.from(acc.subarray(a, b));
      const skipped = skippedEntry(index, number, text, problem, parse);
      index++;
      return { skipped, at: s };
    }
    if (problem !== undefined) {
      (problems ??= []).push([numbers.length, problem]);
      bounds.push(a, a);
    } else bounds.push(a, b);
    numbers.push(number);
    index++;
    return undefined;
  };

  for await (const piece of source) {
    const whole = typeof piece === 'string' ? Buffer.from(piece) : piece;
    // Large reads (fewer calls) are taken in slices: a block taken moves the bytes after it to the front, and a
    // slice bounds how many those are.
    for (let offset = 0; offset < whole.length; offset += SLICE_BYTES) {
      const chunk = offset === 0 && whole.length <= SLICE_BYTES ? whole : whole.subarray(offset, offset + SLICE_BYTES);
      let at = 0;
      if (dropping) {
        const nl = chunk.indexOf(10);
        if (nl === -1) continue;
        dropping = false;
        at = nl + 1;
        // The too-long line, as an empty range at the current end.
        lineStart = len;
        const skipped = line(len, len, true);
        if (skipped) {
          if (numbers.length > 0) yield { block: take(skipped.at) };
          blockFirst = index;
          yield { skipped: skipped.skipped };
        }
        if (numbers.length > 0 && full()) yield { block: take(lineStart) };
      }
      const rest = chunk.length - at;
      if (len + rest > acc.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(acc.length * 2, len + rest));
        acc.copy(grown, 0, 0, len);
        acc = grown;
      }
      chunk.copy(acc, len, at);
      let scan = len;
      len += rest;
      let view = acc.subarray(0, len);
      for (;;) {
        const nl = view.indexOf(10, scan);
        if (nl === -1) break;
        const s = lineStart;
        lineStart = nl + 1;
        const skipped = line(s, nl, nl - s > maxLineBytes);
        if (skipped !== undefined) {
          // Items before it go as a block; it goes on its own (its text was copied out).
          if (numbers.length > 0) {
            yield { block: take(skipped.at) };
            view = acc.subarray(0, len);
          }
          blockFirst = index;
          yield { skipped: skipped.skipped };
        }
        if (numbers.length > 0 && full()) {
          yield { block: take(lineStart) };
          view = acc.subarray(0, len);
        }
        scan = lineStart;
      }
      // Nothing held: the bytes so far (blank or skipped lines) are not kept.
      if (numbers.length === 0 && lineStart > 0) discard(lineStart);
      if (len - lineStart > maxLineBytes) {
        // Too long already: hand out the items before it, then throw its bytes away up to its end.
        if (numbers.length > 0) yield { block: take(lineStart) };
        len = lineStart;
        dropping = true;
      }
    }
  }
  if (dropping || len > lineStart) {
    const s = lineStart;
    lineStart = len;
    const skipped = dropping ? line(len, len, true) : line(s, len, false);
    if (skipped) {
      if (numbers.length > 0) yield { block: take(skipped.at) };
      blockFirst = index;
      yield { skipped: skipped.skipped };
    }
  }
  if (numbers.length > 0) yield { block: take(lineStart) };
}
