import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, ErrorCodes, proxy, TaskLoadError, transfer, WorkerError } from '../src/index.ts';

type Model = typeof import('./fixtures/model.ts');
const modelUrl = new URL('./fixtures/model.ts', import.meta.url);
const rt = createRuntime({ threads: 1, maxHeapMb: 64 });
afterAll(() => rt.close());

describe('dedicated workers', () => {
  it('keep state across calls in a thread of their own', async () => {
    await using model = await rt.spawn<Model>(modelUrl);
    expect(await model.load(['a', 'b', 'c'])).toBe(3);
    expect(await model.lookup('c')).toBe(2);
    expect(await model.lookup('zzz')).toBeUndefined();
    expect(await model.kind).toBe('model');
    expect(await model.thread()).not.toBe(threadId);
  });

  it('reject with the remote error, keeping class, code, fields and stack', async () => {
    await using model = await rt.spawn<Model>(modelUrl);
    const error = await model.fail('E_BAD').then(() => null, (e: unknown) => e as RangeError & { code: string; detail: unknown });
    expect(error).toBeInstanceOf(RangeError);
    expect(error!.message).toBe('bad E_BAD');
    expect(error!.code).toBe('E_BAD');
    expect(error!.detail).toEqual({ code: 'E_BAD' });
    expect(error!.stack).toContain('model.ts');
  });

  it('reject every pending call promptly when the worker crashes, and every later call', async () => {
    const model = await rt.spawn<Model>(modelUrl);
    const pending = [model.hang(), model.hang(), model.exitSoon(9)];
    const outcomes = await Promise.allSettled(pending);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      const reason = (o as PromiseRejectedResult).reason as WorkerError;
      expect(reason).toBeInstanceOf(WorkerError);
      expect(reason.code).toBe(ErrorCodes.WORKER_CRASHED);
      expect(reason.exitCode).toBe(9);
    }
    await expect(model.lookup('a')).rejects.toMatchObject({ code: ErrorCodes.WORKER_CRASHED });
    await model.close();
  });

  it('reject calls after close() and calls pending at close()', async () => {
    const model = await rt.spawn<Model>(modelUrl);
    const pending = model.hang();
    await model.close();
    await expect(pending).rejects.toMatchObject({ code: ErrorCodes.WORKER_CLOSED });
    await expect(model.lookup('a')).rejects.toMatchObject({ code: ErrorCodes.WORKER_CLOSED });
    await model.close();
  });

  it('time out a call that gets no answer', async () => {
    await using model = await rt.spawn<Model>(modelUrl, { timeout: 50 });
    await expect(model.hang()).rejects.toMatchObject({ code: ErrorCodes.TIMEOUT });
    expect(await model.load(['x'])).toBe(1);
  });

  it('pass callbacks with proxy()', async () => {
    await using model = await rt.spawn<Model>(modelUrl);
    const seen: number[] = [];
    expect(await model.withCallback(5, proxy((i: number) => void seen.push(i)))).toBe(5);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('transfer typed arrays without copying when asked', async () => {
    await using model = await rt.spawn<Model>(modelUrl);
    const values = new Float64Array([1, 2, 3]);
    const back = await model.double(transfer(values, [values.buffer]));
    expect(values.byteLength).toBe(0); // detached on the sender side
    expect([...back]).toEqual([2, 4, 6]);
  });

  it('reject spawn() for a module that cannot load', async () => {
    await expect(rt.spawn(new URL('./fixtures/throws-at-import.mjs', import.meta.url))).rejects.toBeInstanceOf(TaskLoadError);
    await expect(rt.spawn(new URL('./fixtures/nope.mjs', import.meta.url))).rejects.toMatchObject({ code: ErrorCodes.TASK_LOAD });
    await expect(rt.spawn(modelUrl, { timeout: -1 })).rejects.toThrow('`options.timeout` must be a finite number > 0, got -1 (number)');
  });

  it('do not hang when the caller drops its handle mid-call and it is garbage-collected', async () => {
    const gc = (globalThis as { gc?: () => void }).gc!;
    const call = (async () => {
      const model = await rt.spawn<Model>(modelUrl);
      return model.later(200);
    })();
    // The handle is unreachable from here on; collect garbage while the call is pending.
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await call).toBe(200);
  });

  it('leave nothing behind: the process exits on its own after close()', async () => {
    const child = new URL('./fixtures/dedicated-child.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], { timeout: 20_000 });
    expect(stdout.trim()).toBe('2');
  }, 30_000);
});
