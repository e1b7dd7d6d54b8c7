/**
 * Files written so that a reader never sees half of one: a temporary file in the same directory, fsync, rename,
 * fsync of the directory. Also the checks on paths made before any work starts, and file fingerprints.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from './cli-error.ts';

/** Size and sha256 of a file's bytes. */
export interface Fingerprint {
  size: number;
  sha256: string;
}

/** Hash a file. */
export async function fingerprint(path: string): Promise<Fingerprint> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** fsync a directory, so that a rename in it survives a power cut. Best effort (not every platform allows it). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Directories cannot be opened for fsync on some platforms; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const FLUSH_BYTES = 1 << 16;

/** A file written in full under a temporary name, then renamed into place by {@link commit}. */
export class AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  #fd: number | undefined;
  #buffer: string[] = [];
  #buffered = 0;

  constructor(path: string) {
    this.path = path;
    this.tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    this.#fd = openSync(this.tempPath, 'wx');
  }

  /** Append text (buffered). */
  write(text: string): void {
    this.#buffer.push(text);
    this.#buffered += text.length;
    if (this.#buffered >= FLUSH_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#fd === undefined || this.#buffer.length === 0) return;
    writeSync(this.#fd, this.#buffer.join(''));
    this.#buffer = [];
    this.#buffered = 0;
  }

  /** Flush, fsync, and rename over the final path. */
  commit(): void {
    if (this.#fd === undefined) throw new Error(`${this.path}: already closed`);
    this.#flush();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = undefined;
    renameSync(this.tempPath, this.path);
    fsyncDir(dirname(this.path));
  }

  /** Drop the temporary file; the final path is left as it was. Safe to call after commit. */
  abort(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
    this.#fd = undefined;
    try {
      unlinkSync(this.tempPath);
    } catch {
      // already gone
    }
  }
}

/**
 * Remove temporary files that a killed process (`kill -9`, power cut) left next to `path`: those named after
 * `path` whose process is gone.
 */
export function removeStaleTemps(path: string, isAlive: (pid: number) => boolean): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (!match || isAlive(Number(match[1]))) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone meanwhile
    }
  }
}

/** Write a whole file atomically. */
export function writeFileAtomic(path: string, text: string): void {
  const file = new AtomicFile(path);
  try {
    file.write(text);
    file.commit();
  } catch (error) {
    file.abort();
    throw error;
  }
}

/** Check that the directory a file is to be written in exists. */
export function requireParentDir(path: string, option: string): void {
  const dir = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new CliError(`${option}: directory does not exist: ${dir}`, `create it first (mkdir -p ${dir}) or choose another path`);
  try {
    if (statSync(path).isDirectory()) throw new CliError(`${option}: ${path} is a directory`, 'give the path of a file');
  } catch (error) {
    if (error instanceof CliError) throw error;
  }
}

/** Check that a task module exists and is a file. */
export function requireModuleFile(path: string, display: string): void {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new CliError(`task module not found: ${display}`, 'check the path of the task module (the first argument)');
  }
  if (!isFile) throw new CliError(`task module is not a file: ${display}`, 'give the path of a .js, .mjs, .cjs, .ts or .mts file');
}
