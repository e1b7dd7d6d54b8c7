/**
 * The checks on paths made before any work starts, file fingerprints, and the clean-up of temporary files a
 * killed process left. Files are written by the one durable writer, src/base/atomic-file.ts.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { resolveTarget } from '../base/atomic-file.ts';
import { CliError } from './cli-error.ts';

export { AtomicFile, writeFileAtomic } from '../base/atomic-file.ts';

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

/**
 * Remove temporary files that a killed process (`kill -9`, power cut) left next to `path`: those named after
 * `path` whose process is gone.
 */
export function removeStaleTemps(path: string, isAlive: (pid: number) => boolean): void {
  const { target } = resolveTarget(path);
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{8,12}\.tmp$/.exec(name.slice(prefix.length));
    if (!match || isAlive(Number(match[1]))) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone meanwhile
    }
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

/** Mode of the input file (output files follow it), or `undefined` for standard input or a pipe. */
export function inputMode(input: string): number | undefined {
  if (input === '-') return undefined;
  try {
    const stat = statSync(input);
    return stat.isFile() ? stat.mode & 0o777 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `--input` names something that can be read only once, as it comes, like standard input: a named pipe
 * (`<(command)` in a shell), a character device (`/dev/stdin`) or a socket. Such an input has no size to stop at
 * and cannot be read twice (no pre-pass, no hash of it afterwards): it is read like standard input, and spooled
 * to a file first where the run needs it whole (`--strict`, a checkpoint).
 */
export function isStreamInput(input: string): boolean {
  if (input === '-') return true;
  try {
    const stat = statSync(input);
    return stat.isFIFO() || stat.isCharacterDevice() || stat.isSocket();
  } catch {
    return false; // missing or unreadable: reported as a file that cannot be read
  }
}
