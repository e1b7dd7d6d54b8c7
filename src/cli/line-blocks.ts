/**
 * The CLI's byte path, main-thread side: JSON Lines input split into blocks of lines without decoding or parsing
 * any of them. The input is read straight into shared memory (slabs of {@link SLAB_BYTES}, see byte-reader.ts) and
 * a block is a view of one span of a slab: it is never copied on this side, and a worker reads it where it is. The
 * common block is dense (every line in its span is an item, so it needs no per-item bookkeeping: the worker finds
 * the lines itself); a block with a line that is not an item in its span (blank), or an item that is not the whole
 * line (a byte order mark, a line too long), carries the byte range and line number of each item. The worker
 * decodes, parses, runs the task and writes the output lines (see line-worker.ts). The rules are those of
 * {@link readLines} and {@link entries}, byte for byte: a UTF-8 byte order mark at the very start and a `\r`
 * before a line end are not part of a line; a line that is empty or only white space is not an item; a line longer
 * than `maxLineBytes` becomes an item with a problem (its bytes are not kept). Items of a block have consecutive
 * input indices: an item the caller skips (already journaled) ends the block before it; consecutive skipped items
 * are handed out as one range (not decoded), or one by one, as an entry, when the caller asks for their text.
 */
import { asByteReader, type ByteReader } from './byte-reader.ts';
import { isBlank, MAX_LINE_BYTES, type Entry } from './input.ts';
import { denseBounds, itemEnd, type LineBlock } from './line-block.ts';

export { boundsOf, lineOf, type LineBlock } from './line-block.ts';

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

/** Input is read into shared slabs of this size (more when a block and the line after it need more). */
export const SLAB_BYTES = 4 << 20;
/** Bytes per read at most: the first blocks go out before a whole slab is read. */
const READ_BYTES = 1 << 20;

/** A buffer over fresh shared memory. */
const newSlab = (bytes: number): Buffer => Buffer.from(new SharedArrayBuffer(bytes));

/**
 * Split a byte stream into blocks of items. Items `skip` leaves out are not run: handed out in ranges, or as
 * `skipped` entries (for the caller's bookkeeping); `parse` turns a skipped line's text into its parsed value on demand.
 * `source` is read into shared slabs of `slabBytes` (see byte-reader.ts); the reader is closed at the end, or when
 * the caller stops early.
 */
export async function* lineBlocks(
  source: AsyncIterable<Buffer | string> | ByteReader,
  size: BlockSize,
  skip: SkipVerdict | undefined,
  parse: (text: string) => Entry['parsed'],
  maxLineBytes = MAX_LINE_BYTES,
  slabBytes = SLAB_BYTES,
): AsyncGenerator<BlockPiece> {
  const reader = asByteReader(source);
  // A read into less room than this starts a new slab first.
  const minRead = Math.max(1, Math.min(1 << 16, slabBytes >> 2));
  let slab = newSlab(slabBytes);
  // Whether a block of the slab went out (its memory is then a worker's to read: never written again).
  let lent = false;
  let len = 0;
  // Where the block being gathered starts (bytes before it went out, or were not items); with no item gathered,
  // where the next line starts.
  let base = 0;
  let lineStart = 0;
  let scan = 0;
  let number = 0;
  let index = 0;
  let first = true;
  let dropping = false; // inside a line that is too long: its bytes are thrown away up to its end
  // The block being gathered: n items from `base`, the first on line `blockLine`. Dense while every line from
  // `base` is an item that is its whole line (less a `\r`); else item k is at [bounds[2k], bounds[2k + 1]) from
  // `base`, on line numbers[k].
  let n = 0;
  let dense = true;
  let blockLine = 0;
  let bounds = new Int32Array(2 * 1024);
  let numbers = new Int32Array(1024);
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

  /** Room to read into: what is still needed, [base, len), moves to the front of a new slab (or of this one). */
  const makeRoom = (): void => {
    if (slab.length - len >= minRead) return;
    const keep = len - base;
    if (!lent && keep + minRead <= slab.length) slab.copyWithin(0, base, len);
    else {
      const next = newSlab(Math.max(slabBytes, 2 * keep, keep + minRead));
      slab.copy(next, 0, base, len);
      slab = next;
      lent = false;
    }
    len = keep;
    lineStart -= base;
    scan -= base;
    base = 0;
  };
  /** Room in the item arrays for `count` items (a dense block counts its items without writing them). */
  const reserve = (count: number): void => {
    if (count <= numbers.length) return;
    const capacity = Math.max(count, 2 * numbers.length);
    const grownBounds = new Int32Array(2 * capacity);
    grownBounds.set(bounds);
    bounds = grownBounds;
    const grownNumbers = new Int32Array(capacity);
    grownNumbers.set(numbers);
    numbers = grownNumbers;
  };
  /** The dense block so far, written out item by item (a line that is not an item comes into its span). */
  const explicit = (): void => {
    if (!dense) return;
    dense = false;
    reserve(n);
    denseBounds(slab.subarray(base), n, bounds);
    for (let k = 0; k < n; k++) numbers[k] = blockLine + k;
  };
  /** Item n of the block: its whole line [s, e) (e: without its line end), on line `line`. */
  const addLine = (s: number, e: number, line: number): void => {
    if (n === 0) blockLine = line;
    if (!dense) {
      reserve(n + 1);
      bounds[2 * n] = s - base;
      bounds[2 * n + 1] = e - base;
      numbers[n] = line;
    }
    n++;
  };
  /** Item n of the block: bytes [a, b), not its whole line, on line `line`. */
  const addPart = (a: number, b: number, line: number): void => {
    explicit();
    if (n === 0) blockLine = line;
    reserve(n + 1);
    bounds[2 * n] = a - base;
    bounds[2 * n + 1] = b - base;
    numbers[n++] = line;
  };
  /** The block of the items so far (bytes [base, end)): a view of the slab, nothing copied. */
  const take = (end: number): LineBlock => {
    const bytes = new Uint8Array(slab.buffer, slab.byteOffset + base, end - base);
    const block: LineBlock = dense
      ? { bytes, bounds: null, numbers: null, line: blockLine, first: blockFirst, count: n, problems: null }
      : { bytes, bounds: bounds.slice(0, 2 * n), numbers: numbers.slice(0, n), line: blockLine, first: blockFirst, count: n, problems };
    lent = true;
    base = end;
    n = 0;
    dense = true;
    problems = null;
    blockFirst = index;
    return block;
  };
  const full = (): boolean => n >= size.lines || lineStart - base >= size.bytes;

  /**
   * One complete line [s, e) (e: the newline's offset; `lineStart` is past it): added to the block, or not an
   * item (blank), or skipped (the block so far, then the skipped item, go to `ready`).
   */
  const line = (s: number, e: number, tooLong: boolean): void => {
    number++;
    let a = s;
    let b = e;
    if (!tooLong) {
      if (first && b - a >= 3 && slab[a] === 0xef && slab[a + 1] === 0xbb && slab[a + 2] === 0xbf) a += 3;
      first = false;
      b = itemEnd(slab, a, b);
      if (blankBytes(slab, a, b)) {
        // Not an item: a block with items keeps it in its span (so it is written out item by item).
        if (n > 0) explicit();
        else base = lineStart;
        return;
      }
    }
    first = false;
    const problem = tooLong ? `the line is longer than ${maxLineBytes} bytes` : undefined;
    const verdict = skip?.(index) ?? false;
    if (verdict !== false) {
      const text = verdict === true || tooLong ? null : Buffer.from(slab.subarray(a, b));
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
      base = lineStart;
      return;
    }
    endSkips();
    if (problem !== undefined) {
      addPart(a, a, number);
      (problems ??= []).push([n - 1, problem]);
    } else if (a === s) addLine(a, b, number);
    else addPart(a, b, number);
    index++;
  };

  try {
    for (;;) {
      makeRoom();
      const from = len;
      const got = await reader.readInto(slab, len, Math.min(slab.length - len, READ_BYTES));
      if (got === 0) break;
      len += got;
      if (dropping) {
        // Nothing is kept of the too-long line: what was read goes, up to its end.
        const nl = slab.subarray(from, len).indexOf(10);
        if (nl === -1) {
          len = from;
          continue;
        }
        dropping = false;
        slab.copyWithin(from, from + nl + 1, len);
        len -= nl + 1;
        // The too-long line, as an empty range where it was.
        line(from, from, true);
        if (n > 0 && full()) ready.push({ block: take(lineStart) });
        yield* ready.splice(0);
      }
      const view = slab.subarray(0, len);
      for (;;) {
        if (dense && skip === undefined && !first) {
          // The common lines of a dense block, counted in locals: each starts with a printable ASCII byte (so it is
          // not blank) and is not too long. The first other line takes the general path below.
          const start = n;
          const maxLines = size.lines;
          const maxEnd = base + size.bytes;
          let ls = lineStart;
          let count = start;
          while (count < maxLines && ls < maxEnd) {
            const nl = view.indexOf(10, ls);
            if (nl === -1) break;
            const c = slab[ls]!;
            if (c <= 32 || c >= 0x80 || nl - ls > maxLineBytes) break;
            ls = nl + 1;
            count++;
          }
          if (count > start) {
            if (start === 0) blockLine = number + 1;
            number += count - start;
            index += count - start;
            n = count;
            lineStart = ls;
            scan = ls;
            if (full()) {
              yield { block: take(lineStart) };
              continue;
            }
          }
        }
        const nl = view.indexOf(10, scan);
        if (nl === -1) break;
        const s = lineStart;
        lineStart = nl + 1;
        // The common line, inline: not the first, nothing skipped, not too long, starting with a printable ASCII
        // byte (so not blank). Anything else takes the general path.
        const c = slab[s]!;
        if (!first && skip === undefined && c > 32 && c < 0x80 && nl - s <= maxLineBytes) {
          number++;
          if (dense) {
            if (n === 0) blockLine = number;
            n++;
          } else addLine(s, itemEnd(slab, s, nl), number);
          index++;
        } else line(s, nl, nl - s > maxLineBytes);
        if (n > 0 && full()) ready.push({ block: take(lineStart) });
        if (ready.length > 0) yield* ready.splice(0);
        scan = lineStart;
      }
      scan = len;
      if (len - lineStart > maxLineBytes) {
        // Too long already: hand out the items before it, then throw its bytes away up to its end.
        endSkips();
        if (n > 0) ready.push({ block: take(lineStart) });
        yield* ready.splice(0);
        len = lineStart;
        scan = len;
        base = lineStart;
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
  } finally {
    await reader.close();
  }
}
