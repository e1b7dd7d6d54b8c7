// A differential fuzz of `batchtools run`: seeded JSON Lines inputs that mix ordinary records with every line the
// reader treats apart (blank, white space only, CRLF, a byte order mark, text outside ASCII, invalid JSON, invalid
// UTF-8, numbers JSON.parse would round, no final newline) and items that tell the task how to end (a result, a
// throw, a rejection, a result with no JSON form…). The byte path (`run`) and the item path (`run --retries 1`,
// which parses each line on the main thread and hands items to the library one by one) must write the same output
// and failures files, byte for byte (so must a run with a checkpoint, one from standard input to standard output,
// and the task as a one-stage pipeline), and the output must hold one line per item, in input order.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzInput, JUDGE } from '../fixtures/cli/fuzz-input.ts';
import { cleanUp, cli, start, tempDir, waitForLines } from '../fixtures/cli/spawn.ts';

afterAll(cleanUp);

const judge = JUDGE;

describe('batchtools run: results with no JSON form', () => {
  it('a bare function or symbol fails its item on both paths (never written as null); undefined is written as null', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), '{"fn":1}\n{"sym":1}\n{"undef":1}\n{"a":1}\n');
    const codes: Record<string, Array<string | null>> = {};
    for (const [name, extra] of [['bytes', []], ['items', ['--retries', '1']]] as const) {
      const r = await cli(['run', judge, '--export', 'judge', '--input', 'in.jsonl', '--output', '-', ...extra], { cwd: dir });
      expect(r.code).toBe(1);
      const records = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { ok: boolean; value?: unknown; error?: { code: string } });
      codes[name] = records.map((x) => (x.ok ? JSON.stringify(x.value) : x.error!.code));
    }
    // The byte path writes JSON in the worker; the item path first clones the result back to the main thread.
    expect(codes['bytes']).toEqual(['BT_RESULT_NOT_JSON', 'BT_RESULT_NOT_JSON', 'null', '{"a":1}']);
    expect(codes['items']).toEqual(['BT_DATA_CLONE', 'BT_DATA_CLONE', 'null', '{"a":1}']);
  });
});

describe('batchtools run: byte path against item path, on generated inputs', () => {
  const cases = [
    { seed: 1, n: 3000, odd: 0.3, threads: 2 },
    { seed: 2, n: 6000, odd: 0.05, threads: 2 },
    { seed: 3, n: 1500, odd: 0.6, threads: 1 },
  ];
  for (const c of cases) {
    it(`seed ${c.seed}: ${c.n} lines, ${c.odd * 100} % odd, ${c.threads} thread(s)`, async () => {
      const dir = tempDir();
      const file = join(dir, 'in.jsonl');
      const bytes = fuzzInput(c.seed, c.n, c.odd);
      writeFileSync(file, bytes);
      const runs = [];
      const variants = [
        ['bytes', []],
        ['items', ['--retries', '1']],
        ['journaled', ['--checkpoint', join(dir, 'ckpt')]],
        ['piped', []],
        ['staged', ['--stage', `${judge}#judge`]],
        ['staged-items', ['--stage', `${judge}#judge`, '--retries', '1']],
      ] as const;
      for (const [name, extra] of variants) {
        const piped = name === 'piped';
        const out = join(dir, `${name}.jsonl`);
        const failures = join(dir, `${name}-failures.jsonl`);
        const io = piped ? ['--input', '-', '--output', '-'] : ['--input', file, '--output', out];
        const task = name.startsWith('staged') ? [] : [judge, '--export', 'judge'];
        const args = ['run', ...task, ...io, '--failures', failures, '--threads', String(c.threads), '--quiet', ...extra];
        const r = await cli(args, piped ? { cwd: dir, stdin: bytes } : { cwd: dir });
        expect(r.stderr).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
        runs.push({ code: r.code, out: piped ? r.stdout : readFileSync(out, 'utf8'), failures: readFileSync(failures, 'utf8') });
      }
      const [a, b, journaled, piped, staged, stagedItems] = runs;
      // Failure records name the run (by the input's name and fingerprint and the task's).
      const unnamed = (text: string): string => text.replace(/"run":"[0-9a-f]+"/g, '"run":"-"');
      expect(a!.code).toBe(1); // every case has failed items
      expect(b!.code).toBe(a!.code);
      // A checkpointed run (its results journaled as they come) writes the same files.
      expect(journaled!.code).toBe(a!.code);
      expect(journaled!.out).toBe(a!.out);
      expect(journaled!.failures).toBe(a!.failures);
      // So does a run from standard input to standard output (the input read in a pipe's pieces; the run's id
      // differs, as it comes from the input's name and fingerprint).
      expect(piped!.code).toBe(a!.code);
      expect(unnamed(piped!.out)).toBe(unnamed(a!.out));
      expect(unnamed(piped!.failures)).toBe(unnamed(a!.failures));
      // A function result has no JSON form on the byte path, and cannot cross threads on the item path (above).
      const same = (text: string): string => unnamed(text).replace(/"code":"BT_DATA_CLONE","name":"ItemError","message":"item \d+: its result cannot be sent back to the main thread: \(\) => 1 could not be cloned\."/g, '"code":"BT_RESULT_NOT_JSON","name":"TypeError","message":"the result cannot be written as JSON (a BigInt, a cycle, a function or a symbol?)"');
      expect(unnamed(a!.out)).toBe(same(b!.out));
      expect(unnamed(a!.failures)).toBe(same(b!.failures));
      // The same task as a one-stage pipeline (`--stage`), on either path: its failures also name the stage.
      // (A result that cannot cross threads is the stage's failure too: a StageError that names the stage.)
      const unstaged = (text: string): string =>
        text
          .replace(/,"stage":0,"stageName":"judge"/g, '')
          .replace(/"name":"StageError","message":"item (\d+) failed in stage 0 \(judge\): /g, '"name":"ItemError","message":"item $1: ');
      for (const run of [staged!, stagedItems!]) {
        expect(run.code).toBe(a!.code);
        if (a!.out.includes('BT_TASK_FAILED')) expect(run.out).toContain('"stage":0,"stageName":"judge"');
      }
      expect(unstaged(staged!.out)).toBe(a!.out);
      expect(unstaged(staged!.failures)).toBe(a!.failures);
      expect(unstaged(stagedItems!.out)).toBe(b!.out);
      expect(unstaged(stagedItems!.failures)).toBe(b!.failures);
      // One output line per item, in input order, each on its own input line; as many items as non-blank lines.
      const records = a!.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { index: number; line: number; ok: boolean });
      const text = new TextDecoder().decode(bytes).replace(/^\ufeff/, '');
      const items = text.split('\n').map((l, k) => [l, k + 1] as const).filter(([l]) => l.replace(/\r$/, '').trim() !== '');
      expect(records.map((x) => x.index)).toEqual(items.map((_, k) => k));
      expect(records.map((x) => x.line)).toEqual(items.map(([, line]) => line));
      const failed = records.filter((x) => !x.ok).length;
      expect(a!.failures.trimEnd().split('\n').length).toBe(failed);
      expect(failed).toBeGreaterThan(0);
      expect(records.length - failed).toBeGreaterThan(0);
    }, 60_000);
  }
});

describe('batchtools run: killed with -9 mid-run, then resumed, on generated inputs', () => {
  for (const seed of [21, 22]) {
    it(`seed ${seed}: the resumed output is a clean run's, byte for byte`, async () => {
      const dir = tempDir();
      // A generated input with an item that holds its worker at a gate in the middle: the run cannot end before
      // the kill, whatever the machine's speed.
      const head = fuzzInput(seed, 2500, 0.3);
      const tail = fuzzInput(seed + 1000, 2500, 0.3);
      const joined = Buffer.concat([head, head.at(-1) === 10 ? Buffer.alloc(0) : Buffer.from('\n'), Buffer.from('{"hold":1}\n'), tail]);
      writeFileSync(join(dir, 'in.jsonl'), joined);
      const gate = join(dir, 'gate-open');
      const args = (out: string, more: string[]): string[] => ['run', judge, '--export', 'judge', '--input', 'in.jsonl', '--output', out, '--failures', `${out}.failures`, '--quiet', ...more];
      const running = start(args('out.jsonl', ['--checkpoint', 'ckpt']), { cwd: dir, env: { BT_TEST_GATE: gate } });
      await waitForLines(join(dir, 'ckpt', 'journal.jsonl'), 1, running);
      await waitForLines(join(dir, 'ckpt', 'journal.jsonl'), Number.POSITIVE_INFINITY, running, gate);
      running.child.kill('SIGKILL');
      expect((await running.ended).signal).toBe('SIGKILL');
      writeFileSync(gate, '');
      const resumed = await cli(['resume', 'ckpt'], { cwd: dir, env: { BT_TEST_GATE: gate } });
      expect(resumed.stderr).not.toMatch(/at .*\.(js|ts):\d+/);
      const clean = await cli(args('clean.jsonl', []), { cwd: dir });
      expect(resumed.code).toBe(clean.code);
      expect(readFileSync(join(dir, 'out.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'clean.jsonl'), 'utf8'));
      expect(readFileSync(join(dir, 'out.jsonl.failures'), 'utf8')).toBe(readFileSync(join(dir, 'clean.jsonl.failures'), 'utf8'));
    }, 60_000);
  }
});
