/**
 * Suite file arguments: plain paths and glob patterns (`*`, `?`, `**`, `[abc]`, `{a,b}`), expanded here because a
 * quoted pattern reaches us unexpanded and Node 20 has no `fs.glob`. Walking skips `node_modules` and dot entries
 * unless the pattern names them.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';

/** The files a list of patterns names, and the patterns that named none. */
export interface Expansion {
  /** Absolute paths, in argument order (each pattern's matches sorted), without duplicates. */
  files: string[];
  /** Patterns (or plain paths) that matched no file. */
  unmatched: string[];
}

const MAGIC = /[*?[{]/;

/** Expand `patterns` against `cwd`. */
export async function expandFiles(patterns: readonly string[], cwd: string): Promise<Expansion> {
  const files: string[] = [];
  const seen = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const matches = await expandOne(sep === '\\' ? pattern.replaceAll('\\', '/') : pattern, cwd);
    if (matches.length === 0) unmatched.push(pattern);
    for (const file of matches) {
      if (seen.has(file)) continue;
      seen.add(file);
      files.push(file);
    }
  }
  return { files, unmatched };
}

async function expandOne(pattern: string, cwd: string): Promise<string[]> {
  if (!MAGIC.test(pattern)) {
    const path = resolve(cwd, pattern);
    return (await isFile(path)) ? [path] : [];
  }
  const segments = pattern.split('/');
  const firstMagic = segments.findIndex((s) => MAGIC.test(s));
  const prefix = segments.slice(0, firstMagic).join('/');
  const rest = segments.slice(firstMagic).join('/');
  const base = prefix === '' ? (isAbsolute(pattern) ? '/' : cwd) : resolve(cwd, prefix);
  const matcher = globToRegExp(rest);
  const maxDepth = rest.includes('**') ? Number.POSITIVE_INFINITY : segments.length - firstMagic;
  const allowDot = /(^|\/)\./.test(rest);
  const allowNodeModules = rest.includes('node_modules');
  const out: string[] = [];

  async function walk(dir: string, relative: string, depth: number): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!allowDot && entry.name.startsWith('.')) continue;
      if (!allowNodeModules && entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (depth + 1 < maxDepth) await walk(path, rel, depth + 1);
      } else if ((entry.isFile() || (entry.isSymbolicLink() && (await isFile(path)))) && matcher.test(rel)) {
        out.push(path);
      }
    }
  }
  await walk(base, '', 0);
  return out.sort();
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A glob (relative, `/`-separated) as an anchored regular expression over relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*' && glob[i + 1] === '*') {
      const atStart = i === 0 || glob[i - 1] === '/';
      i++;
      if (atStart && glob[i + 1] === '/') {
        i++;
        re += '(?:[^/]+/)*'; // `**/`: any number of directories, also none
      } else {
        re += '.*';
      }
    } else if (ch === '*') {
      re += '[^/]*';
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replaceAll('\\', '\\\\')}]`;
      i = close;
    } else if (ch === '{') {
      braces++;
      re += '(?:';
    } else if (ch === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (ch === ',' && braces > 0) {
      re += '|';
    } else {
      re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}
