/**
 * The checkpoint journal: every finished item's output line, appended in completion order.
 *
 * What it guarantees, exactly:
 * - A result is handed to the kernel (`write`) before the end of the event-loop turn in which the CLI received
 *   it (and at once when 64 KiB are waiting). A `kill -9` therefore loses only the chunks in flight (running in
 *   a worker, or whose results had not reached the main thread yet) and nothing the run had received.
 * - The journal is fsync'd at most {@link SYNC_MS} ms after a write (checked on every write and by a timer), and
 *   at the end; a power cut loses at most the results of the last {@link SYNC_MS} ms plus the time one fsync takes
 *   (and a torn last line, which resume cuts off). The periodic fsync runs in the thread pool, so the main thread
 *   keeps dispatching while the disk works; the last one, at the end, is synchronous. The manifest is fsync'd, with its folder, before the first journal record.
 * - Every write's byte count is checked (a short write is continued; no progress = ENOSPC). A failed write or
 *   fsync stops the run with that error; nothing after a failed write is appended.
 * - The file is opened with O_NOFOLLOW, created 0600, and must belong to the user.
 */
import { closeSync } from 'node:fs';
import { APPEND_NOFOLLOW, fileSystem, writeAll } from '../base/atomic-file.ts';
import { openOwned } from './owned.ts';

/** Bytes waiting before a write, whatever the timing. */
const FLUSH_BYTES = 1 << 16;
/** How long a written record may wait for its fsync, ms. */
const SYNC_MS = 200;

/** Appends output lines to the journal. */
export class JournalWriter {
  #fd: number | undefined;
  readonly #path: string;
  #buffer: Array<string | Uint8Array> = [];
  #buffered = 0;
  #unsynced = false;
  #lastSync = performance.now();
  #immediate: NodeJS.Immediate | undefined;
  readonly #timer: NodeJS.Timeout;
  #failed: unknown;
  /** An fsync is running in the thread pool. */
  #syncing = false;
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

  /** Append several lines at once: `text` holds them, each with its newline (`lines` of them), as text or UTF-8. */
  appendLines(text: string | Uint8Array, lines: number): void {
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
      if (this.#unsynced && performance.now() - this.#lastSync >= SYNC_MS) this.#syncSoon();
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
    const parts = this.#buffer;
    const text = parts.every((p) => typeof p === 'string')
      ? parts.join('')
      : Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
    this.#buffer = [];
    this.#buffered = 0;
    try {
      writeAll(this.#fd, text, null, this.#path);
    } catch (error) {
      this.#failed = error;
      throw error;
    }
    this.#unsynced = true;
    if (performance.now() - this.#lastSync >= SYNC_MS) this.#syncSoon();
  }

  /**
   * Start an fsync in the thread pool (one at a time); a file system without one (a test double) fsyncs now.
   * Its error is kept and thrown by the next append or close.
   */
  #syncSoon(): void {
    const fs = fileSystem();
    if (fs.fsync === undefined) {
      this.sync();
      return;
    }
    const fd = this.#fd;
    if (fd === undefined || !this.#unsynced || this.#syncing) return;
    this.#syncing = true;
    this.#unsynced = false;
    const started = performance.now();
    fs.fsync(fd, (error) => {
      this.#syncing = false;
      if (this.#fd !== fd) return; // closed meanwhile: close() fsync'd everything itself
      if (error) this.#failed ??= error;
      else this.#lastSync = started;
    });
  }

  /** Write and fsync what is buffered. */
  sync(): void {
    this.flush();
    // An fsync still running in the thread pool does not count: this one returns only once the bytes are down.
    if (this.#fd === undefined || (!this.#unsynced && !this.#syncing)) return;
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
