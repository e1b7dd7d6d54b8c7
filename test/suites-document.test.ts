import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { capSamples } from '../src/suites/collect.ts';
import { readDocument, serializeDocument, writeDocument } from '../src/suites/document.ts';
import { SuiteError, SuiteErrorCodes } from '../src/suites/errors.ts';
import { expandFiles } from '../src/suites/glob.ts';
import { validateDocument } from '../src/suites/validate.ts';
import { makeDocument, normalSamples } from './fixtures/suites/make-document.ts';

const dir = await mkdtemp(join(tmpdir(), 'bt-suites-doc-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function readError(content: string | object, name = 'doc.json'): Promise<SuiteError> {
  const file = join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  const error = await readDocument(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SuiteError);
  expect((error as SuiteError).code).toBe(SuiteErrorCodes.INVALID_RESULT);
  return error as SuiteError;
}

describe('result documents', () => {
  it('round-trip through a file unchanged', async () => {
    const doc = makeDocument({ 'a.bench.ts': { x: normalSamples(1, 20, 5, 1), y: [1, 2, 3] }, 'b.bench.mjs': { z: [4, 5] } });
    const file = join(dir, 'round-trip.json');
    await writeDocument(file, doc);
    expect(await readDocument(file)).toEqual(doc);
    expect(validateDocument(JSON.parse(serializeDocument(doc)), 'x')).toEqual(doc);
  });

  it('name the file when it is missing or not JSON', async () => {
    await expect(readDocument(join(dir, 'missing.json'))).rejects.toThrow(/cannot read the result file .*missing\.json: no such file/);
    expect((await readError('{"format": ', 'broken.json')).message).toMatch(/broken\.json is not valid JSON/);
  });

  it('refuse a document that is not ours (a vitest bench JSON, an array)', async () => {
    const error = await readError({ files: [{ filepath: 'x', groups: [] }] }, 'vitest.json');
    expect(error.message).toMatch(/vitest\.json is not a batchtools bench result \(expected an object with "format": "batchtools-bench"/);
    expect(error.field).toBe('format');
    expect((await readError([1, 2])).message).toMatch(/is not a batchtools bench result/);
  });

  it('refuse another schema version, saying which', async () => {
    const error = await readError({ ...makeDocument({}), schemaVersion: 3 }, 'v3.json');
    expect(error.message).toMatch(/v3\.json: field "schemaVersion" is 3, but this batchtools reads schema versions 1 to 2/);
  });

  it('read a schema-1 document (one run per suite) as one run of each task', () => {
    const v1 = JSON.parse(JSON.stringify(makeDocument({ 'a.bench.ts': { x: [1, 2, 3] } }))) as { schemaVersion: number; run: Record<string, unknown>; suites: Array<{ tasks: Array<Record<string, unknown>> }> };
    v1.schemaVersion = 1;
    delete v1.run['runs'];
    delete v1.suites[0]!.tasks[0]!['runMeans'];
    delete v1.suites[0]!.tasks[0]!['runMedians'];
    const doc = validateDocument(v1, 'v1.json');
    expect(doc.schemaVersion).toBe(2);
    expect(doc.run.runs).toBe(1);
    expect(doc.suites[0]!.tasks[0]!.runMeans).toEqual([2]);
    expect(doc.suites[0]!.tasks[0]!.runMedians).toEqual([2]);
  });

  it('read a schema-2 document written before run medians were recorded: no run medians, the run means kept', () => {
    const old = JSON.parse(JSON.stringify(makeDocument({ 'a.bench.ts': { x: [[1, 2, 3], [2, 3, 4]] } }))) as { suites: Array<{ tasks: Array<Record<string, unknown>> }> };
    delete old.suites[0]!.tasks[0]!['runMedians'];
    const doc = validateDocument(old, 'old.json');
    expect(doc.suites[0]!.tasks[0]!.runMedians).toBeNull();
    expect(doc.suites[0]!.tasks[0]!.runMeans).toEqual([2, 3]);
  });

  it('name the malformed field', async () => {
    const doc = makeDocument({ 'a.bench.ts': { x: [1, 2, 3] } }) as unknown as { suites: Array<{ tasks: Array<Record<string, unknown>> }> };
    const task = doc.suites[0]!.tasks[0]!;
    (task['latency'] as Record<string, unknown>)['mean'] = 'fast';
    const error = await readError(doc, 'bad-field.json');
    expect(error.message).toMatch(/bad-field\.json: field "suites\[0\]\.tasks\[0\]\.latency\.mean" must be a number, got "fast" \(string\)/);
    expect(error.field).toBe('suites[0].tasks[0].latency.mean');

    task['latency'] = null;
    task['samples'] = [1, '2'];
    expect((await readError(doc)).field).toBe('suites[0].tasks[0].samples[1]');
    delete (doc as unknown as Record<string, unknown>)['machine'];
    expect((await readError(doc)).message).toMatch(/field "machine" must be an object, got undefined/);
  });
});

describe('sample capping', () => {
  it('keeps evenly spaced order statistics, the minimum and maximum included', () => {
    const sorted = Array.from({ length: 101 }, (_, i) => i);
    expect(Array.from(capSamples(sorted, 5))).toEqual([0, 25, 50, 75, 100]);
    expect(Array.from(capSamples(sorted, 1))).toEqual([50]);
    expect(capSamples(sorted, null).length).toBe(101);
    expect(capSamples([1, 2], 10).length).toBe(2);
  });
});

describe('suite file patterns', () => {
  it('match like a shell: escapes, literal brackets, braces, classes, dot entries and node_modules skipped', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'bt-glob-'));
    try {
      for (const file of ['[id].bench.mjs', 'i.bench.mjs', 'a.bench.ts', 'b.bench.ts', 'a+b(1).bench.ts', 'sub/deep/c.bench.ts', '.hidden/h.bench.ts', 'node_modules/pkg/n.bench.ts', 'real/r.bench.ts']) {
        mkdirSync(dirname(join(cwd, file)), { recursive: true });
        writeFileSync(join(cwd, file), '');
      }
      symlinkSync(join(cwd, 'real'), join(cwd, 'linked'), 'dir');
      symlinkSync(cwd, join(cwd, 'sub', 'loop'), 'dir'); // a cycle must not hang the walk
      const rel = async (...patterns: string[]) => (await expandFiles(patterns, cwd)).files.map((f) => relative(cwd, f));
      expect(await rel('\\[id\\].bench.mjs')).toEqual(['[id].bench.mjs']); // escaped: the literal name
      expect(await rel('[id].bench.mjs')).toEqual(['[id].bench.mjs']); // an existing file is that file
      expect(await rel('[!a]*.bench.ts')).toEqual(['b.bench.ts']);
      expect(await rel('{a,b}.bench.?s')).toEqual(['a.bench.ts', 'b.bench.ts']);
      expect(await rel('a+b(1).bench.ts')).toEqual(['a+b(1).bench.ts']);
      expect(await rel('*.bench.ts')).toEqual(['a+b(1).bench.ts', 'a.bench.ts', 'b.bench.ts']);
      const all = await rel('**/*.bench.ts');
      expect(all).toContain('sub/deep/c.bench.ts');
      expect(all).toContain('linked/r.bench.ts'); // symlinked directories are followed
      expect(all.some((f) => f.includes('node_modules') || f.includes('.hidden'))).toBe(false);
      // Each file once, however many symlinked paths reach it (the cycle, linked/ and real/).
      expect(new Set(all.map((f) => realpathSync(join(cwd, f)))).size).toBe(all.length);
      expect(all.filter((f) => f.endsWith('a.bench.ts'))).toEqual(['a.bench.ts']);
      expect(await rel('.hidden/*.bench.ts')).toEqual(['.hidden/h.bench.ts']);
      expect(await rel('node_modules/**/*.bench.ts')).toEqual(['node_modules/pkg/n.bench.ts']);
      expect(await rel('linked/*.bench.ts')).toEqual(['linked/r.bench.ts']);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('expand against a directory, in order, without duplicates, and report what matched nothing', async () => {
    const cwd = fileURLToPath(new URL('../', import.meta.url));
    const { files, unmatched } = await expandFiles(
      ['test/fixtures/suites/{typed,fast}.bench.*', 'test/**/fast.bench.mjs', 'test/fixtures/suites/pollute.bench.mjs', 'nothing/*.bench.ts', 'no-such.bench.ts'],
      cwd,
    );
    expect(files.map((f) => f.slice(cwd.length))).toEqual([
      'test/fixtures/suites/fast.bench.mjs',
      'test/fixtures/suites/typed.bench.ts',
      'test/fixtures/suites/pollute.bench.mjs',
    ]);
    expect(unmatched).toEqual(['nothing/*.bench.ts', 'no-such.bench.ts']);
  });
});
