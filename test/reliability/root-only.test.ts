// Breaks that need another user or a small file system: checkpoint folders and files planted by another user,
// symlinks placed inside a checkpoint, a full disk (tmpfs). They run as root only (CI runs as root); otherwise they
// are skipped with the reason in their name.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, cli, root, tempDir, writeItems } from '../fixtures/cli/spawn.ts';

const isRoot = process.getuid?.() === 0;
const why = isRoot ? '' : ' (SKIPPED: needs root to chown files and mount a tmpfs)';
const NOBODY = 65534;
const tasks = join(root, 'test/reliability/fixtures/tasks.mjs');
const mounts: string[] = [];

afterAll(() => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // already gone
    }
  }
  cleanUp();
});

const sha = (path: string): { size: number; sha256: string } => {
  const bytes = readFileSync(path);
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
};

/** A checkpoint folder as an interrupted run leaves it (manifest, no journal yet). */
function plantCheckpoint(dir: string): string {
  writeItems(join(dir, 'in.jsonl'), 5);
  const ck = join(dir, 'ck');
  mkdirSync(ck, { mode: 0o700 });
  const settings = { module: tasks, exportName: 'default', input: join(dir, 'in.jsonl'), inputDisplay: 'in.jsonl', output: join(dir, 'out.jsonl'), strict: false };
  const manifest = { format: 'batchtools-checkpoint', version: 1, createdAt: 'then', settings, input: { ...sha(settings.input), items: 5 }, module: sha(tasks), ownsDir: true };
  writeFileSync(join(ck, 'manifest.json'), JSON.stringify(manifest), { mode: 0o600 });
  return ck;
}

describe.skipIf(!isRoot)(`a checkpoint folder is yours alone${why}`, () => {
  it('(control) a planted checkpoint of your own resumes', async () => {
    const dir = tempDir();
    const ck = plantCheckpoint(dir);
    const r = await cli(['resume', ck, '--quiet'], { cwd: dir });
    expect(r.stderr).toContain('5 items');
    expect(r.code).toBe(0);
  });

  it("refuses a folder that belongs to another user (run), and another user's manifest (resume)", async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 5);
    mkdirSync(join(dir, 'theirs'), { mode: 0o700 });
    chownSync(join(dir, 'theirs'), NOBODY, NOBODY);
    const run = await cli(['run', tasks, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', 'theirs'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('refusing to use theirs as a checkpoint: it belongs to another user');
    const ck = plantCheckpoint(dir);
    chownSync(join(ck, 'manifest.json'), NOBODY, NOBODY);
    const resume = await cli(['resume', ck], { cwd: dir });
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/refusing to use the checkpoint manifest .*manifest\.json: it belongs to another user/);
    expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
  });

  it('refuses a folder other users can write to', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 5);
    mkdirSync(join(dir, 'open'));
    chmodSync(join(dir, 'open'), 0o777);
    const r = await cli(['run', tasks, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', 'open'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('other users can write to it (mode 777)');
  });

  it('never follows a symlink placed at journal.jsonl (its target is untouched)', async () => {
    const dir = tempDir();
    const ck = plantCheckpoint(dir);
    writeFileSync(join(dir, 'victim'), 'precious\n');
    symlinkSync(join(dir, 'victim'), join(ck, 'journal.jsonl'));
    const r = await cli(['resume', ck], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('it is a symbolic link');
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('precious\n');
  });
});

/** A tmpfs of `kb` KiB, mounted on a new folder. */
function tmpfs(kb: number): string {
  const dir = tempDir();
  const mnt = join(dir, 'small');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', mnt]);
  mounts.push(mnt);
  return mnt;
}

/** Fill a file system up to `leaveBytes` free. */
function fill(mnt: string, leaveBytes: number): void {
  const free = Number(execFileSync('df', ['-B1', '--output=avail', mnt]).toString().split('\n')[1]);
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(Math.max(0, free - leaveBytes)));
}

describe.skipIf(!isRoot)(`a full disk${why}`, () => {
  it('the output is never committed short: exit 3, no output, no temporary file', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 5000);
    const mnt = tmpfs(1024);
    fill(mnt, 100 * 1024); // the output is ~300 KB
    const r = await cli(['run', tasks, '--input', join(dir, 'in.jsonl'), '--output', join(mnt, 'out.jsonl')], { cwd: dir });
    expect(r.stderr).toContain('ENOSPC');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(3);
    expect(readdirSync(mnt)).toEqual(['filler']);
  });

  it('a checkpoint on a full disk: clean error (exit 3), no lock or temporary file left; resume finishes once there is space', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 5000);
    const mnt = tmpfs(1024);
    fill(mnt, 120 * 1024);
    const ck = join(mnt, 'ck');
    const r = await cli(['run', tasks, '--input', join(dir, 'in.jsonl'), '--output', join(dir, 'out.jsonl'), '--checkpoint', ck], { cwd: dir });
    expect(r.stderr).toContain('ENOSPC');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(3);
    expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    if (existsSync(ck)) {
      expect(readdirSync(ck).filter((n) => n === 'lock' || n.endsWith('.tmp') || n.includes('.new.'))).toEqual([]);
      execFileSync('rm', [join(mnt, 'filler')]);
      const resumed = await cli(['resume', ck, '--quiet'], { cwd: dir });
      expect(resumed.code).toBe(0);
      expect(readFileSync(join(dir, 'out.jsonl'), 'utf8').split('\n')).toHaveLength(5001);
    }
  });
});
