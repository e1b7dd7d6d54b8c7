/**
 * The checkpoint journal: every finished item's output line, appended in completion order. Writes are batched
 * (one write per burst of results, at the latest every 1,000 records) and fsync'd every 200 ms, so a `kill -9`
 * loses only chunks still running, and a power cut at most the last 200 ms. Reading tolerates a torn last line.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { CliError } from './cli-error.ts';
import { parseOutputLine } from './records.ts';

/** Records buffered before a write, whatever the timing. */
const FLUSH_RECORDS = 1000;
/** How often written records are fsync'd, ms. */
const SYNC_MS = 200;

/** Appends output lines to the journal. */
export class JournalWriter {
  readonly path: string;
  #fd: number | undefined;
  #buffer: string[] = [];
  #unsynced = false;
  #immediate: NodeJS.Immediate | undefined;
  readonly #timer: NodeJS.Timeout;
  #records = 0;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, 'a');
    this.#timer = setInterval(() => this.sync(), SYNC_MS);
    this.#timer.unref();
  }

  /** Records appended by this writer. */
  get records(): number {
    return this.#records;
  }

  /** Append one line (without its newline). Written at the end of the current burst of results. */
  append(line: string): void {
    this.#buffer.push(`${line}\n`);
    this.#records++;
    if (this.#buffer.length >= FLUSH_RECORDS) this.flush();
    else this.#immediate ??= setImmediate(() => this.flush());
  }

  /** Write what is buffered. */
  flush(): void {
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    if (this.#fd === undefined || this.#buffer.length === 0) return;
    writeSync(this.#fd, this.#buffer.join(''));
    this.#buffer = [];
    this.#unsynced = true;
  }

  /** Write and fsync what is buffered. */
  sync(): void {
    this.flush();
    if (this.#fd === undefined || !this.#unsynced) return;
    fsyncSync(this.#fd);
    this.#unsynced = false;
  }

  /** Sync and close. Safe to call twice. */
  close(): void {
    if (this.#fd === undefined) return;
    this.sync();
    clearInterval(this.#timer);
    closeSync(this.#fd);
    this.#fd = undefined;
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
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return { entries, validBytes: 0, tornBytes: 0 };
    throw error;
  }
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
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, validBytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads journaled output lines back by item index. */
export class JournalReader {
  readonly #fd: number;
  readonly #entries: Map<number, JournalEntry>;

  constructor(path: string, index: JournalIndex) {
    this.#fd = openSync(path, 'r');
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
