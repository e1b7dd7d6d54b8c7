// Checkpoints end to end: kill -9 at several points and resume, Ctrl-C and resume, the lock, changed inputs.
// Items with n >= GATE_AT wait for a gate file (see fixtures/cli/work.mjs), so a run cannot finish before the
// test has killed it; the kill point is "the journal has K records, or an item waits at the gate" (whichever comes
// first: a chunk holding items on both sides of the gate keeps the journal below K for good), observed by polling.
import { appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, cli, lineCount, start, tempDir, waitForLines, workModule, writeItems } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

const ITEMS = 3000;
const GATE_AT = 2400;

let dir: string;
let clean: Buffer;
let gate: string;
const gated = (): Record<string, string> => ({ BT_TEST_GATE: gate, BT_TEST_GATE_AT: String(GATE_AT) });
const runArgs = (output: string, checkpoint: string): string[] =>
  ['run', workModule, '--input', 'in.jsonl', '--output', output, '--failures', `${output}.failures`, '--checkpoint', checkpoint];

beforeAll(async () => {
  dir = tempDir();
  gate = join(dir, 'gate-open');
  writeItems(join(dir, 'in.jsonl'), ITEMS);
  // One bad line, so that journaled failures are resumed too.
  const lines = readFileSync(join(dir, 'in.jsonl'), 'utf8').split('\n');
  lines[10] = '{"n":10,';
  writeFileSync(join(dir, 'in.jsonl'), lines.join('\n'));
  const r = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'clean.jsonl', '--failures', 'clean.jsonl.failures'], { cwd: dir });
  expect(r.code).toBe(1);
  clean = readFileSync(join(dir, 'clean.jsonl'));
});

describe('a run killed with SIGKILL, then resumed', () => {
  it.each([1, 600, 1500])('gives the same output as a clean run (killed at %i journaled records, or at the gate)', async (records) => {
    const name = `killed-${records}`;
    const ckpt = join(dir, `${name}.ckpt`);
    const running = start(runArgs(`${name}.jsonl`, ckpt), { cwd: dir, env: gated() });
    await waitForLines(join(ckpt, 'journal.jsonl'), records, running, gate);
    running.child.kill('SIGKILL');
    expect((await running.ended).signal).toBe('SIGKILL');
    // The killed run left its lock; a torn last record is tolerated.
    const lock = JSON.parse(readFileSync(join(ckpt, 'lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(running.child.pid);
    appendFileSync(join(ckpt, 'journal.jsonl'), '{"index":2999,"line":3000,"ok":tr');

    writeFileSync(gate, '');
    const r = await cli(['resume', ckpt], { cwd: dir, env: gated() });
    expect(r.stderr).toContain(`taking over the lock of pid ${lock.pid}, which is no longer running`);
    expect(r.stderr).toMatch(/resumed {4}[\d,]+ from the checkpoint, [\d,]+ run now/);
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, `${name}.jsonl`)).equals(clean)).toBe(true);
    expect(readFileSync(join(dir, `${name}.jsonl.failures`), 'utf8')).toBe(readFileSync(join(dir, 'clean.jsonl.failures'), 'utf8'));
    // The finished run removed its checkpoint, and the killed run's temporary output file is gone.
    expect(existsSync(ckpt)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith(`.${name}`))).toEqual([]);
  });
});

describe('Ctrl-C', () => {
  it('stops, keeps the checkpoint, says how to resume (exit 130); resume refuses changed files unless --force', async () => {
    const sub = tempDir();
    copyFileSync(join(dir, 'in.jsonl'), join(sub, 'in.jsonl'));
    const module = join(sub, 'task.mjs');
    copyFileSync(workModule, module);
    const subGate = join(sub, 'gate-open');
    const env = { BT_TEST_GATE: subGate, BT_TEST_GATE_AT: String(GATE_AT) };
    const running = start(['run', module, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', 'ckpt'], { cwd: sub, env });
    await waitForLines(join(sub, 'ckpt', 'journal.jsonl'), 800, running, subGate);
    running.child.kill('SIGINT');
    const ended = await running.ended;
    expect(ended.code).toBe(130);
    expect(ended.stderr).toMatch(/batchtools: interrupted after [\d,]+ of 3,000 items; their results are saved in ckpt\n {2}resume with: batchtools resume ckpt\n/);
    expect(readdirSync(join(sub, 'ckpt')).sort()).toEqual(['journal.jsonl', 'manifest.json']);
    expect(readdirSync(sub).filter((f) => f !== 'gate-open.waiting').sort()).toEqual(['ckpt', 'in.jsonl', 'task.mjs']);
    writeFileSync(subGate, '');

    // A changed input is refused...
    const original = readFileSync(join(sub, 'in.jsonl'));
    appendFileSync(join(sub, 'in.jsonl'), '{"n":3000}\n');
    const changed = await cli(['resume', 'ckpt'], { cwd: sub, env });
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/^batchtools: refusing to resume ckpt: the input file .*in\.jsonl changed since the checkpoint was made \(\d+ -> \d+ bytes, sha256 differs\)\n {2}.*--force/);
    writeFileSync(join(sub, 'in.jsonl'), original);
    // ... and so is a changed task module, unless --force.
    appendFileSync(module, '\n// edited\n');
    const edited = await cli(['resume', 'ckpt'], { cwd: sub, env });
    expect(edited.code).toBe(2);
    expect(edited.stderr).toContain('the task module');
    const forced = await cli(['resume', 'ckpt', '--force'], { cwd: sub, env });
    expect(forced.stderr).toContain('resuming anyway (--force)');
    expect(forced.code).toBe(1);
    expect(readFileSync(join(sub, 'out.jsonl')).equals(clean)).toBe(true);
  });
});

/** Resolve once `path` exists; reject if the process ends first. */
async function waitForFile(path: string, running: { ended: Promise<unknown> }): Promise<void> {
  let exited = false;
  void running.ended.then(() => (exited = true));
  while (!existsSync(path)) {
    if (exited) throw new Error(`the process ended before ${path} appeared`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a second Ctrl-C, and SIGTERM', () => {
  it('a second Ctrl-C quits at once, without waiting for the chunks in flight; resume still completes', async () => {
    const sub = tempDir();
    copyFileSync(join(dir, 'in.jsonl'), join(sub, 'in.jsonl'));
    const subGate = join(sub, 'gate-open');
    const env = { BT_TEST_GATE: subGate, BT_TEST_GATE_AT: String(GATE_AT) };
    const args = ['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--failures', 'out.jsonl.failures', '--checkpoint', 'ckpt'];
    const running = start(args, { cwd: sub, env });
    // Once an item waits at the gate, its chunk cannot finish: the first Ctrl-C would wait out its grace period and
    // then report the saved results; a second one quits at once.
    await waitForFile(`${subGate}.waiting`, running);
    let exited = false;
    const ended = running.ended.then((e) => {
      exited = true;
      return e;
    });
    // Signals sent back to back can merge into one, so keep pressing Ctrl-C until the process is gone.
    while (!exited) {
      running.child.kill('SIGINT');
      await Promise.race([ended, new Promise((r) => setTimeout(r, 50))]);
    }
    const { code, stderr } = await ended;
    expect(code).toBe(130);
    expect(stderr).not.toContain('their results are saved');
    expect(existsSync(join(sub, 'ckpt', 'lock'))).toBe(false);
    writeFileSync(subGate, '');
    const r = await cli(['resume', 'ckpt'], { cwd: sub, env });
    expect(r.code).toBe(1);
    expect(readFileSync(join(sub, 'out.jsonl')).equals(clean)).toBe(true);
  });

  it('SIGTERM stops like Ctrl-C: exit 143 (128 + SIGTERM) with the checkpoint kept', async () => {
    const sub = tempDir();
    copyFileSync(join(dir, 'in.jsonl'), join(sub, 'in.jsonl'));
    const subGate = join(sub, 'gate-open');
    const env = { BT_TEST_GATE: subGate, BT_TEST_GATE_AT: String(GATE_AT) };
    const running = start(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', 'ckpt'], { cwd: sub, env });
    await waitForLines(join(sub, 'ckpt', 'journal.jsonl'), 800, running, subGate);
    running.child.kill('SIGTERM');
    const ended = await running.ended;
    expect(ended.code).toBe(143);
    expect(ended.stderr).toContain('resume with: batchtools resume ckpt');
  });
});

describe('the checkpoint lock', () => {
  it('refuses a second run while the owner lives, naming its pid; another run\'s checkpoint is refused too', async () => {
    const sub = tempDir();
    writeItems(join(sub, 'in.jsonl'), 3);
    const running = start(['run', workModule, '--input', 'in.jsonl', '--output', 'a.jsonl', '--checkpoint', 'ckpt'], {
      cwd: sub,
      env: { BT_TEST_GATE: join(sub, 'never'), BT_TEST_GATE_AT: '0' },
    });
    try {
      // The manifest is written (atomically) once the run owns the directory.
      await waitForLines(join(sub, 'ckpt', 'manifest.json'), 1, running);
      const second = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'b.jsonl', '--checkpoint', 'ckpt'], { cwd: sub });
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`batchtools: checkpoint ckpt is in use by another batchtools run, pid ${running.child.pid} `);
      const resumed = await cli(['resume', 'ckpt'], { cwd: sub });
      expect(resumed.code).toBe(2);
      expect(resumed.stderr).toContain(`pid ${running.child.pid}`);
    } finally {
      running.child.kill('SIGKILL');
      await running.ended;
    }
    expect(existsSync(join(sub, 'b.jsonl'))).toBe(false);

    // The owner is gone: `run` on its directory is refused (another run's checkpoint), `resume` would take over.
    const again = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'b.jsonl', '--checkpoint', 'ckpt'], { cwd: sub });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/batchtools: --checkpoint: ckpt already holds the checkpoint of another run \(.*\)\n {2}continue it with `batchtools resume ckpt`/);
  });

  it('takes over a lock whose process is gone (and refuses a live one written by hand)', async () => {
    const sub = tempDir();
    writeItems(join(sub, 'in.jsonl'), 20);
    const running = start(['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', 'ckpt'], {
      cwd: sub,
      env: { BT_TEST_GATE: join(sub, 'gate'), BT_TEST_GATE_AT: '10' },
    });
    await waitForLines(join(sub, 'ckpt', 'journal.jsonl'), 1, running);
    running.child.kill('SIGKILL');
    await running.ended;
    const lock = join(sub, 'ckpt', 'lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: 'then' }));
    const refused = await cli(['resume', 'ckpt'], { cwd: sub });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`in use by another batchtools run, pid ${process.pid} (since then)`);
    writeFileSync(lock, JSON.stringify({ pid: running.child.pid, hostname: hostname(), startedAt: 'then' }));
    writeFileSync(join(sub, 'gate'), '');
    const taken = await cli(['resume', 'ckpt', '--quiet'], { cwd: sub, env: { BT_TEST_GATE: join(sub, 'gate'), BT_TEST_GATE_AT: '10' } });
    expect(taken.code).toBe(0);
    expect(lineCount(join(sub, 'out.jsonl'))).toBe(20);
  });
});
