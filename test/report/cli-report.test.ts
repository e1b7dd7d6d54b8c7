// `run --report/--trace-events` and `bench --html` end to end: the files are written, whole, with what the run did.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCommand } from '../../src/cli/bench-command.ts';
import { writeDocument } from '../../src/suites/document.ts';
import { cleanUp, cli, root, tempDir, workModule } from '../fixtures/cli/spawn.ts';
import { makeDocument } from '../fixtures/suites/make-document.ts';
import { traceProblems } from './trace-format.ts';

afterAll(cleanUp);

describe('batchtools run --report --trace-events', () => {
  it('writes the HTML report and a Trace Event Format file of the run, failures included', async () => {
    const dir = tempDir();
    let input = '';
    for (let i = 0; i < 400; i++) input += `${JSON.stringify({ n: i })}\n`;
    input += 'not json\n';
    writeFileSync(join(dir, 'in.jsonl'), input);
    writeFileSync(join(dir, 'fail.txt'), '3 250');
    const run = await cli(
      ['run', workModule, '--export', 'listed', '--input', 'in.jsonl', '--output', 'out.jsonl', '--report', 'run.html', '--trace-events', 'run.json', '--quiet'],
      { cwd: dir, env: { BT_TEST_FAIL_LIST: join(dir, 'fail.txt') } },
    );
    expect(run.stderr).toContain('failed     3');
    expect(run.code).toBe(1);
    const html = readFileSync(join(dir, 'run.html'), 'utf8');
    expect(html).toContain('<title>batchtools run: work.mjs</title>');
    expect(html).toContain('item 3 is on the fail list');
    expect(html).toContain('item 250 is on the fail list');
    expect(html).toContain('BT_INVALID_INPUT');
    expect(html).toMatch(/<b>401<\/b><span>items<\/span>/);
    const events = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { traceEvents: Array<{ ph: string; args?: { items?: number } }> };
    expect(traceProblems(events)).toEqual([]);
    const chunkItems = events.traceEvents.filter((e) => e.ph === 'X').reduce((n, e) => n + (e.args?.items ?? 0), 0);
    expect(chunkItems).toBeGreaterThanOrEqual(400);
  });

  it('checks the report paths before any work', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), '{"n":1}\n');
    const missing = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--report', 'no/such/dir/run.html'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--report/);
    expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
    const same = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'x.json', '--trace-events', 'x.json'], { cwd: dir });
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('--output and --trace-events name the same file');
  });
});

describe('batchtools bench --html', () => {
  it('writes the page with the comparison against a baseline', async () => {
    const dir = tempDir();
    const baseline = join(dir, 'base.json');
    const suite = 'test/fixtures/suites/fast.bench.mjs';
    // a baseline of the same suite and tasks, far slower than any real run, so both tasks compare as faster
    await writeDocument(baseline, makeDocument({ [suite]: { 'sum 100': [5, 5.2, 4.9, 5.1, 5], join: [5, 5.1, 5.2, 4.8, 5] } }));
    const out = new PassThrough();
    const err = new PassThrough();
    const html = join(dir, 'bench.html');
    const code = await runBenchCommand([join(root, suite)], { baseline, html, quiet: true }, { stdout: out, stderr: err });
    expect(code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('Compared with');
    expect(page).toContain('sum 100');
    expect(page).toMatch(/id="hist-0-0"/);
    expect(page).toMatch(/<tr class="improvement"><td>test\/fixtures\/suites\/fast\.bench\.mjs<\/td><td>join<\/td>/);
  }, 60_000); // a real suite in a fresh worker: seconds on a loaded 2-core machine
});
