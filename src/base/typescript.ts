/**
 * Import a user's module (a task, a dedicated worker's module, a bench suite), TypeScript included, on every Node
 * version we support and in any package type.
 *
 * - Not TypeScript: a plain `import()`.
 * - TypeScript, and Node strips types itself (`process.features.typescript`, on by default from Node 22.18 and in
 *   24): a plain `import()` first. Node's stripping covers erasable syntax with explicit `.ts` import paths; when
 *   it refuses the module before running it (an `enum`, a `namespace`, `import './x.js'` meaning `x.ts`, ESM
 *   syntax in a `.cts` file...), the module is loaded again through tsx, if tsx is installed.
 * - TypeScript on a Node that cannot strip types (Node 20, 22 before 22.18): through tsx, with both its ESM and its
 *   CommonJS hooks, so `.ts`, `.mts` and `.cts` work with ESM or CommonJS syntax in any package type.
 *
 * tsx is an optional peer dependency: when it is needed and missing, the import rejects with a one-line error
 * that says what to install.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** File names TypeScript modules have: `.ts`, `.mts`, `.cts` (and the `x` forms). */
export const TYPESCRIPT_EXTENSION = /\.[cm]?tsx?$/i;

/** Error code of the error raised when a TypeScript module needs tsx and tsx is not installed. */
export const TSX_MISSING = 'BT_TSX_MISSING';

/** True when a path, or a URL's path, names a TypeScript module. */
export function isTypeScript(pathOrUrl: string | URL): boolean {
  let path = String(pathOrUrl);
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      // not a URL after all: test the string as a path
    }
  }
  return TYPESCRIPT_EXTENSION.test(path);
}

/** How this Node handles TypeScript on its own: `'strip'`, `'transform'`, or `false` (it does not). */
export function nativeTypeScript(): 'strip' | 'transform' | false {
  const value = (process.features as { typescript?: unknown }).typescript;
  return value === 'strip' || value === 'transform' ? value : false;
}

// Errors Node raises while loading (before running) a TypeScript module it cannot handle on its own.
const NATIVE_REFUSALS = new Set([
  'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX',
  'ERR_INVALID_TYPESCRIPT_SYNTAX',
  'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING',
  'ERR_UNKNOWN_FILE_EXTENSION',
  'ERR_MODULE_NOT_FOUND',
  'ERR_REQUIRE_CYCLE_MODULE',
  'ERR_REQUIRE_ESM',
  'ERR_REQUIRE_ASYNC_MODULE',
]);

function refusedByNode(error: unknown): boolean {
  if (error instanceof SyntaxError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NATIVE_REFUSALS.has(code);
}

let tsxRegistered: Promise<boolean> | undefined;

/**
 * Register tsx's ESM and CommonJS hooks in this thread, once. Resolves `false` when tsx is not installed (looked
 * for next to batchtools, then next to `near`, the module being loaded).
 */
export function registerTsx(near?: string): Promise<boolean> {
  tsxRegistered ??= (async () => {
    const api = await findTsx(near);
    if (!api) return false;
    api.esm.register();
    api.cjs.register();
    return true;
  })();
  return tsxRegistered;
}

interface TsxApi {
  esm: { register(): unknown };
  cjs: { register(): unknown };
}

async function findTsx(near: string | undefined): Promise<TsxApi | undefined> {
  // Next to batchtools first (bare specifiers resolve with the `import` condition), then next to the module.
  try {
    const [esm, cjs] = (await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')])) as [
      TsxApi['esm'],
      TsxApi['cjs'],
    ];
    return { esm, cjs };
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
  if (!near?.startsWith('file:')) return undefined;
  let root: string;
  let exportsField: Record<string, unknown>;
  try {
    const manifest = createRequire(fileURLToPath(near)).resolve('tsx/package.json');
    root = dirname(manifest);
    exportsField = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, unknown> }).exports;
  } catch {
    return undefined;
  }
  const entry = (subpath: string): string => pathToFileURL(join(root, importTarget(exportsField[subpath]))).href;
  const [esm, cjs] = (await Promise.all([import(entry('./esm/api')), import(entry('./cjs/api'))])) as [
    TsxApi['esm'],
    TsxApi['cjs'],
  ];
  return { esm, cjs };
}

/** The file an `exports` entry names for `import`. */
function importTarget(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    for (const key of ['import', 'node', 'default']) {
      if (key in conditions) return importTarget(conditions[key]);
    }
  }
  throw new Error('tsx has an unexpected package layout');
}

function missingTsx(where: string, nodeError?: unknown): Error {
  const why = nodeError
    ? `Node ${process.version} could not load it by stripping types (${firstLine(nodeError)})`
    : `Node ${process.version} cannot run TypeScript itself (Node 22.18 and later can)`;
  const error = new Error(`${where} is TypeScript and ${why}: install tsx (npm install --save-dev tsx)`, {
    cause: nodeError,
  });
  (error as Error & { code: string }).code = TSX_MISSING;
  return error;
}

function firstLine(error: unknown): string {
  const message = (error as Error | null)?.message ?? String(error);
  return message.split('\n', 1)[0]!.trim();
}

/**
 * Import a module by `file:` URL, TypeScript included (see the module comment). Rejects with the module's own
 * error, or with a `BT_TSX_MISSING` error when tsx is needed and not installed.
 *
 * A CommonJS module whose named exports Node cannot see statically (a namespace with only `default`, as for a
 * TypeScript file that tsx compiled to CommonJS) is returned with the properties of `module.exports` as names too.
 */
export async function importModule(url: string): Promise<Record<string, unknown>> {
  return withCommonJsNames(await importNamespace(url));
}

function withCommonJsNames(ns: Record<string, unknown>): Record<string, unknown> {
  const exported = ns['default'];
  const onlyDefault = Object.keys(ns).every((k) => k === 'default' || k === 'module.exports');
  if (!onlyDefault || typeof exported !== 'object' || exported === null) return ns;
  return Object.assign(Object.create(null) as Record<string, unknown>, exported, ns);
}

async function importNamespace(url: string): Promise<Record<string, unknown>> {
  if (!isTypeScript(url)) return (await import(url)) as Record<string, unknown>;
  const where = url.startsWith('file:') ? fileURLToPath(url) : url;
  if (nativeTypeScript() !== false && !(await tsxRegisteredAlready())) {
    try {
      return (await import(url)) as Record<string, unknown>;
    } catch (error) {
      if (!refusedByNode(error)) throw error;
      if (!(await registerTsx(url))) throw missingTsx(where, error);
      // A fresh URL: Node keeps the failed attempt under the plain one.
      return (await import(withQuery(url, 'batchtools-tsx'))) as Record<string, unknown>;
    }
  }
  if (!(await registerTsx(url))) throw missingTsx(where);
  return (await import(url)) as Record<string, unknown>;
}

async function tsxRegisteredAlready(): Promise<boolean> {
  return tsxRegistered === undefined ? false : await tsxRegistered;
}

function withQuery(url: string, key: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(key, '1');
  return parsed.href;
}
