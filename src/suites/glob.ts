/**
 * Suite file arguments: plain paths and glob patterns (`*`, `?`, `**`, `[abc]`, `{a,b}`), expanded here because a
 * quoted pattern reaches us unexpanded and Node 20 has no `fs.glob`. Matching is tinyglobby's (picomatch
 * semantics): a backslash escapes a special character (`bench/\[id\].bench.mjs`), symlinked directories are
 * followed, and `node_modules` and dot entries are skipped unless the pattern names them. An argument that names
 * an existing file is that file, even if it contains glob characters (`bench/[id].bench.mjs`).
 */
import { realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/** The files a list of patterns names, and the patterns that named none. */
export interface Expansion {
  /** Absolute paths, in argument order (each pattern's matches sorted), each file once (also when symlinks reach it twice). */
  files: string[];
  /** Patterns (or plain paths) that matched no file. */
  unmatched: string[];
}

/** Expand `patterns` against `cwd`. */
export async function expandFiles(patterns: readonly string[], cwd: string): Promise<Expansion> {
  const files: string[] = [];
  const seen = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const matches = await expandOne(pattern, cwd);
    if (matches.length === 0) unmatched.push(pattern);
    for (const file of matches) {
      const real = await realpath(file).catch(() => file);
      if (seen.has(real)) continue;
      seen.add(real);
      files.push(file);
    }
  }
  return { files, unmatched };
}

async function expandOne(pattern: string, cwd: string): Promise<string[]> {
  const literal = resolve(cwd, pattern);
  if (await isFile(literal)) return [literal];
  // On Windows a backslash separates directories; there, as in cmd and PowerShell, it escapes nothing.
  const portable = sep === '\\' ? pattern.replaceAll('\\', '/') : pattern;
  if (!isDynamicPattern(portable)) {
    // Escapes only (`\[id\].bench.mjs`): the file they name.
    const unescaped = resolve(cwd, portable.replace(/\\(.)/g, '$1'));
    return (await isFile(unescaped)) ? [unescaped] : [];
  }
  const matches = await glob(portable, {
    cwd,
    absolute: true,
    onlyFiles: true,
    followSymbolicLinks: true,
    expandDirectories: false,
    dot: /(^|\/)\.[^./]/.test(portable),
    ignore: portable.includes('node_modules') ? [] : ['**/node_modules/**'],
  });
  return matches.map((file) => resolve(file)).sort();
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
