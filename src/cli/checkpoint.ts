/**
 * The checkpoint directory of a run:
 *
 * - `manifest.json`: the run's settings and the fingerprints (size, sha256) of its input and task module;
 * - `journal.jsonl`: the output line of every finished item, in completion order (see journal.ts);
 * - `input.jsonl`: a copy of standard input, when the input was `-`;
 * - `lock`: present while a run uses the directory (see lock.ts).
 *
 * The folder is the user's alone: a new one is created 0700; an existing one must belong to the user, be
 * writable by nobody else and be empty; every file in it is created 0600, opened without following symlinks and
 * checked to belong to the user (owned.ts). `resume` refuses a manifest not written by this user.
 *
 * Order on disk: the manifest (fsync'd, folder fsync'd) exists before the first journal record; at the end the
 * output and failures files are committed (fsync'd) before any checkpoint file is removed, and the lock goes last.
 */
import { closeSync, existsSync, lstatSync, mkdirSync, readdirSync, readSync, renameSync, rmdirSync, unlinkSync, fstatSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from '../base/atomic-file.ts';
import { CliError } from './cli-error.ts';
import { fingerprint, writeFileAtomic, type Fingerprint } from './files.ts';
import type { Lock } from './lock.ts';
import { assertOwnedDir, openOwned, READ_ONLY } from './owned.ts';
import type { StageSetting } from './stages.ts';

/** Settings of a run, as `resume` replays them. Paths are absolute. */
export interface RunSettings {
  module: string;
  exportName: string;
  /** The stages of a multi-stage run (`--stage` / `--filter`), the first being `module`. */
  stages?: StageSetting[];
  /** The input file (for standard input: the copy in the checkpoint). */
  input: string;
  /** The input as the user named it (`-` for standard input), for messages. */
  inputDisplay: string;
  /** Output file, or `-` for standard output. */
  output: string;
  failures?: string;
  jsonReport?: string;
  /** --report (HTML) and --trace-events (Trace Event Format) files. */
  report?: string;
  traceEvents?: string;
  threads?: number;
  maxHeapMb?: number;
  retries?: number;
  timeout?: number;
  /** Redis URL of a cluster run, its password replaced by `***` in the manifest. */
  connection?: string;
  queue?: string;
  /** --tls-ca: the CA file's absolute path (a CA certificate is no secret; resume reads it again). */
  tlsCa?: string;
  strict: boolean;
}

/** The manifest file. */
export interface Manifest {
  format: 'batchtools-checkpoint';
  version: 1;
  createdAt: string;
  settings: RunSettings;
  input: Fingerprint & { items: number };
  module: Fingerprint;
  /** Fingerprints of the stages' modules, in order (multi-stage runs). */
  stageModules?: Fingerprint[];
  /** The run created the directory: it is removed with the checkpoint when the run finishes. */
  ownsDir: boolean;
  /** The run's identity, also written into its failure lines (`retry` checks it). */
  runId?: string;
}

/** The files of a checkpoint directory. */
export function checkpointPaths(dir: string): { manifest: string; journal: string; input: string; lock: string } {
  return {
    manifest: join(dir, 'manifest.json'),
    journal: join(dir, 'journal.jsonl'),
    input: join(dir, 'input.jsonl'),
    lock: join(dir, 'lock'),
  };
}

/** Create the directory (0700) if needed, or check that an existing one is the user's own; returns whether it was created. */
export function ensureCheckpointDir(dir: string, display: string): boolean {
  if (existsSync(dir) || isLink(dir)) {
    assertOwnedDir(dir, display);
    return false;
  }
  try {
    mkdirSync(dirname(dir), { recursive: true });
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    throw new CliError(`--checkpoint: cannot create ${display}: ${(error as Error).message}`, 'choose a directory you can write to');
  }
  assertOwnedDir(dir, display);
  return true;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Refuse a directory that already holds another run's checkpoint (or anything else). */
export function assertUnused(dir: string, display: string): void {
  const paths = checkpointPaths(dir);
  if (existsSync(paths.manifest) || isLink(paths.manifest)) {
    let what = '';
    try {
      const m = JSON.parse(readOwned(paths.manifest, 'checkpoint manifest')) as Manifest;
      what = ` (a run of ${m.settings.module} on ${m.settings.inputDisplay}, started ${m.createdAt})`;
    } catch {
      // unreadable: say less
    }
    throw new CliError(
      `--checkpoint: ${display} already holds the checkpoint of another run${what}`,
      `continue it with \`batchtools resume ${display}\`, or give an empty or new directory`,
    );
  }
  const others = readdirSync(dir).filter((name) => name !== 'lock');
  if (others.length > 0) {
    throw new CliError(`--checkpoint: ${display} is not empty and is not a batchtools checkpoint`, 'give an empty or new directory');
  }
}

/** Read a checkpoint's manifest, or explain why it is not one. */
export function readManifest(dir: string, display: string): Manifest {
  const paths = checkpointPaths(dir);
  if (!existsSync(dir)) {
    throw new CliError(`checkpoint not found: ${display}`, 'give the directory passed to `run --checkpoint`; a run that finished removes its checkpoint');
  }
  assertOwnedDir(dir, display);
  let text: string;
  try {
    text = readOwned(paths.manifest, 'checkpoint manifest');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `${display} is not a batchtools checkpoint (no manifest.json)`,
      'give the directory passed to `run --checkpoint`; a run that finished removes its checkpoint',
    );
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw new CliError(`${paths.manifest} is damaged (not JSON)`, 'the run cannot be resumed; start it again');
  }
  if (m.format !== 'batchtools-checkpoint' || m.version !== 1) {
    throw new CliError(`${paths.manifest} is not a checkpoint manifest this version understands`, 'start the run again');
  }
  return m;
}

/** Read a whole file inside the checkpoint folder (no symlink, the user's own). */
function readOwned(path: string, what: string): string {
  const fd = openOwned(path, READ_ONLY, what)!;
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.toString('utf8', 0, done);
  } finally {
    closeSync(fd);
  }
}

/** Write the manifest atomically (0600; a symlink in its place is replaced, never followed). */
export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomic(checkpointPaths(dir).manifest, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, replaceLinks: true });
}

/** A changed file, as found by {@link compareFingerprints}. */
export interface Change {
  what: 'input file' | 'task module';
  path: string;
  before: Fingerprint;
  after: Fingerprint | undefined;
}

/** Compare the input and task module with the fingerprints taken when the checkpoint was made. */
export async function compareFingerprints(m: Manifest): Promise<Change[]> {
  const changes: Change[] = [];
  const check = async (what: Change['what'], path: string, before: Fingerprint): Promise<void> => {
    let after: Fingerprint | undefined;
    try {
      after = await fingerprint(path);
    } catch {
      after = undefined;
    }
    if (!after || after.size !== before.size || after.sha256 !== before.sha256) changes.push({ what, path, before, after });
  };
  await check('input file', m.settings.input, m.input);
  await check('task module', m.settings.module, m.module);
  for (const [k, stage] of (m.settings.stages ?? []).entries()) {
    const before = m.stageModules?.[k];
    if (before && stage.module !== m.settings.module) await check('task module', stage.module, before);
  }
  return changes;
}

/** One line about a change. */
export function describeChange(c: Change): string {
  if (!c.after) return `the ${c.what} ${c.path} is gone`;
  const size = c.after.size === c.before.size ? `same size, ${c.after.size} bytes` : `${c.before.size} -> ${c.after.size} bytes`;
  return `the ${c.what} ${c.path} changed since the checkpoint was made (${size}, sha256 differs)`;
}

/** Remove a checkpoint's files (journal, input copy, manifest), not the lock. */
export function clearCheckpoint(dir: string): void {
  const paths = checkpointPaths(dir);
  for (const path of [paths.journal, paths.input, paths.manifest]) {
    try {
      unlinkSync(path);
    } catch {
      // not there
    }
  }
}

/**
 * Remove a finished run's checkpoint. A folder the run created is first renamed away (atomically: the checkpoint
 * is then either whole or gone), then emptied and removed. In a folder the user gave, the journal and input copy
 * go first, the manifest last of the files (an interruption leaves a checkpoint that still resumes), the
 * folder is fsync'd, and the lock goes last.
 */
export function removeCheckpoint(dir: string, ownsDir: boolean, lock: Lock): void {
  if (ownsDir) {
    const trash = join(dirname(dir), `.${basename(dir)}.removing.${process.pid}.${randomBytes(4).toString('hex')}`);
    let moved = false;
    try {
      renameSync(dir, trash);
      moved = true;
    } catch {
      // fall back to removing in place
    }
    if (moved) {
      fsyncDir(dirname(dir));
      lock.forget();
      for (const name of readdirSync(trash)) {
        try {
          unlinkSync(join(trash, name));
        } catch {
          // gone
        }
      }
      try {
        rmdirSync(trash);
      } catch {
        // not empty: something was added meanwhile; leave it
      }
      return;
    }
  }
  clearCheckpoint(dir);
  fsyncDir(dir);
  lock.release();
  if (ownsDir) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty or already gone
    }
  }
}
