import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCommand } from '../src/cli/bench-command.ts';
import { readDocument } from '../src/suites/document.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'bt-suites-cli-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `batchtools bench …` from the sources, through a test program that registers the bench command. */
function bench(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/suites/cli.ts', 'bench', ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 100_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const WORK = 'test/fixtures/suites/work.bench.mjs';

describe('batchtools bench', () => {
  it('saves a baseline, exits 1 on a significant regression beyond the threshold, 0 on an improvement', async () => {
    const fast = join(dir, 'fast.json');
    const slow = join(dir, 'slow.json');
    const markdown = join(dir, 'compare.md');

    const first = await bench([WORK, '--runs', '4', '--json', fast, '--quiet'], { BT_SUITE_WORK_US: '20' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/✓ test\/fixtures\/suites\/work\.bench\.mjs \(work\): 1 task/);
    expect((await readDocument(fast)).suites[0]!.tasks[0]!.name).toBe('busy wait');

    // 50 times the work per call: a regression no scheduling noise can hide.
    const slower = await bench([WORK, '--runs', '4', '--baseline', fast, '--json', slow, '--markdown', markdown], { BT_SUITE_WORK_US: '1000' });
    expect(slower.code, slower.stdout + slower.stderr).toBe(1);
    expect(slower.stdout).toMatch(/compared with .*fast\.json: fastest 1% of each run, near-best of 4 vs 4 runs, permutation test, 95% confidence; fails when significantly slower by more than 10%/);
    expect(slower.stdout).toMatch(/busy wait .*\+\d+(\.\d)?% +\[\+\d+(\.\d)?%, \+\d+(\.\d)?%\] +(<0\.001|0\.0\d+) +REGRESSION/);
    expect(slower.stderr).toMatch(/batchtools: 1 significant regression beyond 10%/);
    expect(slower.stderr).toMatch(/\[1\/1\] test\/fixtures\/suites\/work\.bench\.mjs run 4\/4/); // progress (not a TTY: a line per suite)
    const md = await readFile(markdown, 'utf8');
    expect(md).toContain('| suite | task | baseline | current | change | 95% CI | p | verdict |');
    expect(md).toMatch(/\| test\/fixtures\/suites\/work\.bench\.mjs \| busy wait \| .* \| 🔴 REGRESSION \|/);

    const faster = await bench([WORK, '--runs', '4', '--baseline', slow, '--quiet'], { BT_SUITE_WORK_US: '20' });
    expect(faster.code, faster.stdout + faster.stderr).toBe(0);
    expect(faster.stdout).toMatch(/busy wait .*-\d+(\.\d)?% .* faster/);
    expect(faster.stdout).toContain('1 task compared, 0 slower (0 beyond the 10% threshold), 1 faster');
  }, 120_000); // three commands of four isolated runs each (the fewest a rank test can call significant)


  it('exits 1 when a suite crashes its worker, after running the others', async () => {
    const run = await bench(['test/fixtures/suites/exits.bench.mjs', 'test/fixtures/suites/fast.bench.mjs', '--runs', '1', '--quiet']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✖ test\/fixtures\/suites\/exits\.bench\.mjs: failed \(crash\)/);
    expect(run.stdout).toMatch(/exit code 7/);
    expect(run.stdout).toMatch(/✓ test\/fixtures\/suites\/fast\.bench\.mjs \(fast\): 2 tasks/);
    expect(run.stderr).toMatch(/batchtools: 1 suite failed/);
  });

  it('exits 2 on usage errors: no file matched, an invalid baseline, a bad option', async () => {
    const [noFiles, badBaseline, badOption] = await Promise.all([
      bench(['test/fixtures/suites/nothing-*.bench.ts']),
      bench(['test/fixtures/suites/fast.bench.mjs', '--baseline', 'package.json']),
      bench(['test/fixtures/suites/fast.bench.mjs', '--parallel', '0']),
    ]);
    expect(noFiles.code).toBe(2);
    expect(noFiles.stderr).toMatch(/batchtools: no suite files match "test\/fixtures\/suites\/nothing-\*\.bench\.ts"/);
    expect(badBaseline.code).toBe(2);
    expect(badBaseline.stderr).toMatch(/batchtools: package\.json is not a batchtools bench result/);
    expect(badBaseline.stdout).toBe(''); // refused before running anything
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/--parallel must be a positive integer, got "0"/);
  });

  it('shows progress on a terminal as one rewritten line, cleared before each table (in process)', async () => {
    const written = { stdout: '', stderr: '' };
    const sink = (key: 'stdout' | 'stderr') =>
      Object.assign(Object.create(null) as NodeJS.WritableStream, {
        write: (text: string) => {
          written[key] += text;
          return true;
        },
      });
    const io = { stdout: sink('stdout'), stderr: Object.assign(sink('stderr'), { isTTY: true }) };
    const code = await runBenchCommand([join(root, 'test/fixtures/suites/fast.bench.mjs')], {}, io);
    expect(code).toBe(0);
    expect(written.stderr).toContain('\r\x1b[K[1/1] ');
    expect(written.stderr).toMatch(/fast\.bench\.mjs › sum 100 \(1\/2\)\r\x1b\[K.*fast\.bench\.mjs › join \(2\/2\)/);
    expect(written.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(written.stdout).toMatch(/task +ops\/s +mean +p50 +p99 +±rme +samples\n {2}sum 100 /);
  });

  it('runs the dispatch-overhead suite: batchtools 1-item chunk vs a raw postMessage round trip', async () => {
    const run = await bench(['bench/suites/*.bench.ts', '--runs', '1', '--quiet']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✓ bench\/suites\/dispatch-overhead\.bench\.ts \(dispatch overhead\)/);
    expect(run.stdout).toMatch(/batchtools map\(\[x\]\) on 1 thread \(1-item chunk\) +[\d,]+ /);
    expect(run.stdout).toMatch(/raw worker_threads postMessage round trip +[\d,]+ /);
  });
});
