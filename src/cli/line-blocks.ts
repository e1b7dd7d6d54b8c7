/**
 * The CLI's byte path, main-thread side: JSON Lines input split into blocks of lines without decoding or parsing
 * any of them. A block is one contiguous span of the input, copied once into its own buffer, with the byte range
 * and line number of each item in it; the worker decodes, parses, runs the task and writes the output lines
 * (see line-worker.ts). The rules are those of {@link readLines} and {@link entries}, byte for byte: a UTF-8 byte
 * order mark at the very start and a `\r` before a line end are not part of a line; a line that is empty or only
 * white space is not an item; a line longer than `maxLineBytes` becomes an item with a problem (its bytes are not
 * kept). Items of a block have consecutive input indices: an item the caller skips (already journaled) ends the
 * block before it; consecutive skipped items are handed out as one range (not decoded), or one by one, as an
 * entry, when the caller asks for their text.
 */
import { isBlank, MAX_LINE_BYTES, type Entry } from './input.ts';

/** Items of the input, in blocks. Sent to a worker as they are (the arrays are views of shared memory). */
export interface LineBlock {
  /** The block's bytes (shared memory: a worker reads them where they are). */
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

/**
 * What the reader hands out: a block to run, one item decided before with its text (the caller's `skip` said
 * `'entry'`), or a range of items decided before (`skip` said `true`).
 */
export type BlockPiece = { block: LineBlock } | { skipped: Entry } | { skippedRange: { first: number; count: number } };

/** Whether to leave item `index` out of the blocks: false (run it), true (skip it), `'entry'` (skip it, hand out its text). */
export type SkipVerdict = (index: number) => boolean | 'entry';

/** How large blocks are: the caller may change `lines` between blocks (it adapts it to the measured cost). */
export interface BlockSize {
  lines: number;
  bytes: number;
}

/** Shared memory is taken for blocks in slabs of this size (a larger block gets a slab of its own). */
const SLAB_BYTES = 1 << 20;

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
 * Split a byte stream into blocks of items. Items `skip` leaves out are not run: handed out in ranges, or as
 * `skipped` entries (for the caller's bookkeeping); `parse` turns a skipped line's text into its parsed value on demand.
 */
export async function* lineBlocks(
  source: AsyncIterable<Buffer | string>,
  size: BlockSize,
  skip: SkipVerdict | undefined,
  parse: (text: string) => Entry['parsed'],
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<BlockPiece> {
  let acc = Buffer.allocUnsafeSlow(1 << 17);
  let len = 0;
  // Bytes before `base` are done with (handed out, blank or skipped); item bounds are relative to it.
  let base = 0;
  let lineStart = 0;
  let number = 0;
  let index = 0;
  let first = true;
  let dropping = false; // inside a line that is too long: its bytes are thrown away up to its end
  // The block being gathered: n items, item k at bytes [bounds[2k], bounds[2k + 1]) from `base`, on line numbers[k].
  let bounds = new Int32Array(2 * 1024);
  let numbers = new Int32Array(1024);
  let n = 0;
  let problems: Array<[number, string]> | null = null;
  let blockFirst = 0;
  // Skipped items not handed out yet (a range), and the pieces ready to be handed out, in order.
  let skipFirst = 0;
  let skipCount = 0;
  const ready: BlockPiece[] = [];
  const endSkips = (): void => {
    if (skipCount > 0) ready.push({ skippedRange: { first: skipFirst, count: skipCount } });
    skipCount = 0;
  };

  /**
   * Drop bytes [base, end): nothing before `end` is needed any more. No bytes move here (a block per few KiB of a
   * MiB read would move the rest of the read each time); {@link compact} moves what is left once per read.
   */
  const discard = (end: number): void => {
    base = end;
  };
  /** Move the bytes still needed, [base, len), to the front of the buffer. */
  const compact = (): void => {
    if (base === 0) return;
    acc.copyWithin(0, base, len);
    len -= base;
    lineStart -= base;
    base = 0;
  };
  // Blocks are carved from shared slabs, one after another: one allocation per SLAB_BYTES of input, not one per
  // block (a SharedArrayBuffer costs ~10-20 us to make; fresh pages cost their first touch either way, ~1 ms per
  // MiB). A slab is freed once the last block in it is (blocks stay whole on this side until their reply, for a
  // rerun).
  let slab: SharedArrayBuffer | undefined;
  let slabUsed = 0;
  /** The block of the items so far (bytes [base, end)). */
  const take = (end: number): LineBlock => {
    // One span of shared memory per block: its numbers first (4-byte aligned), then its bytes. Cloned into the
    // worker, shared memory is shared, not copied (a plain buffer costs a copy on each side, ~1.5 ms per MiB).
    const count = n;
    const need = 12 * count + (end - base);
    if (slab === undefined || slabUsed + need > slab.byteLength) {
      slab = new SharedArrayBuffer(Math.max(SLAB_BYTES, need));
      slabUsed = 0;
    }
    const at = slabUsed;
    slabUsed += (need + 3) & ~3;
    const bytes = new Uint8Array(slab, at + 12 * count, end - base);
    bytes.set(acc.subarray(base, end));
    const boundsOf = new Int32Array(slab, at, 2 * count);
    boundsOf.set(bounds.subarray(0, 2 * count));
    const numbersOf = new Int32Array(slab, at + 8 * count, count);
    numbersOf.set(numbers.subarray(0, count));
    const block: LineBlock = { bytes, bounds: boundsOf, numbers: numbersOf, first: blockFirst, count, problems };
    discard(end);
    n = 0;
    problems = null;
    blockFirst = index;
    return block;
  };
  const full = (): boolean => n >= size.lines || lineStart - base >= size.bytes;
  /** Item n of the block: bytes [a, b) of the buffer, on line `line`. */
  const add = (a: number, b: number, line: number): void => {
    if (n === numbers.length) {
      const grownBounds = new Int32Array(4 * n);
      grownBounds.set(bounds);
      bounds = grownBounds;
      const grownNumbers = new Int32Array(2 * n);
      grownNumbers.set(numbers);
      numbers = grownNumbers;
    }
    bounds[2 * n] = a - base;
    bounds[2 * n + 1] = b - base;
    numbers[n++] = line;
  };

  /**
   * One complete line [s, e) (e: the newline's offset): added to the block, or not an item (blank), or skipped
   * (the block so far, then the skipped item, go to `ready`).
   */
  const line = (s: number, e: number, tooLong: boolean): void => {
    number++;
    let a = s;
    let b = e;
    if (!tooLong) {
      if (first && b - a >= 3 && acc[a] === 0xef && acc[a + 1] === 0xbb && acc[a + 2] === 0xbf) a += 3;
      first = false;
      if (b > a && acc[b - 1] === 13) b--;
      if (blankBytes(acc, a, b)) return;
    }
    first = false;
    const problem = tooLong ? `the line is longer than ${maxLineBytes} bytes` : undefined;
    const verdict = skip?.(index) ?? false;
    if (verdict !== false) {
      const text = verdict === true || tooLong ? null : Buffer.from(acc.subarray(a, b));
      if (n > 0) ready.push({ block: take(s) });
      if (verdict === true) {
        if (skipCount === 0) skipFirst = index;
        skipCount++;
      } else {
        endSkips();
        ready.push({ skipped: skippedEntry(index, number, text, problem, parse) });
      }
      index++;
      blockFirst = index;
      return;
    }
    endSkips();
    if (problem !== undefined) {
      (problems ??= []).push([n, problem]);
      add(a, a, number);
    } else add(a, b, number);
    index++;
  };

  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    let at = 0;
    if (dropping) {
      const nl = chunk.indexOf(10);
      if (nl === -1) continue;
      dropping = false;
      at = nl + 1;
      // The too-long line, as an empty range at the current end.
      lineStart = len;
      line(len, len, true);
      if (n > 0 && full()) ready.push({ block: take(lineStart) });
      yield* ready.splice(0);
    }
    const rest = chunk.length - at;
    compact();
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
      // The common line, inline: not the first, nothing skipped, not too long, starting with a printable ASCII
      // byte (so not blank). Anything else takes the general path.
      const c = acc[s]!;
      if (!first && skip === undefined && c > 32 && c < 0x80 && nl - s <= maxLineBytes) {
        number++;
        add(s, nl > s && acc[nl - 1] === 13 ? nl - 1 : nl, number);
        index++;
      } else line(s, nl, nl - s > maxLineBytes);
      if (n > 0 && full()) ready.push({ block: take(lineStart) });
      if (ready.length > 0) {
        yield* ready.splice(0);
        view = acc.subarray(0, len);
      }
      scan = lineStart;
    }
    // Nothing held: the bytes so far (blank or skipped lines) are not kept.
    if (n === 0 && lineStart > 0) discard(lineStart);
    if (len - lineStart > maxLineBytes) {
      // Too long already: hand out the items before it, then throw its bytes away up to its end.
      endSkips();
      if (n > 0) ready.push({ block: take(lineStart) });
      yield* ready.splice(0);
      len = lineStart;
      dropping = true;
    }
  }
  if (dropping || len > lineStart) {
    const s = lineStart;
    lineStart = len;
    if (dropping) line(len, len, true);
    else line(s, len, false);
  }
  endSkips();
  if (n > 0) ready.push({ block: take(lineStart) });
  yield* ready.splice(0);
}
