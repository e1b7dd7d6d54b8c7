// The README's report example runs as shown and writes both files.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeFiles } from '../fixtures/readme/blocks.ts';
import { traceProblems } from './trace-format.ts';

const root = new URL('../../', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'bt-readme-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README report example', () => {
  it('runs as printed (extracted from README.md) and writes run.html and run.json', async () => {
    const files = readmeFiles();
    for (const name of ['score.mjs', 'report.mjs']) writeFileSync(join(dir, name), files.get(name)!);
    await promisify(execFile)(
      process.execPath,
      ['--import', new URL('node_modules/tsx/dist/loader.mjs', root).href, '--import', new URL('test/fixtures/readme/alias.mjs', root).pathname, join(dir, 'report.mjs')],
      { cwd: dir, timeout: 40_000 },
    );
    const html = readFileSync(join(dir, 'run.html'), 'utf8');
    expect(html).toContain('Failures: 10 items');
    expect(html).toContain('item 7 failed: TypeError: expected a string, got number');
    expect(traceProblems(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')))).toEqual([]);
  }, 50_000);
});
