// Dedicated workers never hang or leak: a module that never finishes loading (spawn's timeout, close() during
// the load), a worker that exits while loading (its exit code is named), an argument that cannot be cloned (the
// call fails at once and nothing stays referenced).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/index.ts';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', name);

describe('dedicated workers while loading', () => {
  it('spawn honours its timeout for a module that never finishes loading', async () => {
    await using rt = createRuntime({ threads: 1 });
    await expect(rt.spawn(fixture('never-loads.mjs'), { timeout: 300 })).rejects.toMatchObject({
      code: 'BT_TASK_LOAD',
      message: expect.stringContaining('did not finish loading within 5000 ms'),
    });
  });

  it('close() stops a worker that is still loading; the pending spawn rejects', async () => {
    const rt = createRuntime({ threads: 1 });
    const spawning = rt.spawn(fixture('never-loads.mjs'));
    const settled = spawning.then(
      () => 'resolved',
      (error: { message: string }) => error.message,
    );
    await new Promise((r) => setImmediate(r));
    await rt.close();
    expect(await settled).toContain('closed while the worker was loading');
  });

  it('a worker that exits while loading reports its exit code', async () => {
    await using rt = createRuntime({ threads: 1 });
    await expect(rt.spawn(fixture('exits-loading.mjs'))).rejects.toMatchObject({ message: expect.stringContaining('exited with code 7 while loading') });
  });
});

describe('calls', () => {
  it('an argument that cannot be cloned fails the call at once and leaves no pending call', async () => {
    await using rt = createRuntime({ threads: 1 });
    const worker = await rt.spawn<{ default: (x: unknown) => unknown }>(fixture('tasks.mjs'));
    await expect(worker.default(() => 1)).rejects.toThrow(/could not be cloned|DataCloneError/i);
    // (control) the worker still answers
    expect(await worker.default(5)).toBe(5);
    await worker.close();
  });
});
