// Regression tests of the breaks found by the adversarial review (../shared/reliability-2.md), end to end through
// the real CLI: outputs aliasing the checkpoint, item identity in messages, permissions, stale locks with a live
// pid, retry of another run's failures.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selfIdentity } from '../../src/cli/lock.ts';
import { cleanUp, cli, readJsonLines, root, tempDir, writeItems } from '../fixtures/cli/spawn.ts';

afterAll(cleanUp);

const tasks = join(root, 'test/reliability/fixtures/tasks.mjs');

describe('outputs never alias the checkpoint folder', () => {
  it.each([
    ['--output', 'ck/journal.jsonl'],
    ['--output', 'ck/manifest.json'],
    ['--output', 'ck'],
    ['--failures', 'ck/input.jsonl'],
    ['--json-report', 'ck/report.json'],
    ['--output', 'link/out.jsonl'],
  ])('refuses %s %s before any work', async (option, path) => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 10);
    // The folder is made by the run (not there yet), except where a link into it is tested.
    if (path.startsWith('link/')) {
      mkdirSync(join(dir, 'ck'));
      symlinkSync('ck', join(dir, 'link'));
    }
    const args = ['run', tasks, '--input', 'in.jsonl', '--checkpoint', 'ck'];
    if (option !== '--output') args.push('--output', 'out.jsonl');
    args.push(option, path);
    const r = await cli(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/(inside the checkpoint folder ck|the checkpoint folder itself)/);
    expect(existsSync(join(dir, 'ck')) ? readdirSync(join(dir, 'ck')) : []).toEqual([]);
  });
});

describe('item identity is the input index', () => {
  it('a crash after invalid lines names the input index, in a run and in a resume alike', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), '{bad\n{bad\n1\n2\n3\n4\n5\n6\n');
    const r = await cli(['run', tasks, '--export', 'exitOnFive', '--input', 'in.jsonl', '--output', 'out.jsonl', '--threads', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<{ index: number; ok: boolean; error?: { code: string; message: string } }>;
    expect(out).toHaveLength(8);
    expect(out[6]!.error?.code).toBe('BT_WORKER_CRASHED');
    expect(out[6]!.error?.message).toMatch(/^item 6 crashed its worker/);
    // (control) the library's own stream position of that item is 4
    expect(out[6]!.error?.message).not.toMatch(/item 4/);
  });
});

describe('permissions follow the input', () => {
  it('a 600 input gives 600 output and failures; an existing 600 output stays 600; the checkpoint is 700/600', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), '1\n2\n{bad\n');
    chmodSync(join(dir, 'in.jsonl'), 0o600);
    const r = await cli(
      ['run', tasks, '--input', 'in.jsonl', '--output', 'out.jsonl', '--failures', 'f.jsonl', '--checkpoint', 'ck', '--threads', '1'],
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(statSync(join(dir, 'out.jsonl')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'f.jsonl')).mode & 0o777).toBe(0o600);
    chmodSync(join(dir, 'in.jsonl'), 0o644);
    writeFileSync(join(dir, 'out2.jsonl'), '');
    chmodSync(join(dir, 'out2.jsonl'), 0o600);
    const again = await cli(['run', tasks, '--input', 'in.jsonl', '--output', 'out2.jsonl', '--threads', '1'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(statSync(join(dir, 'out2.jsonl')).mode & 0o777).toBe(0o600);
  });
});

describe('stale locks', () => {
  it('takes over a lock whose pid is alive but is another process (pid reuse: start time differs)', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 20);
    const ck = join(dir, 'ck');
    mkdirSync(ck, { mode: 0o700 });
    const self = selfIdentity();
    // pid 1 is alive; its start time is not the one recorded.
    writeFileSync(join(ck, 'lock'), `${JSON.stringify({ ...self, pid: 1, startTime: '1', startedAt: 'then' })}\n`);
    const r = await cli(['run', tasks, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', 'ck', '--threads', '1'], { cwd: dir });
    expect(r.stderr).toContain('taking over the lock of pid 1, which is no longer running');
    expect(r.code).toBe(0);
    expect(existsSync(ck)).toBe(true); // the folder was given, not created: it stays, empty
    expect(readdirSync(ck)).toEqual([]);
  });

  it('(control) refuses a lock whose owner is alive with the recorded start time', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 5);
    mkdirSync(join(dir, 'ck'), { mode: 0o700 });
    const { processStartTime } = await import('../../src/cli/lock.ts');
    const self = selfIdentity();
    writeFileSync(join(dir, 'ck', 'lock'), `${JSON.stringify({ ...self, pid: 1, startTime: processStartTime(1) })}\n`);
    const r = await cli(['run', tasks, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', 'ck'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is in use by another batchtools run, pid 1');
    expect(hostname()).toBe(self.hostname);
  });
});

describe('retry checks that the failures file belongs to the output', () => {
  it("refuses another run's failures file (same items, lines and errors, another run id)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.jsonl'), '1\n2\n3\n');
    writeFileSync(join(dir, 'b.jsonl'), '7\n8\n9\n');
    for (const name of ['a', 'b']) {
      const r = await cli(
        ['run', tasks, '--export', 'alwaysFails', '--input', `${name}.jsonl`, '--output', `${name}.out`, '--failures', `${name}.failures`, '--threads', '1'],
        { cwd: dir },
      );
      expect(r.code).toBe(1);
    }
    // Same error messages would pass the old checks: make them equal.
    const b = readFileSync(join(dir, 'b.failures'), 'utf8').replace(/no [789]/g, (m) => `no ${Number(m.slice(3)) - 6}`);
    writeFileSync(join(dir, 'b.failures'), b);
    const before = readFileSync(join(dir, 'a.out'), 'utf8');
    const r = await cli(['retry', tasks, '--failed-items', 'b.failures', '--output', 'a.out'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/b\.failures does not belong to a\.out: it was written by run [0-9a-f]{16}, the output by run [0-9a-f]{16}/);
    expect(readFileSync(join(dir, 'a.out'), 'utf8')).toBe(before);
    // (control) its own failures file is accepted and merged
    const own = await cli(['retry', tasks, '--failed-items', 'a.failures', '--output', 'a.out'], { cwd: dir });
    expect(own.code).toBe(0);
    expect((readJsonLines(join(dir, 'a.out')) as Array<{ ok: boolean }>).every((l) => l.ok)).toBe(true);
    expect(readFileSync(join(dir, 'a.failures'), 'utf8')).toBe('');
  });
});
