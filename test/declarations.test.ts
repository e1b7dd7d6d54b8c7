import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../', import.meta.url);
const tsc = new URL('node_modules/typescript/bin/tsc', root).pathname;
/** Inside the repository, so the declarations resolve `node_modules` as an installed package's would. */
const out = new URL('node_modules/.cache/batchtools-declarations/', root);

async function compile(project: URL): Promise<string> {
  try {
    await run(process.execPath, [tsc, '-p', project.pathname], { cwd: root.pathname, timeout: 240_000 });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('published declarations', () => {
  it('check with skipLibCheck: false and exactOptionalPropertyTypes, for every door', { timeout: 300_000 }, async () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    // 1. Emit the declarations as `npm run build` does.
    const emitted = await compile(writeEmitConfig());
    expect(emitted).toBe('');
    // 2. Compile a consumer against them the strict way; the doors map to the emitted files.
    // (The consumer is kept as .ts.txt so that the repository's own typecheck, which resolves `batchtools` to dist/,
    // does not compile it.)
    const consumer = new URL('consumer/tsconfig.json', out);
    mkdirSync(new URL('.', consumer), { recursive: true });
    copyFileSync(new URL('test/fixtures/declarations/consumer.ts.txt', root), new URL('consumer.ts', consumer));
    writeFileSync(
      consumer,
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2024', 'ESNext.Disposable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          typeRoots: [new URL('node_modules/@types', root).pathname],
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
          paths: {
            batchtools: [new URL('dts/src/index.d.ts', out).pathname],
            'batchtools/bench': [new URL('dts/src/suites/index.d.ts', out).pathname],
            'batchtools/cli': [new URL('dts/src/cli/index.d.ts', out).pathname],
          },
        },
        files: ['consumer.ts'],
      }),
    );
    const errors = await compile(consumer);
    expect(errors).toBe('');
  });
});

/** A config that emits only declarations of src/ into the cache folder. */
function writeEmitConfig(): URL {
  const config = new URL('tsconfig.emit.json', out);
  writeFileSync(
    config,
    JSON.stringify({
      extends: new URL('tsconfig.build.json', root).pathname,
      compilerOptions: { emitDeclarationOnly: true, outDir: new URL('dts', out).pathname, rootDir: root.pathname },
      include: [new URL('src', root).pathname, new URL('workers', root).pathname],
    }),
  );
  return config;
}
