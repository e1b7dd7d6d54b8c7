// Whole CLI runs (in this process, so the file layer can be replaced) with a fault injected at every call of the
// durable writers in turn — output, failures file, checkpoint manifest and journal: a run that reports success
// (exit 0 or 1) has complete files; a run that fails leaves no output, no failures file, no temporary file and no
// lock, and its checkpoint (if kept) resumes to the clean output.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useFileSystem } from '../../src/base/atomic-file.ts';
import { main } from '../../src/cli/main.ts';
import { cleanUp, tempDir, workModule, writeItems } from '../fixtures/cli/spawn.ts';
import { faultyFs, type Fault } from './fault-fs.ts';

afterAll(cleanUp);

async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { value: await fn(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('a run with a file-system fault at every call in turn', () => {
  const dir = tempDir();
  const input = join(dir, 'in.jsonl');
  writeItems(input, 300);
  const list = join(dir, 'fail-list');
  writeFileSync(list, '3 170 299');
  process.env['BT_TEST_FAIL_LIST'] = list;
  const argv = (name: string): string[] => [
    'run', workModule, '--export', 'listed', '--input', input, '--output', join(dir, `${name}.jsonl`),
    '--failures', join(dir, `${name}.failures`), '--checkpoint', join(dir, `${name}.ckpt`), '--threads', '1', '--quiet',
  ];

  for (const fault of ['fail', 'short'] as Fault[]) {
    it(`${fault}: success only with complete files; otherwise nothing half-written and a checkpoint that resumes`, { timeout: 240_000 }, async () => {
      const counting = faultyFs(0, 'fail');
      let restore = useFileSystem(counting);
      const clean = await quietly(() => main(argv(`clean-${fault}`))).finally(restore);
      expect(clean.value).toBe(1);
      const cleanOut = readFileSync(join(dir, `clean-${fault}.jsonl`), 'utf8');
      const cleanFailures = readFileSync(join(dir, `clean-${fault}.failures`), 'utf8');
      expect(cleanOut.split('\n')).toHaveLength(301);
      const total = counting.calls;
      expect(total).toBeGreaterThan(8);
      const outcomes = { succeeded: 0, failedCleanly: 0, resumed: 0 };
      // A short write only differs from a failure for writes. The number of calls varies a little from run to
      // run (journal bursts), so the enumeration goes on until a run ends before the chosen call.
      let injected = 0;
      for (let at = 1; at < 4 * total; at++) {
        const name = `${fault}-${at}`;
        const fs = faultyFs(at, fault, fault === 'short' ? 'writeSync' : undefined);
        restore = useFileSystem(fs);
        const run = await quietly(() => main(argv(name))).finally(restore);
        const out = join(dir, `${name}.jsonl`);
        const failures = join(dir, `${name}.failures`);
        const ckpt = join(dir, `${name}.ckpt`);
        if (!fs.injected) break;
        injected++;
        const context = `${fault} at call ${at} (${fs.faulted}): exit ${run.value}\n${run.stderr}`;
        if (run.value === 0 || run.value === 1) {
          outcomes.succeeded++;
          expect(readFileSync(out, 'utf8'), context).toBe(cleanOut);
          expect(readFileSync(failures, 'utf8'), context).toBe(cleanFailures);
        } else {
          outcomes.failedCleanly++;
          expect(run.value, context).toBe(3); // disk full / I/O error
          expect(run.stderr, context).not.toMatch(/\n\s+at /); // no stack trace
          expect(existsSync(join(ckpt, 'lock')), context).toBe(false);
          if (existsSync(out)) {
            // Only a fault after the output's rename (directory fsync) leaves an output: then it is complete.
            expect(readFileSync(out, 'utf8'), context).toBe(cleanOut);
          }
          if (existsSync(join(ckpt, 'manifest.json'))) {
            const resumed = await quietly(() => main(['resume', ckpt, '--quiet']));
            expect(resumed.value, `${context}\nresume: ${resumed.stderr}`).toBe(1);
            expect(readFileSync(out, 'utf8'), context).toBe(cleanOut);
            expect(readFileSync(failures, 'utf8'), context).toBe(cleanFailures);
            outcomes.resumed++;
          }
        }
        if (fs.faulted !== 'unlinkSync') expect(readdirSync(dir).filter((n) => n.endsWith('.tmp')), context).toEqual([]);
      }
      if (fault === 'fail') expect(outcomes.failedCleanly).toBeGreaterThan(0);
      expect(injected).toBeGreaterThan(fault === 'fail' ? total / 2 : 3);
      expect(outcomes.succeeded + outcomes.failedCleanly).toBe(injected);
      if (fault === 'short') expect(outcomes.succeeded).toBe(injected);
    });
  }
});
