/**
 * THE durable atomic writer of batchtools: a file is complete or absent (or, when it existed, unchanged).
 *
 * - Every write's byte count is checked: a short write is continued, a write that makes no progress fails
 *   (`ENOSPC` and the like end the write; nothing half written is ever renamed into place).
 * - Order of a commit: write all → fchmod to the final mode → fsync the file → close → rename over the target →
 *   fsync the directory. A power cut before the rename leaves the old file (or none) and a private temporary
 *   file; after the directory fsync the new file is durable.
 * - Temporary names are private: `.<name>.<pid>.<random>.tmp` created with O_EXCL | O_NOFOLLOW, mode 0600, in
 *   the target's directory (the same file system, so the rename is atomic).
 * - Permissions: an existing target keeps its mode (and, for root, its owner); a new file gets `mode`
 *   (callers pass the input's mode, so an output never has wider permissions than its input), masked by the umask.
 * - A symlink is written through: the link stays and its target is replaced. A FIFO, character or block
 *   device or socket is written directly (opened, written, closed; never replaced), so `--output /dev/stdout`
 *   or a named pipe work.
 *
 * The file-system calls go through {@link FileSystem}, so tests can inject faults (short writes, ENOSPC, EIO)
 * at every call in turn.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The synchronous `fs` calls the writers use (a subset of `node:fs`). */
export interface FileSystem {
  openSync(path: string, flags: number | string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  fsyncSync(fd: number): void;
  /** fsync in the thread pool (the journal's periodic fsync); without it, writers fsync synchronously. */
  fsync?(fd: number, callback: (error: NodeJS.ErrnoException | null) => void): void;
  fchmodSync(fd: number, mode: number): void;
  fchownSync(fd: number, uid: number, gid: number): void;
  fstatSync(fd: number): nodeFs.Stats;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  lstatSync(path: string): nodeFs.Stats;
  readlinkSync(path: string): string;
}

let fs: FileSystem = nodeFs as unknown as FileSystem;

/** The file system the writers use now. */
export function fileSystem(): FileSystem {
  return fs;
}

/** Replace the file system (tests: fault injection). Returns a function that restores the previous one. */
export function useFileSystem(replacement: FileSystem): () => void {
  const previous = fs;
  fs = replacement;
  return () => {
    fs = previous;
  };
}

const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW } = nodeFs.constants;

/** Flags of a private new file: create, fail if it exists, never through a symlink. */
export const PRIVATE_CREATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
/** Flags of an append-only file that is never opened through a symlink. */
export const APPEND_NOFOLLOW = O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW;

/** A write that made no progress: the device is full (or gone). */
function noProgress(path: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}' (a write made no progress)`), {
    code: 'ENOSPC',
    syscall: 'write',
    path,
  });
}

/**
 * Write all of `data` at `position` (or the current offset when `null`), continuing after short writes.
 * Throws when a write fails or makes no progress. Returns the bytes written (`data.length`).
 */
export function writeAll(fd: number, data: Uint8Array | string, position: number | null = null, path = '(file)'): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done, position === null ? null : position + done);
    if (!Number.isInteger(n) || n <= 0 || n > bytes.length - done) throw noProgress(path);
    done += n;
  }
  return done;
}

/** fsync a directory, so that a rename or unlink in it survives a power cut. Platforms that cannot are skipped. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // directories cannot be opened on some platforms; the rename itself is still atomic
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/** The process's umask. */
export function currentUmask(): number {
  return process.umask();
}

/** The mode a new file made from an input of mode `inputMode` gets: never wider than the input nor the umask. */
export function modeFollowing(inputMode: number | undefined): number {
  const base = inputMode === undefined ? 0o666 : inputMode & 0o666;
  return base & ~currentUmask() & 0o666;
}

/** Where the bytes for `path` really go: through symlinks (also dangling ones) to the final path. */
export function resolveTarget(path: string): { target: string; stats: nodeFs.Stats | undefined } {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let stats: nodeFs.Stats;
    try {
      stats = fs.lstatSync(current);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return { target: current, stats: undefined };
      throw error;
    }
    if (!stats.isSymbolicLink()) return { target: current, stats };
    current = resolve(dirname(current), fs.readlinkSync(current));
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links, '${path}'`), { code: 'ELOOP', path });
}

function lstatTarget(path: string): { target: string; stats: nodeFs.Stats | undefined } {
  const target = resolve(path);
  try {
    const stats = fs.lstatSync(target);
    return { target, stats: stats.isSymbolicLink() ? undefined : stats };
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return { target, stats: undefined };
    throw error;
  }
}

/** True for a file that is written in place, never replaced (FIFO, device, socket). */
export function isSpecial(stats: nodeFs.Stats | undefined): boolean {
  return stats !== undefined && (stats.isFIFO() || stats.isCharacterDevice() || stats.isBlockDevice() || stats.isSocket());
}

/** Options of an {@link AtomicFile}. */
export interface AtomicFileOptions {
  /** Mode of a new file (an existing one keeps its own). Default: 0666 masked by the umask. */
  mode?: number | undefined;
  /** Bytes buffered before a write. Default: 64 KiB. */
  bufferBytes?: number;
  /** Replace a symlink at `path` instead of writing through it (private folders). Default: false. */
  replaceLinks?: boolean;
  /**
   * Bytes written between two fsyncs started in the thread pool while the file is written, so that the fsync of
   * {@link AtomicFile.commit} finds little left to flush; 0: none (only the one at commit). Their errors are not
   * reported (the fsync at commit reports what matters). Default: 4 MiB.
   */
  syncBytes?: number;
}

const EMPTY = Buffer.alloc(0);
/** The largest encoding buffer an {@link AtomicFile} keeps (and reuses) between writes, bytes. */
const SCRATCH_KEPT = 8 << 20;

/** Temporary-file name of `target` for this process. */
export function tempNameFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** A file written in full under a private temporary name, then renamed into place by {@link commit}. */
export class AtomicFile {
  /** The path as given. */
  readonly path: string;
  /** Where the bytes go (the path, or the end of its symlink chain). */
  readonly target: string;
  /** The temporary file, or `undefined` when the target is written directly (FIFO, device). */
  readonly tempPath: string | undefined;
  #fd: number | undefined;
  readonly #finalMode: number;
  readonly #owner: { uid: number; gid: number } | undefined;
  readonly #bufferBytes: number;
  #buffer: Buffer[] = [];
  #buffered = 0;
  #bytes = 0;
  #scratch: Buffer = EMPTY;
  readonly #syncBytes: number;
  #unsynced = 0;
  #syncing = false;

  constructor(path: string, options: AtomicFileOptions = {}) {
    this.path = path;
    this.#bufferBytes = options.bufferBytes ?? 1 << 16;
    this.#syncBytes = options.syncBytes ?? 4 << 20;
    const { target, stats } = options.replaceLinks === true ? lstatTarget(path) : resolveTarget(path);
    this.target = target;
    if (isSpecial(stats)) {
      this.tempPath = undefined;
      this.#finalMode = 0;
      this.#fd = fs.openSync(target, nodeFs.constants.O_WRONLY);
      return;
    }
    if (stats?.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: 'EISDIR', path });
    this.#finalMode = stats ? stats.mode & 0o7777 : (options.mode ?? modeFollowing(undefined)) & ~currentUmask() & 0o7777;
    const uid = process.getuid?.();
    if (stats && uid === 0 && (stats.uid !== 0 || stats.gid !== 0)) this.#owner = { uid: stats.uid, gid: stats.gid };
    this.tempPath = tempNameFor(target);
    this.#fd = fs.openSync(this.tempPath, PRIVATE_CREATE, 0o600);
  }

  /** Bytes handed to {@link write} so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Append text or bytes (buffered). */
  write(data: string | Uint8Array): void {
    if (this.#fd === undefined) throw new Error(`${this.path}: already closed`);
    // Large text (up to what the kept buffer holds at three bytes per unit) is encoded into one reused buffer and
    // written from there: no Buffer per write to collect, no concatenation. Larger text is encoded on its own.
    if (typeof data === 'string' && data.length >= this.#bufferBytes && data.length * 3 <= SCRATCH_KEPT) {
      this.#flush();
      const most = data.length * 3;
      if (this.#scratch.length < most) this.#scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_KEPT, Math.max(most, 2 * this.#scratch.length)));
      const n = this.#scratch.write(data, 0, 'utf8');
      this.#bytes += writeAll(this.#fd, this.#scratch.subarray(0, n), null, this.tempPath ?? this.target);
      this.#wrote(n);
      return;
    }
    if (typeof data !== 'string' && data.byteLength >= this.#bufferBytes) {
      // Large bytes are written from where they are (after what is buffered): no copy into a concatenation.
      this.#flush();
      this.#bytes += writeAll(this.#fd, data, null, this.tempPath ?? this.target);
      this.#wrote(data.byteLength);
      return;
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.#buffer.push(bytes);
    this.#buffered += bytes.length;
    this.#bytes += bytes.length;
    if (this.#buffered >= this.#bufferBytes) this.#flush();
  }

  #flush(): void {
    if (this.#fd === undefined || this.#buffered === 0) return;
    // Several pieces are copied into the kept scratch buffer (Buffer.concat would touch fresh memory each time).
    const data = this.#buffer.length === 1 ? this.#buffer[0]! : this.#gather();
    this.#buffer = [];
    this.#buffered = 0;
    writeAll(this.#fd, data, null, this.tempPath ?? this.target);
    this.#wrote(data.length);
  }

  /** The buffered pieces, one after another, in the scratch buffer (grown up to SCRATCH_KEPT, else a new one). */
  #gather(): Buffer {
    if (this.#scratch.length < this.#buffered) {
      const size = Math.max(this.#buffered, 2 * this.#scratch.length);
      if (size > SCRATCH_KEPT) return Buffer.concat(this.#buffer, this.#buffered);
      this.#scratch = Buffer.allocUnsafeSlow(size);
    }
    let at = 0;
    for (const piece of this.#buffer) {
      this.#scratch.set(piece, at);
      at += piece.length;
    }
    return this.#scratch.subarray(0, at);
  }

  /**
   * Count bytes written; past `syncBytes` since the last one, start an fsync in the thread pool (one at a time).
   * One still queued when the file is closed may find its descriptor number reused by another file: an fsync of
   * that file is harmless, and the result is ignored either way.
   */
  #wrote(n: number): void {
    this.#unsynced += n;
    if (this.#syncBytes <= 0 || this.#unsynced < this.#syncBytes || this.#syncing) return;
    const fd = this.#fd;
    if (fd === undefined || this.tempPath === undefined || fs.fsync === undefined) return;
    this.#unsynced = 0;
    this.#syncing = true;
    fs.fsync(fd, () => {
      this.#syncing = false;
    });
  }

  /** Flush, set the mode, fsync, close and rename over the target; then fsync the directory. */
  commit(): void {
    const fd = this.#fd;
    if (fd === undefined) throw new Error(`${this.path}: already closed`);
    try {
      this.#flush();
      if (this.tempPath === undefined) {
        this.#fd = undefined;
        fs.closeSync(fd);
        return;
      }
      if (this.#owner) fs.fchownSync(fd, this.#owner.uid, this.#owner.gid);
      fs.fchmodSync(fd, this.#finalMode);
      fs.fsyncSync(fd);
      this.#fd = undefined;
      fs.closeSync(fd);
      fs.renameSync(this.tempPath, this.target);
    } catch (error) {
      this.#fd ??= fd;
      this.abort();
      throw error;
    }
    fsyncDir(dirname(this.target));
  }

  /** Drop the temporary file; the target is left as it was. Safe to call twice and after commit. */
  abort(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    this.#buffer = [];
    this.#buffered = 0;
    if (fd === undefined) return;
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    if (this.tempPath === undefined) return;
    try {
      fs.unlinkSync(this.tempPath);
    } catch {
      // already gone
    }
  }
}

/** Write a whole file atomically (see {@link AtomicFile}). */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicFileOptions = {}): void {
  const file = new AtomicFile(path, options);
  try {
    file.write(data);
    file.commit();
  } catch (error) {
    file.abort();
    throw error;
  }
}
