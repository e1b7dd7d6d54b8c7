// `batchtools run` end to end, spawned from the sources: formats, stdin to stdout, bad lines, help, options.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeFiles } from './fixtures/readme/blocks.ts';
import { cleanUp, cli, hasScript, readJsonLines, root, startInTerminal, tempDir, waitForOutput, workModule, writeItems } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

describe('batchtools run', () => {
  it('writes one line per item in input order, the failures file, the summary and the JSON report', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 300);
    const list = join(dir, 'fail-list');
    writeFileSync(list, '7 250');
    const r = await cli(
      ['run', workModule, '--export', 'listed', '--input', 'in.jsonl', '--output', 'out.jsonl', '--failures', 'failed.jsonl', '--json-report', 'report.json'],
      { cwd: dir, env: { BT_TEST_FAIL_LIST: list } },
    );
    expect(r.code).toBe(1);
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<Record<string, unknown>>;
    expect(out).toHaveLength(300);
    out.forEach((line, i) => {
      expect(line['index']).toBe(i);
      expect(line['line']).toBe(i + 1);
    });
    expect(out[0]).toEqual({ index: 0, line: 1, ok: true, value: { n: 0, double: 0 } });
    expect(out[7]).toEqual({
      index: 7,
      line: 8,
      ok: false,
      error: { code: 'BT_TASK_FAILED', name: 'RangeError', message: 'item 7 is on the fail list', attempts: 1, causeCode: 'E_LISTED' },
      run: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const run = out[7]!['run'];
    expect(readJsonLines(join(dir, 'failed.jsonl'))).toEqual([
      { index: 7, line: 8, input: { n: 7, tag: 't0' }, error: out[7]!['error'], run },
      { index: 250, line: 251, input: { n: 250, tag: 't5' }, error: out[250]!['error'], run },
    ]);
    // Not a terminal: no progress bar, only the summary.
    expect(r.stderr).not.toMatch(/\x1b\[/);
    expect(r.stderr).toMatch(/^batchtools: 300 items in .* \([\d,]+ items\/s, \d+ threads?\)\n/);
    expect(r.stderr).toContain('  succeeded  298\n');
    expect(r.stderr).toContain('  failed     2  (BT_TASK_FAILED 2)\n');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({ command: 'run', exitCode: 1, items: 300, succeeded: 298, failed: 2, failedByCode: { BT_TASK_FAILED: 2 } });
    expect(report['threads']).toBeGreaterThanOrEqual(1);
    const trace = report['trace'] as { chunks: Array<{ items: number }> };
    expect(trace.chunks.reduce((sum, c) => sum + c.items, 0)).toBe(300);
    // Nothing else is left in the directory (no temporary files).
    expect(readdirSync(dir).sort()).toEqual(['fail-list', 'failed.jsonl', 'in.jsonl', 'out.jsonl', 'report.json']);
  });

  it('reads standard input and streams the output to standard output, in order', async () => {
    const dir = tempDir();
    const items = Array.from({ length: 500 }, (_, n) => JSON.stringify({ n })).join('\n');
    const r = await cli(['run', workModule, '--input', '-', '--output', '-', '--quiet'], { cwd: dir, stdin: `${items}\n` });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(500);
    for (const [i, text] of lines.entries()) expect(text.startsWith(`{"index":${i},"line":${i + 1},"ok":true,"value":{"n":${i},"h":`)).toBe(true);
    expect(r.stderr).toContain('  output     standard output\n');
  });

  it('reports a line that is not JSON as a failed item, naming file and line, and runs the rest', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), '{"n":1}\n{"n":2}\n{"n":3,\n\n{"n":4}\n');
    const r = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--failures', 'f.jsonl'], { cwd: dir });
    expect(r.code).toBe(1);
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<Record<string, unknown>>;
    expect(out.map((l) => [l['index'], l['line'], l['ok']])).toEqual([
      [0, 1, true],
      [1, 2, true],
      [2, 3, false],
      [3, 5, true],
    ]);
    expect(out[2]!['error']).toMatchObject({ code: 'BT_INVALID_INPUT', name: 'SyntaxError', attempts: 0 });
    expect(readJsonLines(join(dir, 'f.jsonl'))).toEqual([{ index: 2, line: 3, raw: '{"n":3,', error: out[2]!['error'], run: out[2]!['run'] }]);
    expect(r.stderr).toMatch(/in\.jsonl:3: invalid JSON: /);
    expect(r.stderr).toContain('(BT_INVALID_INPUT 1)');
  });

  it('with --strict, refuses a bad line before any work: exit 2, no output file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), '{"n":1}\n{"n":2}\nnot json\n');
    const r = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--strict'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^batchtools: in\.jsonl:3: invalid JSON \(.*\); nothing was run \(--strict\)\n {2}fix that line/);
    expect(readdirSync(dir)).toEqual(['in.jsonl']);
  });

  it('writes a result with no JSON form as a failed item (BT_RESULT_NOT_JSON)', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 2);
    const r = await cli(['run', workModule, '--export', 'bigint', '--input', 'in.jsonl', '--output', '-'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('{"index":0,"line":1,"ok":false,"error":{"code":"BT_RESULT_NOT_JSON"');
  });

  it('passes --timeout and --retries to the runtime', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 8);
    const r = await cli(
      ['run', workModule, '--export', 'hangsOnFive', '--input', 'in.jsonl', '--output', 'out.jsonl', '--timeout', '300', '--retries', '1'],
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<Record<string, unknown>>;
    expect(out.filter((l) => l['ok'] === true).map((l) => l['value'])).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(out[5]!['error']).toMatchObject({ code: 'BT_TIMEOUT', attempts: 2 });
  });

  it('documents formats, exit codes and examples in --help', async () => {
    const dir = tempDir();
    const top = await cli(['--help'], { cwd: dir });
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/run \[options\] [<[]task-module[>\]]/);
    expect(top.stdout).toMatch(/130 {2}interrupted/);
    const run = await cli(['run', '--help'], { cwd: dir });
    expect(run.code).toBe(0);
    for (const text of ['--checkpoint <dir>', '{"index":0,"line":1,"ok":true,"value":', '"raw":', 'Exit codes:', 'Examples:']) {
      expect(run.stdout).toContain(text);
    }
    expect(top.stdout).toMatch(/143 {2}terminated \(SIGTERM\)/);
    const usage = await cli(['run', '--input', 'x.jsonl', '--output', 'y.jsonl'], { cwd: dir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('batchtools: no task to run');
    expect(existsSync(join(dir, 'y.jsonl'))).toBe(false);
  });

  it('gives the output the README shows for its example', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /\$ npx batchtools run score\.mjs ([^\n]*)\n([\s\S]*?)\$ cat scores\.jsonl\n([\s\S]*?)\$ cat failed\.jsonl\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const [, args, summary, scores, failed] = block!;
    const dir = tempDir();
    writeFileSync(join(dir, 'score.mjs'), readmeFiles(readme).get('score.mjs')!);
    copyFileSync(join(root, 'test/fixtures/cli/texts.jsonl'), join(dir, 'texts.jsonl'));
    const r = await cli(['run', 'score.mjs', ...args!.split(' ')], { cwd: dir });
    expect(r.code).toBe(1);
    const timing = /\d[\d,.]* m?s \([\d,]+ items\/s, \d+ threads?\)/;
    expect(r.stderr.replace(timing, 'T')).toBe(summary!.replace(timing, 'T'));
    expect(readFileSync(join(dir, 'scores.jsonl'), 'utf8')).toBe(scores);
    expect(readFileSync(join(dir, 'failed.jsonl'), 'utf8')).toBe(failed);
  });

  it.skipIf(!hasScript)('on a terminal, shows a live progress bar, then only the summary', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 1000);
    const gate = join(dir, 'gate');
    const running = startInTerminal(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl'], {
      cwd: dir,
      env: { BT_TEST_GATE: gate, BT_TEST_GATE_AT: '500' },
    });
    // The items from 500 on wait for the gate: the bar is seen while the run cannot have ended.
    await waitForOutput(running, /\d+% \| [\d,]+\/1,000 items \| [\d,]+ items\/s \| ETA \S+ \| \d+ threads? \| 0 failed/);
    writeFileSync(gate, '');
    const ended = await running.ended;
    expect(ended.code).toBe(0);
    expect(ended.stdout).toContain('\x1b[?25l'); // cursor hidden while the bar shows...
    expect(ended.stdout).toMatch(/\x1b\[\?25h[\s\S]*batchtools: 1,000 items in /); // ... and back before the summary
    expect(readJsonLines(join(dir, 'out.jsonl'))).toHaveLength(1000);
  });

  it.skipIf(!hasScript)('on an 80-column terminal, the bar keeps the thread and failure counts', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 1000);
    const gate = join(dir, 'gate');
    const running = startInTerminal(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl'], {
      cwd: dir,
      env: { BT_TEST_GATE: gate, BT_TEST_GATE_AT: '500' },
      columns: 80,
    });
    const line = /[█░]* ?\d+% \| [\d,]+\/1,000(?: items)? \| [\d,]+(?: items)?\/s \| ETA \S+ \| \d+ threads? \| 0 failed/;
    await waitForOutput(running, line);
    writeFileSync(gate, '');
    const ended = await running.ended;
    expect(ended.code).toBe(0);
    const drawn = ended.stdout.match(new RegExp(line.source, 'g'))!;
    for (const text of drawn) expect(text.length).toBeLessThan(80);
  });
});
