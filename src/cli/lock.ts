/**
 * The checkpoint lock: a file holding its owner's identity — host name, boot id
 * (`/proc/sys/kernel/random/boot_id`), pid namespace, pid and the process's start time (`/proc/<pid>/stat`
 * field 22) — so that a pid that is alive again (pid reuse, a container's new pid 1) is not mistaken for the
 * owner. The file appears whole: it is written under a private name, fsync'd, then hard-linked into place
 * (link fails if a lock exists). A stale lock is taken over atomically: it is renamed to a private name (only
 * one process can win that rename), checked to be the very lock judged stale, and removed; then the lock is
 * created again as above. A lock of another host, or of another pid namespace on this boot, is never taken over:
 * its owner's liveness cannot be known from here.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { writeAll } from '../base/atomic-file.ts';
import { CliError } from './cli-error.ts';

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  /** The kernel's boot id, when known (Linux). */
  bootId?: string;
  /** The pid namespace, `pid:[inode]`, when known (Linux). */
  pidNs?: string;
  /** The process's start time in clock ticks since boot, when known (Linux). */
  startTime?: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The start time of a process (`/proc/<pid>/stat` field 22), or `undefined` where unknown. */
export function processStartTime(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Field 2 (the command) may hold spaces and parentheses: the fields after the last ')' start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[22 - 3];
}

/** Identity of this process, as a lock records it. */
export function selfIdentity(): LockInfo {
  const info: LockInfo = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const bootId = readText('/proc/sys/kernel/random/boot_id');
  if (bootId) info.bootId = bootId;
  try {
    info.pidNs = readlinkSync('/proc/self/ns/pid');
  } catch {
    // not Linux
  }
  const startTime = processStartTime(process.pid);
  if (startTime) info.startTime = startTime;
  return info;
}

/** Whether a process with this pid exists in this pid namespace. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: unknown }).code !== 'ESRCH';
  }
}

/** What is known about a lock's owner. */
export type OwnerState = 'alive' | 'gone' | 'elsewhere';

/** Decide whether the owner of a lock still runs, as seen by `self`. Pure but for the liveness probes passed in. */
export function ownerState(
  owner: LockInfo,
  self: LockInfo,
  probe: { isAlive(pid: number): boolean; startTime(pid: number): string | undefined } = { isAlive, startTime: processStartTime },
): OwnerState {
  if (owner.hostname !== self.hostname) return 'elsewhere';
  if (owner.bootId !== undefined && self.bootId !== undefined && owner.bootId !== self.bootId) return 'gone'; // rebooted since
  if (owner.pidNs !== undefined && self.pidNs !== undefined && owner.pidNs !== self.pidNs) return 'elsewhere';
  if (owner.pid === self.pid && owner.startTime !== undefined && owner.startTime !== self.startTime) return 'gone';
  if (!probe.isAlive(owner.pid)) return 'gone';
  if (owner.startTime !== undefined) {
    const now = probe.startTime(owner.pid);
    if (now !== undefined && now !== owner.startTime) return 'gone'; // the pid was reused
  }
  return 'alive';
}

/** A held lock. */
export class Lock {
  readonly path: string;
  readonly #text: string;
  #held = true;

  constructor(path: string, text: string) {
    this.path = path;
    this.#text = text;
  }

  /** Remove the lock file (only if it is still ours). Safe to call twice. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (readText(this.path) !== this.#text.trim()) return;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  /** The lock file went away with its folder (see removeCheckpoint): nothing to remove. */
  forget(): void {
    this.#held = false;
  }
}

function parseLock(text: string | undefined): LockInfo | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LockInfo>;
    if (typeof value.pid === 'number' && typeof value.hostname === 'string') return { ...value, startedAt: String(value.startedAt) } as LockInfo;
  } catch {
    // damaged
  }
  return undefined;
}

const privateName = (path: string, what: string): string => `${path}.${what}.${process.pid}.${randomBytes(4).toString('hex')}`;

/** Create the lock whole, or return false if one exists. */
function tryCreate(path: string, text: string): boolean {
  const temp = privateName(path, 'new');
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeAll(fd, text, null, temp);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** Remove the stale lock whose text is `seen`, atomically; false if another process changed it first. */
function takeOver(path: string, seen: string): boolean {
  const moved = privateName(path, 'stale');
  try {
    renameSync(path, moved);
  } catch {
    return false; // another process took it first
  }
  if (readText(moved) === seen) {
    unlinkSync(moved);
    return true;
  }
  // Not the lock judged stale (someone took over and locked in between): put it back, unless a newer one exists.
  try {
    linkSync(moved, path);
  } catch {
    // a newer lock is in place
  }
  unlinkSync(moved);
  return false;
}

/**
 * Take the lock at `path` for checkpoint `dir`, or throw a {@link CliError} naming its live owner.
 * `warn` is told when a stale lock is taken over.
 */
export function acquireLock(path: string, dir: string, warn: (message: string) => void): Lock {
  const self = selfIdentity();
  const text = `${JSON.stringify(self)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, text)) return new Lock(path, text);
    const seen = readText(path);
    if (seen === undefined) continue; // removed meanwhile
    const owner = parseLock(seen);
    if (!owner) warn(`taking over a damaged lock file left in ${dir}`);
    else {
      const state = ownerState(owner, self);
      if (state === 'elsewhere') {
        const where = owner.hostname !== self.hostname ? `on host ${owner.hostname}` : `in another pid namespace (${owner.pidNs}) on this host`;
        throw new CliError(
          `checkpoint ${dir} is locked by pid ${owner.pid} ${where} (since ${owner.startedAt})`,
          `if no batchtools run is using it there, remove ${path}`,
        );
      }
      if (state === 'alive') {
        throw new CliError(
          `checkpoint ${dir} is in use by another batchtools run, pid ${owner.pid} (since ${owner.startedAt})`,
          `wait for it to finish, or stop it (kill -INT ${owner.pid}) and resume`,
        );
      }
      warn(`taking over the lock of pid ${owner.pid}, which is no longer running`);
    }
    takeOver(path, seen);
  }
  throw new CliError(`could not lock checkpoint ${dir}: other processes keep taking it`, 'make sure only one run uses it');
}
