// The package as a user gets it: `npm pack` (which must build it), installed from the tarball into a fresh
// project, then the README's examples run exactly as printed (extracted from README.md) in a `"type": "commonjs"`
// project (what `npm init -y` writes), a `"type": "module"` one and one without a type field; `npx batchtools`
// --version, info and the README's run; TypeScript tasks of every kind, without and with tsx.
//
// To keep this fast, the tarball is installed once (offline when the npm cache has the dependencies) into the
// commonjs project; the other two are directories inside it with their own package.json, resolving the same
// node_modules as Node does for any nested package.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeFiles, readmeTranscripts, shownCommand } from './fixtures/readme/blocks.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'bt-package-'));
const project = join(work, 'app'); // "type": "commonjs", as `npm init -y` writes it
const projects = { commonjs: project, module: join(project, 'esm'), none: join(project, 'untyped') };

// Without the npm_* variables of the `npm test` that runs us: the nested npm commands act as a user's would.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string, timeout = 120_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
const sh = (command: string, cwd: string): Promise<Ran> => run('/bin/sh', ['-c', command], cwd);

/**
 * A copy of what the package is built from, where `npm pack` builds it: packing the repository itself would
 * rebuild its dist/ (prepack), which the command-line tests running beside this file start the CLI from.
 */
function packableCopy(): string {
  const copy = join(work, 'source');
  for (const path of ['src', 'workers', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE']) {
    cpSync(join(root, path), join(copy, path), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

beforeAll(async () => {
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], packableCopy(), 240_000);
  expect(packed.code, packed.stderr).toBe(0);
  const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: Array<{ path: string }> }];
  const paths = files.map((f) => f.path);
  // Built by prepack, whatever state dist/ was in: the library, the CLI, the worker entries, the licence.
  for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/bin.js', 'dist/workers/batch.js', 'dist/workers/batch-entry.cjs', 'LICENSE', 'README.md']) {
    expect(paths).toContain(file);
  }
  expect(paths.filter((p) => p.endsWith('.map') || (p.endsWith('.ts') && !p.endsWith('.d.ts')))).toEqual([]);

  mkdirSync(projects.module, { recursive: true });
  mkdirSync(projects.none, { recursive: true });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', type: 'commonjs', license: 'ISC' }, null, 2)}\n`);
  writeFileSync(join(projects.module, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(projects.none, 'package.json'), '{ "name": "untyped" }\n');
  const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, filename)], project, 240_000);
  expect(installed.code, installed.stderr).toBe(0);
}, 480_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('runs the README examples exactly as printed, in commonjs, module and untyped projects', async () => {
    const files = readmeFiles();
    for (const dir of Object.values(projects)) for (const [name, code] of files) writeFileSync(join(dir, name), code);
    // Each example in each project: independent processes, run at the same time.
    const runs = Object.values(projects).flatMap((dir) =>
      ['main.mjs', 'main.cjs'].map(async (main) => {
        const r = await run(process.execPath, [main], dir);
        return { dir, main, code: r.code, stdout: r.stdout };
      }),
    );
    for (const ran of await Promise.all(runs)) {
      expect(ran).toEqual({ dir: ran.dir, main: ran.main, code: 0, stdout: shownCommand(`node ${ran.main}`).output });
    }
    // The files-in, files-out pipeline, in the npm init -y project.
    mkdirSync(join(project, 'texts'));
    writeFileSync(join(project, 'texts', 'a.txt'), 'one two two three three three');
    const piped = await run(process.execPath, ['files.mjs'], project);
    expect(piped.code, piped.stderr).toBe(0);
    expect(readFileSync(join(project, 'summaries', 'a.txt'), 'utf8')).toBe('three 3\ntwo 2\none 1\n');
  }, 120_000);

  it('npx batchtools: --version, info, and the README run with its output files', async () => {
    const shownVersion = shownCommand('npx batchtools --version');
    const v = await sh('npx batchtools --version', project);
    expect(v.stdout).toBe(`${version}\n`);
    expect(shownVersion.output).toBe(`${version}\n`);

    const info = await sh('npx batchtools info', project);
    expect(info.code).toBe(0);
    // Every figure the README shows is there (the values are this machine's).
    for (const line of shownCommand('npx batchtools info').output.split('\n')) {
      const label = /^([a-z][a-z ]+?) {2,}/.exec(line)?.[1];
      if (label) expect(info.stdout).toMatch(new RegExp(`^${label} {2,}\\S`, 'm'));
    }

    const transcript = readmeTranscripts().find((t) => t.some((c) => c.command.startsWith('npx batchtools run ')))!;
    writeFileSync(join(project, 'score.mjs'), readmeFiles().get('score.mjs')!);
    const timing = /\d[\d,.]* m?s \([\d,]+ items\/s, \d+ threads?\)/;
    for (const { command, output } of transcript) {
      const r = await sh(command, project);
      if (command.startsWith('npx batchtools run ')) {
        expect(r.code).toBe(1); // one item failed, as the README says
        expect(r.stderr.replace(timing, 'T')).toBe(output.replace(timing, 'T'));
      } else {
        expect({ command, out: r.stdout }).toEqual({ command, out: output });
      }
    }
  }, 120_000);

  it('runs TypeScript tasks of every kind: with Node alone where it can strip types, else a one-line error naming tsx; all of them with tsx', async () => {
    const sources: Record<string, string> = {
      'esm.ts': 'export function f(x: number): number { return x + 1; }\n',
      'esm.mts': 'export function f(x: number): number { return x + 2; }\n',
      'cjs.cts': 'function f(x: number): number { return x + 3; }\nmodule.exports = { f };\n',
      'cjs.ts': 'function f(x: number): number { return x + 4; }\nmodule.exports = { f };\n',
      'esm.cts': 'export function f(x: number): number { return x + 5; }\n',
      'enum.ts': 'enum Step { By = 6 }\nexport function f(x: number): number { return x + Step.By; }\n',
    };
    const expected: Record<string, number> = { 'esm.ts': 1, 'esm.mts': 2, 'cjs.cts': 3, 'cjs.ts': 4, 'esm.cts': 5, 'enum.ts': 6 };
    const check = [
      "import { createRuntime, defineTask } from 'batchtools';",
      'const rt = createRuntime({ threads: 1 });',
      'for (const file of process.argv.slice(2)) {',
      "  const task = defineTask(new URL(file, 'file://' + process.cwd() + '/'), 'f');",
      "  try { console.log(file + ' ok ' + (await rt.map([0], task))[0]); }",
      "  catch (e) { console.log(file + ' ' + e.code + ' ' + e.message.split('\\n')[0]); }",
      '}',
      'await rt.close();',
    ].join('\n');
    // Which files each kind of project can hold (a `.ts` file is ESM in a module package, CommonJS in a commonjs one).
    const kinds = { module: ['esm.ts', 'esm.mts', 'cjs.cts', 'esm.cts', 'enum.ts'], commonjs: ['esm.ts', 'cjs.ts', 'esm.mts', 'cjs.cts', 'esm.cts', 'enum.ts'], none: ['esm.ts', 'cjs.ts', 'esm.cts', 'enum.ts'] };
    // What Node strips on its own (22.18+, 24): erasable syntax in a file whose format Node knows.
    const nodeAlone: Record<keyof typeof kinds, string[]> = { module: ['esm.ts', 'esm.mts', 'cjs.cts'], commonjs: ['cjs.ts', 'esm.mts', 'cjs.cts'], none: ['esm.ts', 'cjs.ts'] };
    const strips = ['strip', 'transform'].includes(String((process.features as { typescript?: unknown }).typescript));
    const results = async (): Promise<Map<string, string>> => {
      const lines = new Map<string, string>();
      // The three projects are independent: checked at the same time, collected in a fixed order.
      const checked = await Promise.all(
        (Object.entries(projects) as Array<[keyof typeof kinds, string]>).map(async ([kind, dir]) => {
          for (const file of kinds[kind]) writeFileSync(join(dir, file), sources[file]!);
          writeFileSync(join(dir, 'check.mjs'), check);
          return { kind, r: await run(process.execPath, ['check.mjs', ...kinds[kind]], dir) };
        }),
      );
      for (const { kind, r } of checked) {
        expect(r.code, r.stderr).toBe(0);
        for (const line of r.stdout.trim().split('\n')) lines.set(`${kind}/${line.slice(0, line.indexOf(' '))}`, line.slice(line.indexOf(' ') + 1));
      }
      return lines;
    };

    expect(readdirSync(join(project, 'node_modules'))).not.toContain('tsx');
    for (const [key, line] of await results()) {
      const [kind, file] = key.split('/') as [keyof typeof kinds, string];
      if (strips && nodeAlone[kind].includes(file)) expect({ key, line }).toEqual({ key, line: `ok ${expected[file]}` });
      else expect({ key, line }).toMatchObject({ key, line: expect.stringMatching(/^BT_TASK_LOAD .* is TypeScript and Node v[\d.]+ .*: install tsx \(npm install --save-dev tsx\)$/) });
    }

    // tsx, as a user would add it (the repository's copy, linked).
    symlinkSync(join(root, 'node_modules', 'tsx'), join(project, 'node_modules', 'tsx'), 'dir');
    for (const [key, line] of await results()) {
      expect({ key, line }).toEqual({ key, line: `ok ${expected[key.split('/')[1]!]}` });
    }
  }, 180_000);
});
