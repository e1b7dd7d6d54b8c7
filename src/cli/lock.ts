/**
 * The checkpoint lock: a file created with O_EXCL holding the owner's pid, host name and start time. A second
 * run on the same checkpoint is refused, naming the owner; a lock left by a process that no longer exists (on
 * this host) is taken over.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { CliError } from './cli-error.ts';

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** A lock that is not readable yet is given this long to be written before it counts as abandoned, ms. */
const UNREADABLE_GRACE_MS = 10_000;

/** A held lock. */
export class Lock {
  readonly path: string;
  #held = true;

  constructor(path: string) {
    this.path = path;
  }

  /** Remove the lock file (only if it is still ours). Safe to call twice. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    const info = readLock(this.path);
    if (info && info.pid === process.pid && info.hostname === hostname()) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    if (typeof value.pid === 'number' && typeof value.hostname === 'string') {
      return { pid: value.pid, hostname: value.hostname, startedAt: String(value.startedAt) };
    }
  } catch {
    // missing or not written yet
  }
  return undefined;
}

/** Whether a process with this pid exists on this host. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: unknown }).code !== 'ESRCH';
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return false;
    throw error;
  }
  try {
    const info: LockInfo = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
    writeSync(fd, `${JSON.stringify(info)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Take the lock at `path` for checkpoint `dir`, or throw a {@link CliError} naming its live owner.
 * `warn` is told when a stale lock is taken over.
 */
export function acquireLock(path: string, dir: string, warn: (message: string) => void): Lock {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path)) return new Lock(path);
    const owner = readLock(path);
    if (!owner) {
      let ageMs = 0;
      try {
        ageMs = Date.now() - statSync(path).mtimeMs;
      } catch {
        continue; // removed meanwhile: try again
      }
      if (ageMs < UNREADABLE_GRACE_MS) {
        throw new CliError(`checkpoint ${dir} is being locked by another process right now`, 'try again in a few seconds');
      }
      warn(`taking over an unreadable lock file left in ${dir}`);
    } else if (owner.hostname !== hostname()) {
      throw new CliError(
        `checkpoint ${dir} is locked by pid ${owner.pid} on host ${owner.hostname} (since ${owner.startedAt})`,
        `if no batchtools run is using it there, remove ${path}`,
      );
    } else if (isAlive(owner.pid)) {
      throw new CliError(
        `checkpoint ${dir} is in use by another batchtools run, pid ${owner.pid} (since ${owner.startedAt})`,
        `wait for it to finish, or stop it (kill -INT ${owner.pid}) and resume`,
      );
    } else {
      warn(`taking over the lock of pid ${owner.pid}, which is no longer running`);
    }
    // Another process may have taken the stale lock over meanwhile: only remove what was seen.
    if (readLock(path)?.pid !== owner?.pid) continue;
    try {
      unlinkSync(path);
    } catch {
      // someone else removed it first
    }
  }
  throw new CliError(`could not lock checkpoint ${dir}: other processes keep taking it`, 'make sure only one run uses it');
}
