import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../', import.meta.url);
const tsc = new URL('node_modules/typescript/bin/tsc', root).pathname;
/**
 * Inside the repository (so the declarations resolve comlink, piscina and @types/node from its node_modules): the
 * package as published, with declarations only, and a consumer project that has it installed.
 */
const out = new URL('node_modules/.cache/batchtools-declarations/', root);
const pkg = new URL('package/', out);
const consumer = new URL('consumer/', out);

async function compile(project: URL): Promise<string> {
  try {
    await run(process.execPath, [tsc, '-p', project.pathname], { cwd: root.pathname, timeout: 240_000 });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

function writeJson(url: URL, value: unknown): URL {
  writeFileSync(url, JSON.stringify(value, null, 1));
  return url;
}

/** A consumer project's config: strict, exactOptionalPropertyTypes, and lib declarations checked too. */
function consumerConfig(name: string, resolution: { module: string; moduleResolution: string }): URL {
  copyFileSync(new URL(`test/fixtures/declarations/${name}.ts.txt`, root), new URL(`${name}.ts`, consumer));
  return writeJson(new URL(`tsconfig.${name}.json`, consumer), {
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2024', 'ESNext.Disposable'],
      ...resolution,
      types: ['node'],
      typeRoots: [new URL('node_modules/@types', root).pathname],
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      noEmit: true,
    },
    files: [`${name}.ts`],
  });
}

describe('published declarations', () => {
  it('check with skipLibCheck: false, exactOptionalPropertyTypes, NodeNext and node10 resolution', { timeout: 480_000 }, async () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(new URL('node_modules/', consumer), { recursive: true });
    mkdirSync(pkg, { recursive: true });
    // 1. The package: our package.json, and the declarations emitted as `npm run build` emits them.
    copyFileSync(new URL('package.json', root), new URL('package.json', pkg));
    const emit = writeJson(new URL('tsconfig.emit.json', out), {
      extends: new URL('tsconfig.build.json', root).pathname,
      compilerOptions: { emitDeclarationOnly: true, outDir: new URL('dist', pkg).pathname, rootDir: root.pathname },
      include: [new URL('src', root).pathname, new URL('workers', root).pathname],
    });
    expect(await compile(emit)).toBe('');
    // 2. A consumer with it installed, resolving `batchtools`, `batchtools/bench` and `batchtools/cli` through the
    //    package's "exports" (NodeNext) and through "types" / "typesVersions" (node10).
    //    (Its own package.json stops the lookup from reaching ours, which would self-resolve `batchtools` to dist/.)
    writeJson(new URL('package.json', consumer), { name: 'consumer', private: true, type: 'module' });
    symlinkSync(pkg.pathname, new URL('node_modules/batchtools', consumer).pathname, 'dir');
    // The two consumers are independent: compiled at the same time.
    const [nodeNext, node10] = await Promise.all([
      compile(consumerConfig('consumer', { module: 'NodeNext', moduleResolution: 'NodeNext' })),
      compile(consumerConfig('node10', { module: 'commonjs', moduleResolution: 'node10' })),
    ]);
    expect(nodeNext).toBe('');
    expect(node10).toBe('');
  });

  it('every door in "exports" has its node10 fallback in "typesVersions"', () => {
    const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      exports: Record<string, { types?: string } | string>;
      types: string;
      typesVersions: Record<string, Record<string, string[]>>;
    };
    for (const [door, entry] of Object.entries(manifest.exports)) {
      if (typeof entry === 'string' || entry.types === undefined) continue;
      if (door === '.') expect(manifest.types).toBe(entry.types);
      else expect(manifest.typesVersions['*']?.[door.slice(2)], door).toEqual([entry.types]);
    }
  });
});
