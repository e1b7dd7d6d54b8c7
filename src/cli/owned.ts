/**
 * The checkpoint folder is the user's alone: these checks refuse a folder or file another user could have
 * placed or could change (owner, group/other write bits, symlinks, hard links). Files inside the folder are
 * opened with O_NOFOLLOW and checked on the open descriptor (fstat), so a file swapped between a check and the
 * open is caught too.
 */
import { constants, fstatSync, lstatSync, closeSync, type Stats } from 'node:fs';
import { fileSystem } from '../base/atomic-file.ts';
import { CliError } from './cli-error.ts';

const uid = (): number | undefined => process.getuid?.();

/** Why a file or folder is not trusted, or `undefined` when it is. */
export function distrust(stats: Stats, kind: 'file' | 'directory'): string | undefined {
  const me = uid();
  if (me !== undefined && stats.uid !== me) return `it belongs to another user (uid ${stats.uid}, you are ${me})`;
  if (kind === 'directory' && !stats.isDirectory()) return 'it is not a directory';
  if (kind === 'file' && !stats.isFile()) return 'it is not a regular file';
  // Group write is fine for the user's own group (user private groups, umask 002), not for another group.
  const groupWrite = (stats.mode & 0o020) !== 0 && stats.gid !== process.getgid?.();
  if ((stats.mode & 0o002) !== 0 || groupWrite) return `other users can write to it (mode ${(stats.mode & 0o777).toString(8)})`;
  if (kind === 'file' && stats.nlink > 1) return 'it has other hard links';
  return undefined;
}

/** Refuse a checkpoint folder that is not the user's own (the folder itself, not followed when a symlink). */
export function assertOwnedDir(dir: string, display: string): void {
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch (error) {
    throw new CliError(`--checkpoint: cannot read ${display}: ${(error as Error).message}`, 'give a directory of your own');
  }
  const why = stats.isSymbolicLink() ? 'it is a symbolic link' : distrust(stats, 'directory');
  if (why !== undefined) {
    throw new CliError(
      `refusing to use ${display} as a checkpoint: ${why}`,
      'a checkpoint folder must be your own and private (it holds code paths that resume runs); give a new directory',
    );
  }
}

/**
 * Open a file inside a checkpoint folder without following a symlink, and check it on the open descriptor.
 * `flags` are `fs.constants` flags (O_NOFOLLOW is added). Returns `undefined` for a missing file when
 * `missingOk`.
 */
export function openOwned(path: string, flags: number, what: string, missingOk = false): number | undefined {
  let fd: number;
  try {
    fd = fileSystem().openSync(path, flags | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' && missingOk) return undefined;
    if (code === 'ELOOP') throw new CliError(`refusing to open the ${what} ${path}: it is a symbolic link`, 'someone placed it there; start a new run in a new directory');
    throw error;
  }
  const why = distrust(fstatSync(fd), 'file');
  if (why !== undefined) {
    closeSync(fd);
    throw new CliError(`refusing to use the ${what} ${path}: ${why}`, 'it was not written by you; start a new run in a new directory');
  }
  return fd;
}

export const READ_ONLY = constants.O_RDONLY;
export const READ_WRITE = constants.O_RDWR;
