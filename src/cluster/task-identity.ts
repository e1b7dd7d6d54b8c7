/**
 * Task identity across machines. The producer names a task by path, export and the module file's sha256; a
 * worker loads it only from under its roots (`--root`, default its working directory), and only when the file it
 * finds has the same hash. Whoever can write to the queue therefore cannot make a worker import an arbitrary file,
 * and a worker with other code refuses instead of computing with it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidOptionError } from '../errors.ts';
import type { TaskSpec } from '../task.ts';
import type { TaskIdentity } from './protocol.ts';

const hashes = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

/** sha256 of a file, hex (cached while its size and mtime stay). */
export function fileSha256(path: string): string {
  const st = statSync(path);
  const known = hashes.get(path);
  if (known && known.mtimeMs === st.mtimeMs && known.size === st.size) return known.sha256;
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  hashes.set(path, { mtimeMs: st.mtimeMs, size: st.size, sha256 });
  return sha256;
}

/**
 * The identity of a module task, on the producer. Inline functions cannot be named across machines.
 *
 * @throws {InvalidOptionError} for an inline task or a module that is not a local file.
 */
export function identifyTask(spec: TaskSpec, cwd = process.cwd()): TaskIdentity {
  if (spec.kind !== 'module' || !spec.url.startsWith('file:')) {
    throw new InvalidOptionError(
      'task',
      'a cluster run needs a task module file (defineTask(new URL("./task.js", import.meta.url), "name")): ' +
        'workers on other machines load the same file; an inline function cannot be sent',
    );
  }
  const path = fileURLToPath(spec.url);
  const rel = relative(cwd, path);
  return {
    path,
    relative: rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : null,
    exportName: spec.exportName,
    sha256: fileSha256(path),
  };
}

/** Where a worker found a task, or why it cannot run it. */
export type Resolution = { ok: true; url: string } | { ok: false; path: string; reason: string };

/**
 * Find a task on this worker: the producer's absolute path, else its relative path under each root; only files
 * whose real path is under a root count, and the first one with the producer's hash wins.
 */
export function resolveTask(task: TaskIdentity, roots: readonly string[]): Resolution {
  const realRoots = roots.map((root) => realOrNull(root)).filter((r): r is string => r !== null);
  const candidates = [task.path, ...(task.relative === null ? [] : roots.map((root) => resolve(root, task.relative!)))];
  // The most telling reason wins: other content under a root, then a file outside the roots, then none found.
  let outside: { path: string; reason: string } | undefined;
  let other: { path: string; reason: string } | undefined;
  for (const candidate of candidates) {
    const real = realOrNull(candidate);
    if (real === null) continue;
    if (!realRoots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
      outside ??= { path: candidate, reason: `it is outside the worker's --root directories (${roots.join(', ')})` };
      continue;
    }
    let sha256: string;
    try {
      sha256 = fileSha256(real);
    } catch (error) {
      other ??= { path: candidate, reason: `it cannot be read (${(error as Error).message})` };
      continue;
    }
    if (sha256 === task.sha256) return { ok: true, url: pathToFileURL(real).href };
    other ??= {
      path: candidate,
      reason: `its sha256 is ${sha256.slice(0, 12)}…, the producer's is ${task.sha256.slice(0, 12)}… (deploy the same code everywhere)`,
    };
  }
  const why = other ?? outside ?? { path: task.path, reason: `no such file under the worker's --root directories (${roots.join(', ')})` };
  return { ok: false, ...why };
}

function realOrNull(path: string): string | null {
  try {
    const real = realpathSync(path);
    return statSync(real).isFile() || statSync(real).isDirectory() ? real : null;
  } catch {
    return null;
  }
}
