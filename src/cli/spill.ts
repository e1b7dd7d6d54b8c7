/**
 * Where output lines wait when too many of them are held back behind a slow earlier item: an anonymous
 * temporary file (unlinked as soon as it is open, so nothing is left behind even after `kill -9`), read back by
 * offset when their turn comes.
 */
import { closeSync, constants, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeAll } from '../base/atomic-file.ts';

/** A line stored in a {@link SpillFile}. */
export interface Spilled {
  offset: number;
  length: number;
}

/** Append-and-read-back storage for waiting lines. */
export class SpillFile {
  readonly #fd: number;
  #size = 0;

  constructor(dir: string = tmpdir()) {
    const path = join(dir, `batchtools-spill-${process.pid}-${randomBytes(4).toString('hex')}`);
    this.#fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    unlinkSync(path);
  }

  /** Store a line (text, or its UTF-8); returns where it is. */
  append(line: string | Uint8Array): Spilled {
    const bytes = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
    writeAll(this.#fd, bytes, this.#size, 'spill file');
    const spilled = { offset: this.#size, length: bytes.length };
    this.#size += bytes.length;
    return spilled;
  }

  /** Read a stored line back. */
  read(spilled: Spilled): string {
    const buf = Buffer.allocUnsafe(spilled.length);
    readSync(this.#fd, buf, 0, spilled.length, spilled.offset);
    return buf.toString('utf8');
  }

  close(): void {
    closeSync(this.#fd);
  }
}
