// Usage and setup errors of the command line: one `batchtools: …` line plus what to do, exit code 2, no stack
// trace, and no output file (nor temporary file, nor new checkpoint) left behind. And `retry` end to end.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, cli, type Ended, tempDir, workModule, writeItems } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

function expectUsageError(r: Ended, message: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^batchtools: [^\n]+\n( {2}[^\n]+\n)?$/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('usage and input errors', () => {
  it('a missing task module', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 3);
    const r = await cli(['run', 'nope.mjs', '--input', 'in.jsonl', '--output', 'out.jsonl'], { cwd: dir });
    expectUsageError(r, /^batchtools: task module not found: nope\.mjs\n {2}check the path/);
    expect(readdirSync(dir)).toEqual(['in.jsonl']);
  });

  it('a missing export: found by the workers, still nothing left behind (no output, failures or checkpoint)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), '{"n":1}\nnot json\n{"n":2}\n');
    const r = await cli(
      ['run', workModule, '--export', 'nope', '--input', 'in.jsonl', '--output', 'out.jsonl', '--failures', 'f.jsonl', '--checkpoint', 'ckpt'],
      { cwd: dir },
    );
    expectUsageError(r, /^batchtools: task module .*work\.mjs has no export "nope" \(its function exports: .*\) \[BT_TASK_LOAD\]\n {2}check the task module and --export/);
    expect(readdirSync(dir)).toEqual(['in.jsonl']);
  });

  it('an input file that is missing, or a directory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    const missing = await cli(['run', workModule, '--input', 'missing.jsonl', '--output', 'out.jsonl'], { cwd: dir });
    expectUsageError(missing, /^batchtools: input file not found: missing\.jsonl\n/);
    const directory = await cli(['run', workModule, '--input', 'sub', '--output', 'out.jsonl'], { cwd: dir });
    expectUsageError(directory, /^batchtools: input is a directory, not a file: sub\n/);
    expect(readdirSync(dir)).toEqual(['sub']);
  });

  it('an output directory that does not exist', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 3);
    const r = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'no/such/dir/out.jsonl'], { cwd: dir });
    expectUsageError(r, /^batchtools: --output: directory does not exist: .*no\/such\/dir\n {2}create it first/);
    const failures = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--failures', 'nope/f.jsonl'], { cwd: dir });
    expectUsageError(failures, /^batchtools: --failures: directory does not exist/);
    expect(readdirSync(dir)).toEqual(['in.jsonl']);
  });

  it('a checkpoint directory that is not one, or not empty', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 3);
    const resume = await cli(['resume', 'in.jsonl.d'], { cwd: dir });
    expectUsageError(resume, /^batchtools: checkpoint not found: in\.jsonl\.d\n/);
    mkdirSync(join(dir, 'stuff'));
    writeFileSync(join(dir, 'stuff', 'notes.txt'), 'mine');
    const notCheckpoint = await cli(['resume', 'stuff'], { cwd: dir });
    expectUsageError(notCheckpoint, /^batchtools: stuff is not a batchtools checkpoint \(no manifest\.json\)\n/);
    const notEmpty = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', 'stuff'], { cwd: dir });
    expectUsageError(notEmpty, /^batchtools: --checkpoint: stuff is not empty and is not a batchtools checkpoint\n/);
    expect(readdirSync(join(dir, 'stuff'))).toEqual(['notes.txt']);
  });

  it('bad option values', async () => {
    const dir = tempDir();
    const r = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'o.jsonl', '--threads', '0'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threads must be a positive integer, got "0"');
  });
});

describe('batchtools retry', () => {
  it('re-runs only the failed items and merges them into the output, which then equals a clean run', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 400);
    const list = join(dir, 'fail-list');
    writeFileSync(list, '0 13 399');
    const env = { BT_TEST_FAIL_LIST: list };
    const args = ['--export', 'listed', '--input', 'in.jsonl'];
    const first = await cli(['run', workModule, ...args, '--output', 'out.jsonl', '--failures', 'failed.jsonl'], { cwd: dir, env });
    expect(first.code).toBe(1);
    expect(readFileSync(join(dir, 'failed.jsonl'), 'utf8').split('\n')).toHaveLength(4);
    const clean = await cli(['run', workModule, ...args, '--output', 'clean.jsonl'], { cwd: dir });
    expect(clean.code).toBe(0);

    // A failures file that does not belong to the output is refused before any work.
    const retryOther = (record: string): Promise<Ended> => {
      writeFileSync(join(dir, 'other.jsonl'), `${record}\n`);
      return cli(['retry', workModule, '--export', 'listed', '--failed-items', 'other.jsonl', '--output', 'out.jsonl'], { cwd: dir, env });
    };
    const error = '"error":{"code":"BT_TASK_FAILED","name":"Error","message":"x","attempts":1}';
    const otherError = await retryOther(`{"index":13,"line":14,"input":{"n":13},${error}}`);
    expectUsageError(otherError, /^batchtools: other\.jsonl does not belong to out\.jsonl: item 13 failed with another error there\n/);
    const noItem = await retryOther(`{"index":400,"line":401,"input":{"n":400},${error}}`);
    expectUsageError(noItem, /^batchtools: other\.jsonl does not belong to out\.jsonl: it has no item 400\n/);
    const notFailures = await retryOther('{"n":1}');
    expectUsageError(notFailures, /^batchtools: other\.jsonl:1: not a failure record\n/);

    // Still failing: 13 stays in the failures file, the others are merged.
    writeFileSync(list, '13');
    const partly = await cli(['retry', workModule, '--export', 'listed', '--failed-items', 'failed.jsonl', '--output', 'out.jsonl'], { cwd: dir, env });
    expect(partly.code).toBe(1);
    expect(partly.stderr).toMatch(/^batchtools: retried 3 items in /);
    expect(readFileSync(join(dir, 'failed.jsonl'), 'utf8')).toMatch(/^\{"index":13,"line":14,"input":\{"n":13,"tag":"t6"\},"error":\{[^\n]*\}\n$/);

    rmSync(list);
    const fixed = await cli(['retry', workModule, '--export', 'listed', '--failed-items', 'failed.jsonl', '--output', 'out.jsonl'], { cwd: dir, env });
    expect(fixed.code).toBe(0);
    expect(readFileSync(join(dir, 'out.jsonl')).equals(readFileSync(join(dir, 'clean.jsonl')))).toBe(true);
    expect(readFileSync(join(dir, 'failed.jsonl'), 'utf8')).toBe('');
    expect(readdirSync(dir).sort()).toEqual(['clean.jsonl', 'failed.jsonl', 'in.jsonl', 'other.jsonl', 'out.jsonl']);
  });
});
