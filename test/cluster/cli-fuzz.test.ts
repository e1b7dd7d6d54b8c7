// The command line's differential fuzz on a cluster (see test/reliability/cli-fuzz.test.ts): the same generated
// JSON Lines, run by worker processes through a real redis-server, must give the output and failures files of a
// run on this machine on its item path (`--retries 1`: items parsed on the main thread and results sent back, as a
// cluster does), byte for byte but for the run's id.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzInput, JUDGE } from '../fixtures/cli/fuzz-input.ts';
import { cleanUp, cli, tempDir } from '../fixtures/cli/spawn.ts';
import { redisUrl, useWorkers } from './helpers.ts';

afterAll(cleanUp);

describe('batchtools run --connection on generated inputs', () => {
  const cluster = useWorkers(2);

  it('writes what a local run on the item path writes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.jsonl'), fuzzInput(11, 2500, 0.3));
    const runs = [];
    for (const [name, extra] of [['local', ['--retries', '1']], ['cluster', ['--connection', redisUrl(), '--queue', cluster.queue]]] as const) {
      const r = await cli(['run', JUDGE, '--export', 'judge', '--input', 'in.jsonl', '--output', `${name}.jsonl`, '--failures', `${name}-failures.jsonl`, '--quiet', ...extra], { cwd: dir });
      expect(r.stderr).not.toMatch(/at .*\.(js|ts):\d+/);
      runs.push({ code: r.code, out: readFileSync(join(dir, `${name}.jsonl`), 'utf8'), failures: readFileSync(join(dir, `${name}-failures.jsonl`), 'utf8') });
    }
    const [local, remote] = runs;
    const unnamed = (text: string): string => text.replace(/"run":"[0-9a-f]+"/g, '"run":"-"');
    expect(local!.code).toBe(1);
    expect(remote!.code).toBe(local!.code);
    expect(unnamed(remote!.out)).toBe(unnamed(local!.out));
    expect(unnamed(remote!.failures)).toBe(unnamed(local!.failures));
  }, 120_000);
});
