import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, RuntimeClosedError, type RunTrace } from '../src/index.ts';

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const block = defineTask<{ id: number; flags: Int32Array }, number>(fixture('blocking.mjs'), 'block');
const blockCounting = defineTask<{ id: number; flags: Int32Array }, number>(fixture('blocking.mjs'), 'blockCounting');
const blockForever = defineTask<{ id: number; flags: Int32Array }, number>(fixture('blocking.mjs'), 'blockForever');
const square = defineTask<number, number>(fixture('math.mjs'), 'square');

const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
afterAll(() => rt.close());

/** Items sharing one flag array: [0] goes to 1 when a task starts, tasks wait while [1] is 0. */
function blockingItems(n: number, bytes = 8): { flags: Int32Array; items: Array<{ id: number; flags: Int32Array }> } {
  const flags = new Int32Array(new SharedArrayBuffer(bytes));
  return { flags, items: Array.from({ length: n }, (_, id) => ({ id, flags })) };
}

/** Wait until flags[at] >= n (no sleeps: woken by the worker's Atomics.notify). */
async function counted(flags: Int32Array, at: number, n: number): Promise<void> {
  for (let v = Atomics.load(flags, at); v < n; v = Atomics.load(flags, at)) await Atomics.waitAsync(flags, at, v, 1000).value;
}

async function started(flags: Int32Array): Promise<void> {
  const w = Atomics.waitAsync(flags, 0, 0);
  if (w.async) await w.value;
}

describe('cancellation', () => {
  it('rejects with signal.reason and stops dispatching; tasks see ctx.signal', async () => {
    const { flags, items } = blockingItems(1000, 12);
    const controller = new AbortController();
    // A grace period far beyond the test's timeout: only a task that sees ctx.signal returns; none is terminated.
    const run = rt.map(items, blockCounting, { signal: controller.signal, chunkSize: 10, abortGraceMs: 600_000 });
    await counted(flags, 0, 2); // both workers are inside a task (more chunks wait in the queue)
    const reason = new Error('stop now');
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    // Both running tasks saw ctx.signal and returned.
    await counted(flags, 2, 2);
    // The runtime keeps working after an abort; this map runs after the chunks of the aborted run that were queued.
    expect(await rt.map([1, 2], square)).toEqual([1, 4]);
    // No item began after the abort: neither the rest of the two running chunks nor any queued or later chunk.
    expect(Atomics.load(flags, 0)).toBe(2);
  });

  it('terminates a task that ignores the signal after the grace period', async () => {
    const { flags, items } = blockingItems(4);
    const controller = new AbortController();
    const run = rt.map(items, blockForever, { signal: controller.signal, chunkSize: 1, abortGraceMs: 0 });
    await started(flags);
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    // The spinning workers were replaced: new work runs.
    expect(await rt.map([3], square)).toEqual([9]);
    Atomics.store(flags, 1, 1);
  });

  it('a synchronous task sees ctx.signal.aborted and stops without its worker being terminated', async () => {
    for (const name of ['cooperative', 'awaitsAbort']) {
      const { flags, items } = blockingItems(2);
      const controller = new AbortController();
      const run = rt.map(items, defineTask(fixture('blocking.mjs'), name), { signal: controller.signal, chunkSize: 1, abortGraceMs: 60_000 });
      // Wait until both tasks run (one per thread), then abort.
      while (Atomics.load(flags, 0) < 2) await Atomics.waitAsync(flags, 0, Atomics.load(flags, 0), 1000).value;
      controller.abort();
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      // Both tasks noticed the abort (flags[1] counts them) and returned: the 60 s grace period, after which their
      // workers would be terminated, is far off (the test times out at 30 s).
      while (Atomics.load(flags, 1) < 2) await Atomics.waitAsync(flags, 1, Atomics.load(flags, 1), 1000).value;
    }
  });

  it('rejects at once when the signal is already aborted', async () => {
    const reason = new Error('too late');
    await expect(rt.map([1], square, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});

describe('stream', () => {
  it('yields outcomes in input order with indexes', async () => {
    const got: number[] = [];
    for await (const r of rt.stream(Array.from({ length: 300 }, (_, i) => i), square)) {
      expect(r.status).toBe('fulfilled');
      got.push(r.index);
      if (r.status === 'fulfilled') expect(r.value).toBe(r.index * r.index);
    }
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('yields every item exactly once when unordered', async () => {
    const seen = new Set<number>();
    for await (const r of rt.stream(new Set(Array.from({ length: 500 }, (_, i) => i)), square, { ordered: false })) {
      expect(seen.has(r.index)).toBe(false);
      seen.add(r.index);
    }
    expect(seen.size).toBe(500);
  });

  it('stops pulling the source when the consumer breaks out', async () => {
    let pulled = 0;
    let closed = false;
    function* source() {
      try {
        for (let i = 0; i < 1_000_000; i++) {
          pulled++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    // A high-water mark far above what is pulled before the break: backpressure alone would not stop the pulls.
    for await (const r of rt.stream(source(), square, { highWaterMark: 1_000_000 })) {
      if (r.index === 10) break;
    }
    // Breaking out cancelled the run, which closed the source (its generator's finally ran) at once.
    expect(closed).toBe(true);
    const atBreak = pulled;
    expect(await rt.map([3], square)).toEqual([9]); // chunks still landing from the cancelled run are gone by now
    expect(pulled).toBe(atBreak);
    expect(pulled).toBeLessThan(1_000_000);
  });

  it('streams a 1M-item async iterable in bounded memory', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'vitest.config.ts runs tests with --expose-gc').toBeTypeOf('function');
    const payload = 'x'.repeat(200);
    async function* source() {
      for (let i = 0; i < 1_000_000; i++) yield `${i}:${payload}`;
    }
    const echo = defineTask<string, string>(fixture('math.mjs'));
    gc!();
    const before = process.memoryUsage().heapUsed;
    let retained = 0;
    let count = 0;
    for await (const r of rt.stream(source(), echo, { highWaterMark: 1024 })) {
      if (r.status === 'fulfilled' && r.index === count) count++;
      if (count % 100_000 === 0) {
        gc!();
        retained = Math.max(retained, process.memoryUsage().heapUsed - before);
      }
    }
    expect(count).toBe(1_000_000);
    // Held all at once, the items alone would be ~1M × ~220 B = 220 MB of strings.
    expect(retained).toBeLessThan(60 * 1024 * 1024);
  }, 120_000);
});

describe('close', () => {
  it('rejects running and later calls with RuntimeClosedError', async () => {
    const local = createRuntime({ threads: 1 });
    const { flags, items } = blockingItems(3);
    const run = local.map(items, block, { chunkSize: 1 }).catch((error: unknown) => error);
    await started(flags);
    await local.close();
    expect(await run).toBeInstanceOf(RuntimeClosedError);
    await expect(local.map([1], square)).rejects.toMatchObject({ code: ErrorCodes.RUNTIME_CLOSED });
    await local.close();
    Atomics.store(flags, 1, 1);
  });

  it('leaves nothing that keeps the process alive (default runtime, and await using)', async () => {
    const run = promisify(execFile);
    const child = fixture('default-runtime-child.ts').pathname;
    for (const mode of ['default', 'closed']) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', child, mode], { timeout: 20_000 });
      expect(stdout.trim()).toBe(mode === 'default' ? '[1,4,9]' : '[1,4,9,16]');
    }
  }, 40_000);
});

describe('slow sources', () => {
  it('hands out ready items while an async source waits, and re-runs failed chunks meanwhile', async () => {
    const exitOn = defineTask<{ id: number; poison?: boolean }, number>(fixture('crash.mjs'), 'exitOn');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      for (let id = 0; id < 50; id++) yield { id, poison: id === 20 };
      await gate; // the producer stalls, as one reading a slow pipe would
      yield { id: 50 };
    }
    const seen: number[] = [];
    for await (const r of rt.stream(source(), exitOn)) {
      seen.push(r.index);
      if (r.index === 20) expect(r.status === 'rejected' && r.reason.code).toBe(ErrorCodes.WORKER_CRASHED);
      // Items 0..49, including the isolated crash, all arrive while the source is still stalled.
      if (r.index === 49) release();
    }
    expect(seen).toEqual(Array.from({ length: 51 }, (_, i) => i));
  });

  it('calls onTrace at the end of a stream', async () => {
    const traces: RunTrace[] = [];
    let yielded = 0;
    let tracedAt = -1;
    const stream = rt.stream(Array.from({ length: 500 }, (_, i) => i), square, {
      onTrace: (t) => {
        traces.push(t);
        tracedAt = yielded;
      },
    });
    for await (const _ of stream) yielded++;
    // Once, when the run ended, before the stream did (outcomes still buffered may follow it), with every item.
    expect(traces).toHaveLength(1);
    expect(yielded).toBe(500);
    expect(tracedAt).toBeGreaterThanOrEqual(0);
    expect(traces[0]!.chunks.reduce((n, c) => n + c.items, 0)).toBe(500);
    // One decision per chunk the policy sized (pieces handed to idle workers by work stealing were not sized).
    expect(traces[0]!.decisions.length).toBe(traces[0]!.chunks.filter((c) => !c.stolen).length);
  });
});

describe('graceful stop', () => {
  it('stopSignal: takes no more input, yields what was in flight, then ends', async () => {
    const { flags, items } = blockingItems(10_000);
    const stop = new AbortController();
    let pulled = 0;
    function* source() {
      for (const item of items) {
        pulled++;
        yield item;
      }
    }
    const got: number[] = [];
    const run = (async () => {
      for await (const r of rt.stream(source(), block, { stopSignal: stop.signal, chunkSize: 4 })) {
        expect(r.status).toBe('fulfilled');
        got.push(r.index);
      }
    })();
    await started(flags);
    stop.abort();
    const pulledAtStop = pulled;
    Atomics.store(flags, 1, 1); // let the chunks in flight finish
    Atomics.notify(flags, 1);
    await run;
    expect(pulled).toBe(pulledAtStop);
    expect(pulledAtStop).toBeGreaterThan(0);
    // Everything taken before the stop was in flight (or about to be sent) and is yielded, in order: nothing dropped.
    expect(got).toEqual(Array.from({ length: pulledAtStop }, (_, i) => i));
  });
});
