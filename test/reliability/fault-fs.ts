/**
 * A fault-injecting test double of the `fs` calls the durable writers use (src/base/atomic-file.ts): it counts
 * every call, and at call number `at` either fails it (ENOSPC for writes, EIO for the rest) or, for a write,
 * shortens it (writes and reports only part of the bytes, as a nearly full disk does).
 */
import * as fs from 'node:fs';
import type { FileSystem } from '../../src/base/atomic-file.ts';

/** What happens at the chosen call. */
export type Fault = 'fail' | 'short';

/** A file system that counts its calls and injects one fault. */
export interface FaultyFs extends FileSystem {
  readonly calls: number;
  /** Names of the calls made, in order. */
  readonly log: string[];
  /** Whether the fault was injected (the call number was reached). */
  readonly injected: boolean;
  /** The name of the call the fault was injected into. */
  readonly faulted: string | undefined;
}

const real = fs as unknown as FileSystem;

/**
 * A double that injects `fault` at call `at` (1-based; with `only`, at the `at`-th call of that name); `at = 0`
 * injects nothing (counting only).
 */
export function faultyFs(at: number, fault: Fault, only?: keyof FileSystem): FaultyFs {
  let counted = 0;
  let calls = 0;
  let injected = false;
  let faulted: string | undefined;
  const log: string[] = [];
  const error = (name: string): Error =>
    Object.assign(new Error(`${name === 'writeSync' ? 'ENOSPC: no space left on device' : 'EIO: i/o error'}, ${name} (injected)`), {
      code: name === 'writeSync' ? 'ENOSPC' : 'EIO',
      syscall: name,
    });
  const hit = (name: string): boolean => {
    calls++;
    log.push(name);
    if (only === undefined || name === only) counted++;
    else return false;
    if (counted !== at) return false;
    injected = true;
    faulted = name;
    return true;
  };
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...args: A) => R) =>
    (...args: A): R => {
      if (hit(name) && (fault === 'fail' || name !== 'writeSync')) throw error(name);
      return fn(...args);
    };
  return {
    get calls() {
      return calls;
    },
    get log() {
      return log;
    },
    get injected() {
      return injected;
    },
    get faulted() {
      return faulted;
    },
    openSync: wrap('openSync', real.openSync.bind(fs)),
    writeSync(fd, buffer, offset, length, position) {
      if (hit('writeSync')) {
        if (fault === 'fail' || length <= 1) throw error('writeSync');
        // A short write: part of the bytes reach the file, and the call says so.
        return real.writeSync(fd, buffer, offset, Math.floor(length / 2), position);
      }
      return real.writeSync(fd, buffer, offset, length, position);
    },
    fsyncSync: wrap('fsyncSync', real.fsyncSync.bind(fs)),
    fchmodSync: wrap('fchmodSync', real.fchmodSync.bind(fs)),
    fchownSync: wrap('fchownSync', real.fchownSync.bind(fs)),
    fstatSync: wrap('fstatSync', real.fstatSync.bind(fs)),
    closeSync: wrap('closeSync', real.closeSync.bind(fs)),
    renameSync: wrap('renameSync', real.renameSync.bind(fs)),
    unlinkSync: wrap('unlinkSync', real.unlinkSync.bind(fs)),
    lstatSync: wrap('lstatSync', real.lstatSync.bind(fs)),
    readlinkSync: wrap('readlinkSync', real.readlinkSync.bind(fs)),
  };
}
