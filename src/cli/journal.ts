/**
 * The checkpoint journal: every finished item's output line, appended in completion order.
 *
 * What it guarantees, exactly:
 * - A result is handed to the kernel (`write`) before the end of the event-loop turn in which the CLI received
 *   it (and at once when 64 KiB are waiting). A `kill -9` therefore loses only the chunks in flight (running in
 *   a worker, or whose results had not reached the main thread yet) and nothing the run had received.
 * - The journal is fsync'd at most {@link SYNC_MS} ms after a write (checked on every write and by a timer), and
 *   at the end; a power cut loses at most the results of the last {@link SYNC_MS} ms (plus a torn last line,
 *   which resume cuts off). The manifest is fsync'd, with its folder, before the first journal record.
 * - Every write's byte count is checked (a short write is continued; no progress = ENOSPC). A failed write or
 *   fsync stops the run with that error; nothing after a failed write is appended.
 * - The file is opened with O_NOFOLLOW, created 0600, and must belong to the user.
 */
import { closeSync, ftruncateSync, readSync } from 'node:fs';
import { APPEND_NOFOLLOW, fileSystem, writeAll } from '../base/atomic-file.ts';
import { CliError } from './cli-error.ts';
import { openOwned, READ_ONLY, READ_WRITE } from './owned.ts';
import { parseOutputLine } from './records.ts';

/** Bytes waiting before a write, whatever the timing. */
const FLUSH_BYTES = 1 << 16;
/** How long a written record may wait for its fsync, ms. */
const SYNC_MS = 200;

/** Appends output lines to the journal. */
export class JournalWriter {
  #fd: number | undefined;
  readonly #path: string;
  #buffer: string[] = [];
  #buffered = 0;
  #unsynced = false;
  #lastSync = performance.now();
  #immediate: NodeJS.Immediate | undefined;
  readonly #timer: NodeJS.Timeout;
  #failed: unknown;
  #records = 0;

  constructor(path: string) {
    this.#path = path;
    this.#fd = openOwned(path, APPEND_NOFOLLOW, 'checkpoint journal');
    this.#timer = setInterval(() => this.#background(), SYNC_MS);
    this.#timer.unref();
  }

  /** Records appended by this writer. */
  get records(): number {
    return this.#records;
  }

  /** Append one line (without its newline). Written at the end of the current event-loop turn. */
  append(line: string): void {
    if (this.#failed !== undefined) throw this.#failed;
    this.#buffer.push(`${line}\n`);
    this.#buffered += line.length + 1;
    this.#records++;
    if (this.#buffered >= FLUSH_BYTES) this.flush();
    else this.#immediate ??= setImmediate(() => this.#background());
  }

  /** Append several lines at once: `text` holds them, each with its newline (`lines` of them). */
  appendLines(text: string, lines: number): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (text.length === 0) return;
    this.#buffer.push(text);
    this.#buffered += text.length;
    this.#records += lines;
    if (this.#buffered >= FLUSH_BYTES) this.flush();
    else this.#immediate ??= setImmediate(() => this.#background());
  }

  /** A flush from a timer: an error is kept and thrown by the next append or close (never uncaught). */
  #background(): void {
    this.#immediate = undefined;
    if (this.#failed !== undefined) return;
    try {
      this.flush();
      if (this.#unsynced && performance.now() - this.#lastSync >= SYNC_MS) this.sync();
    } catch (error) {
      this.#failed = error;
    }
  }

  /** Write what is buffered (and fsync when the last fsync is older than SYNC_MS). */
  flush(): void {
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#fd === undefined || this.#buffer.length === 0) return;
    const text = this.#buffer.join('');
    this.#buffer = [];
    this.#buffered = 0;
    try {
      writeAll(this.#fd, text, null, this.#path);
    } catch (error) {
      this.#failed = error;
      throw error;
    }
    this.#unsynced = true;
    if (performance.now() - this.#lastSync >= SYNC_MS) this.sync();
  }

  /** Write and fsync what is buffered. */
  sync(): void {
    this.flush();
    if (this.#fd === undefined || !this.#unsynced) return;
    try {
      fileSystem().fsyncSync(this.#fd);
    } catch (error) {
      this.#failed = error;
      throw error;
    }
    this.#unsynced = false;
    this.#lastSync = performance.now();
  }

  /** Sync and close; throws the first write error. Safe to call twice (the second call does nothing). */
  close(): void {
    if (this.#fd === undefined) return;
    clearInterval(this.#timer);
    try {
      this.sync();
    } finally {
      const fd = this.#fd;
      this.#fd = undefined;
      closeSync(fd);
    }
  }

  /** Close without throwing (after another error, or on a second Ctrl-C): write what can be written. */
  closeQuietly(): void {
    try {
      this.close();
    } catch {
      // the run already ends with an error of its own
    }
  }
}

/** Where one journaled outcome is. */
export interface JournalEntry {
  offset: number;
  /** Bytes, without the newline. */
  length: number;
  ok: boolean;
  /** The failure's code, for `ok: false`. */
  code?: string;
}

/** What a journal holds. */
export interface JournalIndex {
  entries: Map<number, JournalEntry>;
  /** Bytes up to the end of the last good record. */
  validBytes: number;
  /** Bytes after it (a torn last write), dropped by {@link truncateJournal}. */
  tornBytes: number;
}

const READ_BYTES = 1 << 20;

/** Index a journal: item index to record position. A torn tail is tolerated; damage before good records is not. */
export function readJournal(path: string): JournalIndex {
  const entries = new Map<number, JournalEntry>();
  const fd = openOwned(path, READ_ONLY, 'checkpoint journal', true);
  if (fd === undefined) return { entries, validBytes: 0, tornBytes: 0 };
  let validBytes = 0;
  let damagedAt: number | undefined;
  let carry = Buffer.alloc(0);
  let base = 0; // file offset of carry[0]
  try {
    const chunk = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const n = readSync(fd, chunk, 0, READ_BYTES, base + carry.length);
      if (n === 0) break;
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : Buffer.from(chunk.subarray(0, n));
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        const record = parseOutputLine(buf.toString('utf8', start, nl));
        if (record === undefined) damagedAt ??= base + start;
        else {
          if (damagedAt !== undefined) {
            throw new CliError(`checkpoint journal is damaged at byte ${damagedAt}: ${path}`, 'it cannot be resumed; start the run again');
          }
          if (!entries.has(record.index)) {
            const entry: JournalEntry = { offset: base + start, length: nl - start, ok: record.ok };
            if (!record.ok) entry.code = record.error.code;
            entries.set(record.index, entry);
          }
          validBytes = base + nl + 1;
        }
        start = nl + 1;
      }
      carry = buf.subarray(start);
      base += start;
    }
    const size = base + carry.length;
    return { entries, validBytes, tornBytes: size - validBytes };
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
  readonly #entries: Map<number, JournalEntry>;

  constructor(path: string, index: JournalIndex) {
    this.#fd = openOwned(path, READ_ONLY, 'checkpoint journal')!;
    this.#entries = index.entries;
  }

  /** Whether the item has a journaled outcome. */
  has(index: number): boolean {
    return this.#entries.has(index);
  }

  /** The journaled output line of an item, or undefined. */
  read(index: number): string | undefined {
    const entry = this.#entries.get(index);
    if (!entry) return undefined;
    const buf = Buffer.allocUnsafe(entry.length);
    readSync(this.#fd, buf, 0, entry.length, entry.offset);
    return buf.toString('utf8');
  }

  close(): void {
    closeSync(this.#fd);
  }
}
