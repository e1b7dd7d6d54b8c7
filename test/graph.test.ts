import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, type GraphProgress, type ItemError } from '../src/index.ts';

const fixture = new URL('./fixtures/graph-tasks.mjs', import.meta.url);
const waitForLatch = defineTask<{ latch: SharedArrayBuffer }, string>(fixture, 'waitForLatch');
const boom = defineTask<{ what: string }, never>(fixture, 'boom');

const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
afterAll(() => rt.close());

describe('graph', () => {
  it('runs a diamond, passing each result down under its dependency id', async () => {
    const out = await rt.graph({
      load: { task: (x: { n: number }) => Array.from({ length: x.n }, (_, i) => i + 1), input: { n: 10 } },
      sum: { task: (x: { load: number[] }) => x.load.reduce((a, b) => a + b, 0), after: ['load'] },
      max: { task: (x: { load: number[] }) => Math.max(...x.load), after: ['load'] },
      report: { task: (x: { sum: number; max: number; title: string }) => `${x.title}: ${x.sum} / ${x.max}`, after: ['sum', 'max'], input: { title: 'r' } },
    });
    expect(out).toEqual({
      load: { status: 'fulfilled', value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
      sum: { status: 'fulfilled', value: 55 },
      max: { status: 'fulfilled', value: 10 },
      report: { status: 'fulfilled', value: 'r: 55 / 10' },
    });
  });

  it('skips only the descendants of a failed node', async () => {
    const progress: GraphProgress[] = [];
    const out = await rt.graph(
      {
        a: { task: () => 1 },
        b: { task: boom, after: ['a'], input: { what: 'b' } },
        c: { task: (x: { b: unknown }) => x.b, after: ['b'] },
        d: { task: (x: { c: unknown }) => x.c, after: ['c', 'a'] },
        e: { task: (x: { a: number }) => x.a + 1, after: ['a'] },
        f: { task: () => 'free' },
      },
      { onProgress: (p) => progress.push(p) },
    );
    expect(out['a']).toEqual({ status: 'fulfilled', value: 1 });
    expect(out['e']).toEqual({ status: 'fulfilled', value: 2 });
    expect(out['f']).toEqual({ status: 'fulfilled', value: 'free' });
    expect(out['c']).toEqual({ status: 'skipped', because: 'b' });
    expect(out['d']).toEqual({ status: 'skipped', because: 'c' });
    const b = out['b'] as { status: 'rejected'; reason: ItemError };
    expect(b.status).toBe('rejected');
    expect(b.reason.code).toBe(ErrorCodes.TASK_FAILED);
    expect(b.reason.message).toBe('node "b" failed: Error: boom: b');
    expect((b.reason.cause as { code: string }).code).toBe('E_BOOM');
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.every((p) => p.total === 6)).toBe(true);
  });

  it('fans out a map node over items made from its dependencies', async () => {
    const out = await rt.graph({
      n: { task: () => 5 },
      squares: { map: (x: number) => x * x, items: (deps) => Array.from({ length: deps['n'] as number }, (_, i) => i), after: ['n'] },
      total: { task: (x: { squares: number[] }) => x.squares.reduce((a, b) => a + b, 0), after: ['squares'] },
      broken: {
        map: (x: number) => {
          if (x === 3) throw new TypeError('three');
          return x;
        },
        items: () => [1, 2, 3, 4],
      },
    });
    expect(out['squares']).toEqual({ status: 'fulfilled', value: [0, 1, 4, 9, 16] });
    expect(out['total']).toEqual({ status: 'fulfilled', value: 30 });
    expect((out['broken'] as { reason: Error }).reason.message).toBe('node "broken" failed at item 2: TypeError: three');
  });

  it('starts a node as soon as its own dependencies are done, not waiting for a slow sibling', async () => {
    const latch = new SharedArrayBuffer(4);
    const flag = new Int32Array(latch);
    const order: string[] = [];
    const out = await rt.graph(
      {
        slow: { task: waitForLatch, input: { latch } },
        fast: { task: () => 1 },
        next: { task: (x: { fast: number }) => x.fast + 1, after: ['fast'] },
      },
      {
        onProgress: (p) => {
          order.push(p.id);
          // The slow node is released only once `next` is done: a level-by-level scheduler would wait for it forever.
          if (p.id === 'next') {
            Atomics.store(flag, 0, 1);
            Atomics.notify(flag, 0);
          }
        },
      },
    );
    expect(order).toEqual(['fast', 'next', 'slow']);
    expect(out['slow']).toEqual({ status: 'fulfilled', value: 'released' });
    expect(out['next']).toEqual({ status: 'fulfilled', value: 2 });
  });

  it('starts the ready node heading the costliest chain first when more are ready than threads', async () => {
    const order: string[] = [];
    const one = createRuntime({ threads: 1 });
    try {
      await one.graph(
        {
          side1: { task: () => 1, cost: 1 },
          side2: { task: () => 2, cost: 1 },
          head: { task: () => 3, cost: 1 },
          tail: { task: () => 4, after: ['head'], cost: 50 },
        },
        { onProgress: (p) => order.push(p.id) },
      );
    } finally {
      await one.close();
    }
    expect(order).toEqual(['head', 'tail', 'side1', 'side2']);
  });

  it('refuses a cycle, naming the whole cycle, before any work', async () => {
    let progressed = false;
    const nodes = {
      a: { task: () => 1, after: ['c'] },
      b: { task: () => 2, after: ['a'] },
      c: { task: () => 3, after: ['b'] },
      d: { task: () => 4 },
    };
    await expect(rt.graph(nodes, { onProgress: () => (progressed = true) })).rejects.toThrow('the graph has a cycle: a → c → b → a');
    await expect(rt.graph({ a: { task: () => 1, after: ['a'] } })).rejects.toThrow('the graph has a cycle: a → a');
    expect(progressed).toBe(false);
  });

  it('refuses an unknown dependency and a node without a task, naming them', async () => {
    await expect(rt.graph({ a: { task: () => 1 }, b: { task: () => 2, after: ['a', 'x'] } })).rejects.toThrow(
      'node "b" depends on unknown node "x"',
    );
    await expect(rt.graph({ a: { task: () => 1 }, c: { after: ['a'] } as never })).rejects.toThrow('`nodes["c"]` has no task');
    await expect(rt.graph({ a: { map: () => 1 } as never })).rejects.toThrow('`nodes["a"].items` must be a function');
    await expect(rt.graph({ a: { task: () => 1, cost: -1 } })).rejects.toThrow('`nodes["a"].cost` must be a finite number >= 0');
    await expect(rt.graph({ a: { task: () => 1 } }, { concurrency: 2 } as never)).rejects.toThrow('`options.concurrency` is not a known option');
  });

  it('rejects with the abort reason and stops running nodes', async () => {
    const latch = new SharedArrayBuffer(4);
    const controller = new AbortController();
    const reason = new Error('enough');
    const run = rt.graph(
      { slow: { task: waitForLatch, input: { latch } }, quick: { task: () => 1 }, later: { task: () => 2, after: ['slow'] } },
      { signal: controller.signal, abortGraceMs: 20, onProgress: (p) => p.id === 'quick' && controller.abort(reason) },
    );
    await expect(run).rejects.toBe(reason);
  });
});
