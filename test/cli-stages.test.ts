// `batchtools run --stage … --filter …` end to end: one composite task through the same engine, journal and
// checkpoint as a one-task run; `retry` with the same stages; resume refuses a changed stage module.
import { appendFileSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, cli, readJsonLines, root, start, tempDir, waitForLines, workModule, writeItems } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

const ITEMS = 300;
const GATE_AT = 200;
let dir = '';
let failList = '';
let stagesModule = '';
const stageArgs = (): string[] => ['--stage', `${workModule}#listed`, '--filter', `${stagesModule}#notThird`, '--stage', workModule];

beforeAll(() => {
  dir = tempDir();
  writeItems(join(dir, 'in.jsonl'), ITEMS);
  failList = join(dir, 'fail-list');
  writeFileSync(failList, '7 250');
  stagesModule = join(dir, 'stages.mjs');
  copyFileSync(join(root, 'test/fixtures/cli/stages.mjs'), stagesModule);
});

describe('batchtools run with several stages', () => {
  it('fuses the stages, writes a line per item (filtered ones marked) and names the stage of a failure', async () => {
    const r = await cli(['run', ...stageArgs(), '--input', 'in.jsonl', '--output', 'out.jsonl', '--failures', 'failed.jsonl', '--quiet'], {
      cwd: dir,
      env: { BT_TEST_FAIL_LIST: failList },
    });
    expect(r.code).toBe(1);
    const plain = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'plain.jsonl', '--quiet'], { cwd: dir });
    expect(plain.code).toBe(0);
    const expected = readJsonLines(join(dir, 'plain.jsonl')) as Array<{ value: unknown }>;
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<Record<string, unknown>>;
    expect(out).toHaveLength(ITEMS);
    out.forEach((line, n) => {
      if (n === 7 || n === 250) {
        expect(line['ok']).toBe(false);
        expect(line['error']).toEqual({
          code: 'BT_TASK_FAILED',
          name: 'RangeError',
          message: `item ${n} is on the fail list`,
          attempts: 1,
          causeCode: 'E_LISTED',
          stage: 0,
          stageName: 'listed',
        });
      } else if (n % 3 === 0) expect(line).toEqual({ index: n, line: n + 1, ok: true, filtered: true, value: null });
      else expect(line).toEqual({ index: n, line: n + 1, ok: true, value: expected[n]!.value });
    });
    expect((readJsonLines(join(dir, 'failed.jsonl')) as Array<{ index: number }>).map((f) => f.index)).toEqual([7, 250]);
  });

  it('retries the failed items with the same stages', async () => {
    copyFileSync(join(dir, 'out.jsonl'), join(dir, 'retried.jsonl'));
    const r = await cli(['retry', ...stageArgs(), '--failed-items', 'failed.jsonl', '--failures', 'still.jsonl', '--output', 'retried.jsonl', '--quiet'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    const plain = readJsonLines(join(dir, 'plain.jsonl')) as Array<{ value: unknown }>;
    const out = readJsonLines(join(dir, 'retried.jsonl')) as Array<Record<string, unknown>>;
    expect(out[7]).toEqual({ index: 7, line: 8, ok: true, value: plain[7]!.value });
    expect(out[250]).toEqual({ index: 250, line: 251, ok: true, value: plain[250]!.value });
    expect(readFileSync(join(dir, 'still.jsonl'), 'utf8')).toBe('');
  });

  it('resumes a killed multi-stage run to the same output, and refuses to resume after a stage module changed', async () => {
    const gate = join(dir, 'gate-open');
    const env = { BT_TEST_FAIL_LIST: failList, BT_TEST_GATE: gate, BT_TEST_GATE_AT: String(GATE_AT) };
    const args = (name: string): string[] => ['run', ...stageArgs(), '--input', 'in.jsonl', '--output', name, '--failures', `${name}.failures`, '--checkpoint', `${name}.ckpt`];
    for (const name of ['resumed.jsonl', 'changed.jsonl']) {
      const running = start(args(name), { cwd: dir, env });
      await waitForLines(join(dir, `${name}.ckpt`, 'journal.jsonl'), 50, running, gate);
      running.child.kill('SIGKILL');
      await running.ended;
      // The next run says afresh when one of its items waits at the gate.
      rmSync(`${gate}.waiting`, { force: true });
    }
    writeFileSync(gate, '');
    const resumed = await cli(['resume', 'resumed.jsonl.ckpt'], { cwd: dir, env });
    expect(resumed.code).toBe(1);
    expect(readFileSync(join(dir, 'resumed.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
    expect(readFileSync(join(dir, 'resumed.jsonl.failures'), 'utf8')).toBe(readFileSync(join(dir, 'failed.jsonl'), 'utf8'));

    appendFileSync(stagesModule, '// changed\n');
    const refused = await cli(['resume', 'changed.jsonl.ckpt'], { cwd: dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to resume changed\.jsonl\.ckpt: the task module .*stages\.mjs changed since the checkpoint was made/);
  }, 120_000);

  it('refuses a malformed --stage and a run with nothing to run', async () => {
    const bad = await cli(['run', '--stage', '#x', '--input', 'in.jsonl', '--output', 'x.jsonl'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--stage #x: expected <module>#<export>');
    const none = await cli(['run', '--input', 'in.jsonl', '--output', 'x.jsonl'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no task to run');
  });
});
