/**
 * Reading a checkpoint journal back, for `resume`: which items have an outcome, which of those failed, and where
 * their output lines are. Built to cost little per journaled item, since a resume reads every record once:
 *
 * - A record's head (`{"index":…,"line":…,"ok":true,"value":` or `…"filtered":true,"value":`) is checked on the
 *   bytes, without decoding or parsing the line; only failure records are parsed in full (their code is counted).
 * - Items are two bit sets (journaled, failed), not an object per item.
 * - Records of consecutive items that lie one after another in the file (the journal appends a block's lines at
 *   once) form a *run*; the output copies a run's bytes in one read instead of one read per line.
 *
 * A torn tail (a write cut by a kill or a power cut) is tolerated and reported; damage before a good record is not.
 */
import { closeSync, ftruncateSync, readSync } from 'node:fs';
import { fileSystem } from '../base/atomic-file.ts';
import { CliError } from './cli-error.ts';
import { openOwned, READ_ONLY, READ_WRITE } from './owned.ts';
import { parseOutputLine } from './records.ts';

/** A growable set of item indices. */
class IndexSet {
  #words = new Uint32Array(64);

  has(i: number): boolean {
    const w = Math.floor(i / 32);
    return w < this.#words.length && (this.#words[w]! & (1 << (i & 31))) !== 0;
  }

  add(i: number): void {
    const w = Math.floor(i / 32);
    if (w >= this.#words.length) {
      const grown = new Uint32Array(Math.max(this.#words.length * 2, w + 1));
      grown.set(this.#words);
      this.#words = grown;
    }
    this.#words[w]! |= 1 << (i & 31);
  }
}

/** Bytes of one run at most (a run is read into memory at once). */
const MAX_RUN_BYTES = 1 << 22;

/** What a journal holds. */
export class JournalIndex {
  /** Bytes up to the end of the last good record. */
  validBytes = 0;
  /** Bytes after it (a torn last write), dropped by {@link truncateJournal}. */
  tornBytes = 0;
  /** Items with a journaled outcome, and how many of them failed, by code. */
  decided = 0;
  failed = 0;
  readonly byCode: Record<string, number> = {};
  readonly #done = new IndexSet();
  readonly #bad = new IndexSet();
  // Runs, in file order: first item, items, byte offset, bytes (newlines included).
  #first: number[] = [];
  #count: number[] = [];
  #offset: number[] = [];
  #bytes: number[] = [];
  /** Run numbers sorted by first item (built on first use). */
  #sorted: Int32Array | undefined;

  /** Whether item `index` has a journaled outcome. */
  has(index: number): boolean {
    return this.#done.has(index);
  }

  /** Whether item `index` has a journaled failure. */
  failedAt(index: number): boolean {
    return this.#bad.has(index);
  }

  /** Note one record (items are noted once: a repeated index is ignored). Returns false for a repeat. */
  add(index: number, ok: boolean, code: string | undefined, offset: number, bytes: number): boolean {
    if (this.#done.has(index)) return false;
    this.#done.add(index);
    this.decided++;
    if (!ok) {
      this.#bad.add(index);
      this.failed++;
      const c = code ?? 'unknown';
      this.byCode[c] = (this.byCode[c] ?? 0) + 1;
    }
    const r = this.#first.length - 1;
    if (r >= 0 && this.#first[r]! + this.#count[r]! === index && this.#offset[r]! + this.#bytes[r]! === offset && this.#bytes[r]! + bytes <= MAX_RUN_BYTES) {
      this.#count[r]!++;
      this.#bytes[r]! += bytes;
    } else {
      this.#first.push(index);
      this.#count.push(1);
      this.#offset.push(offset);
      this.#bytes.push(bytes);
      this.#sorted = undefined;
    }
    return true;
  }

  /** Where the run holding item `index` is, and the item's place in it; undefined when not journaled. */
  locate(index: number): { first: number; count: number; offset: number; bytes: number } | undefined {
    if (!this.has(index)) return undefined;
    if (this.#sorted === undefined) {
      const order = Int32Array.from(this.#first.keys());
      const first = this.#first;
      order.sort((a, b) => first[a]! - first[b]!);
      this.#sorted = order;
    }
    const sorted = this.#sorted;
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#first[sorted[mid]!]! <= index) lo = mid;
      else hi = mid - 1;
    }
    const r = sorted[lo]!;
    return { first: this.#first[r]!, count: this.#count[r]!, offset: this.#offset[r]!, bytes: this.#bytes[r]! };
  }
}

const READ_BYTES = 1 << 20;
const HEAD = Buffer.from('{"index":');
const LINE = Buffer.from(',"line":');
const OK = Buffer.from(',"ok":');
const TRUE_VALUE = Buffer.from('true,"value":');
const TRUE_FILTERED = Buffer.from('true,"filtered":true,"value":');
const FALSE = Buffer.from('false,');

/** Whether buf[at, end) starts with `what` (a loop: cheaper than a call into Buffer.compare for a few bytes). */
function startsWith(buf: Buffer, at: number, end: number, what: Buffer): boolean {
  if (end - at < what.length) return false;
  for (let i = 0; i < what.length; i++) if (buf[at + i] !== what[i]) return false;
  return true;
}

/** Digits at `at`: [value, end] or undefined. */
function digits(buf: Buffer, at: number, end: number): [number, number] | undefined {
  let value = 0;
  let p = at;
  while (p < end && p - at < 16) {
    const c = buf[p]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
    p++;
  }
  return p === at || !Number.isSafeInteger(value) ? undefined : [value, p];
}

/**
 * The head of one record, bytes [s, e) without the newline: the item index and whether it succeeded, or
 * undefined when the line is not a record. A success is checked on its bytes; a failure is parsed in full.
 */
function recordHead(buf: Buffer, s: number, e: number): { index: number; ok: boolean; code?: string } | undefined {
  if (!startsWith(buf, s, e, HEAD) || buf[e - 1] !== 125 /* } */) return undefined;
  const index = digits(buf, s + HEAD.length, e);
  if (!index || !startsWith(buf, index[1], e, LINE)) return undefined;
  const line = digits(buf, index[1] + LINE.length, e);
  if (!line || !startsWith(buf, line[1], e, OK)) return undefined;
  const at = line[1] + OK.length;
  if (startsWith(buf, at, e, TRUE_VALUE) || startsWith(buf, at, e, TRUE_FILTERED)) return { index: index[0], ok: true };
  if (!startsWith(buf, at, e, FALSE)) return undefined;
  const record = parseOutputLine(buf.toString('utf8', s, e));
  if (record === undefined || record.ok || record.index !== index[0]) return undefined;
  return { index: index[0], ok: false, code: record.error.code };
}

/**
 * Index a journal. Records of items at or past `total` (the input's items) are not items of this run and are left
 * out. A torn tail is tolerated; damage before good records is not.
 */
export function readJournal(path: string, total: number): JournalIndex {
  const index = new JournalIndex();
  const fd = openOwned(path, READ_ONLY, 'checkpoint journal', true);
  if (fd === undefined) return index;
  let damagedAt: number | undefined;
  let carry = Buffer.alloc(0);
  let base = 0; // file offset of carry[0]
  try {
    const chunk = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const n = readSync(fd, chunk, 0, READ_BYTES, base + carry.length);
      if (n === 0) break;
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        const head = recordHead(buf, start, nl);
        if (head === undefined) damagedAt ??= base + start;
        else {
          if (damagedAt !== undefined) {
            throw new CliError(`checkpoint journal is damaged at byte ${damagedAt}: ${path}`, 'it cannot be resumed; start the run again');
          }
          if (head.index < total) index.add(head.index, head.ok, head.code, base + start, nl + 1 - start);
          index.validBytes = base + nl + 1;
        }
        start = nl + 1;
      }
      // The unfinished line is copied out: `chunk` is read into again.
      carry = Buffer.from(buf.subarray(start));
      base += start;
    }
    index.tornBytes = base + carry.length - index.validBytes;
    return index;
  } finally {
    closeSync(fd);
  }
}

/** Cut a journal's torn tail, so new records start on a line of their own. */
export function truncateJournal(path: string, validBytes: number): void {
  const fd = openOwned(path, READ_WRITE, 'checkpoint journal')!;
  try {
    ftruncateSync(fd, validBytes);
    fileSystem().fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads journaled output lines back by item index. */
export class JournalReader {
  readonly #fd: number;
  readonly #index: JournalIndex;

  constructor(path: string, index: JournalIndex) {
    this.#fd = openOwned(path, READ_ONLY, 'checkpoint journal')!;
    this.#index = index;
  }

  /** Whether the item has a journaled outcome. */
  has(index: number): boolean {
    return this.#index.has(index);
  }

  /** The journaled output line of an item (without its newline), or undefined. */
  read(index: number): string | undefined {
    const run = this.readRun(index);
    if (run === undefined) return undefined;
    const nl = run.text.indexOf('\n');
    return run.text.slice(0, nl === -1 ? undefined : nl);
  }

  /**
   * The journaled lines of item `index` and of the items after it that follow it in the journal (a run), each
   * with its newline: `count` lines. Undefined when the item has none.
   */
  readRun(index: number): { text: string; count: number } | undefined {
    const run = this.#index.locate(index);
    if (run === undefined) return undefined;
    const buf = Buffer.allocUnsafe(run.bytes);
    let done = 0;
    while (done < run.bytes) {
      const n = readSync(this.#fd, buf, done, run.bytes - done, run.offset + done);
      if (n === 0) throw new Error(`internal error: the checkpoint journal ended before byte ${run.offset + run.bytes}`);
      done += n;
    }
    let start = 0;
    for (let k = run.first; k < index; k++) start = buf.indexOf(10, start) + 1;
    return { text: buf.toString('utf8', start), count: run.count - (index - run.first) };
  }

  close(): void {
    closeSync(this.#fd);
  }
}
