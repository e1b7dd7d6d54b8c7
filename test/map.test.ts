import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, ItemError, type RunTrace, type Settled } from '../src/index.ts';

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const square = defineTask<number, number>(fixture('math.mjs'), 'square');
const spin = defineTask<{ id: number; us: number }, number>(fixture('math.mjs'), 'spin');

const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
afterAll(() => rt.close());

describe('map', () => {
  it('keeps input order when items have very different costs', async () => {
    const items = Array.from({ length: 400 }, (_, id) => ({ id, us: id % 13 === 0 ? 3000 : id % 5 === 0 ? 200 : 5 }));
    const out = await rt.map(items, spin);
    expect(out).toEqual(items.map((x) => x.id));
  });

  it('maps 100k items', async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    const out = await rt.map(items, square);
    expect(out.length).toBe(100_000);
    for (let i = 0; i < out.length; i += 997) expect(out[i]).toBe(i * i);
    expect(out[99_999]).toBe(99_999 * 99_999);
  });

  it('accepts typed arrays, sync iterables and async iterables', async () => {
    expect(await rt.map(new Float64Array([1.5, 2, 3]), square)).toEqual([2.25, 4, 9]);
    expect(await rt.map(new Set([1, 2, 3]), square)).toEqual([1, 4, 9]);
    async function* gen() {
      for (let i = 0; i < 50; i++) yield i;
    }
    expect(await rt.map(gen(), square)).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
  });

  it('awaits async task functions', async () => {
    expect(await rt.map([1, 2, 3], defineTask<number, number>(fixture('math.mjs'), 'asyncDouble'))).toEqual([2, 4, 6]);
  });

  it('runs a default export when no export name is given', async () => {
    expect(await rt.map(['a', { b: 1 }], defineTask(fixture('math.mjs').pathname))).toEqual(['a', { b: 1 }]);
  });

  it('runs a self-contained inline function', async () => {
    expect(await rt.map([1, 2, 3], (x: number) => x * 10)).toEqual([10, 20, 30]);
    expect(await rt.map(['a'], async function shout(s: string) { return s.toUpperCase(); })).toEqual(['A']);
  });

  it('names the outer variable an inline function uses', async () => {
    const factor = 3;
    const settled = await rt.mapSettled([1], (x: number) => x * factor);
    const outcome = settled[0]!;
    expect(outcome.status).toBe('rejected');
    const reason = (outcome as { reason: ItemError }).reason;
    expect(reason.code).toBe(ErrorCodes.INLINE_CLOSURE);
    expect(reason.message).toContain('refers to `factor`');
  });

  it('loads a TypeScript task module without a build step', async () => {
    const length = defineTask<{ x: number; y: number }, number>(fixture('typed-task.ts'), 'length');
    expect(await rt.map([{ x: 3, y: 4 }, { x: 6, y: 8 }], length)).toEqual([5, 10]);
  });

  it('runs setup() once per worker before its first chunk', async () => {
    const probe = defineTask<number, { threadId: number; setups: number; ready: boolean }>(fixture('setup-counter.mjs'), 'probe');
    const out = await rt.map(Array.from({ length: 2000 }, (_, i) => i), probe, { chunkSize: 10 });
    expect(out.every((r) => r.ready && r.setups === 1)).toBe(true);
    expect(new Set(out.map((r) => r.threadId)).size).toBeLessThanOrEqual(2);
  });

  it('reports progress with done, total and rate', async () => {
    const seen: number[] = [];
    let total: number | null = null;
    await rt.map(Array.from({ length: 1000 }, (_, i) => i), square, {
      chunkSize: 100,
      onProgress: (p) => {
        seen.push(p.done);
        total = p.total;
        expect(p.itemsPerSecond).toBeGreaterThanOrEqual(0);
      },
    });
    expect(total).toBe(1000);
    expect(seen.at(-1)).toBe(1000);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('returns a per-chunk trace when asked', async () => {
    let trace: RunTrace | undefined;
    await rt.map(Array.from({ length: 500 }, (_, i) => i), square, { chunkSize: 50, onTrace: (t) => (trace = t) });
    const rows = trace!.chunks;
    // Ten chunks of 50 are sent; near the end one may give way to an idle worker and come back in pieces.
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.every((r) => r.items <= 50)).toBe(true);
    expect(rows.reduce((s, r) => s + r.items, 0)).toBe(500);
    expect(rows.every((r) => r.outcome === 'ok' && r.runMs >= 0 && r.worker >= 0)).toBe(true);
  });

  it('traces the adaptive policy\'s decisions with their reasons', async () => {
    let trace: RunTrace | undefined;
    // A task this runtime never ran (so the probe starts from one item).
    const fresh = defineTask<number, number>(fixture('square-again.mjs'), 'square');
    const items = Array.from({ length: 20_000 }, (_, i) => i);
    // A deadline keeps the dispatcher cutting the chunks (numbers are otherwise self-scheduled: no policy decisions).
    await rt.map(items, fresh, { trace: true, timeout: 60_000, onTrace: (t) => (trace = t) });
    const { decisions, chunks } = trace!;
    expect(chunks.reduce((s, c) => s + c.items, 0)).toBe(20_000);
    // One decision per chunk sent, and the chunks are the sizes decided. Pieces of a rest handed to an idle worker
    // (stolen) were not decided by the policy; a chunk that gave way ran `items` and handed back `gaveWay`.
    const sent = chunks.filter((c) => !c.stolen);
    expect(decisions.length).toBe(sent.length);
    const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    expect(sorted(sent.map((c) => c.items + (c.gaveWay ?? 0)))).toEqual(sorted(decisions.map((d) => d.size)));
    const handedBack = chunks.reduce((s, c) => s + (c.gaveWay ?? 0), 0);
    expect(chunks.filter((c) => c.stolen).reduce((s, c) => s + c.items + (c.gaveWay ?? 0), 0)).toBe(handedBack);
    // The controller probes from one item up by doubling, then leaves the probe for a sized steady state.
    expect([decisions[0]!.size, decisions[0]!.reason]).toEqual([1, 'probe']);
    const probe = decisions.filter((d) => d.reason === 'probe').map((d) => d.size);
    for (let i = 1; i < probe.length; i++) expect([probe[i - 1], 2 * probe[i - 1]!]).toContain(probe[i]);
    expect(decisions.some((d) => d.reason !== 'probe')).toBe(true);
    expect(Math.max(...decisions.map((d) => d.size))).toBeGreaterThanOrEqual(64);
    // Sizing pays: far fewer chunks than items, each decision with a measured cost once the first chunk landed.
    expect(chunks.length).toBeLessThan(20_000 / 20);
    expect(decisions.at(-1)!.estCostUs).toBeGreaterThan(0);
    expect(decisions.every((d, i) => i === 0 || d.t >= decisions[i - 1]!.t)).toBe(true);
    // A second map of the same task starts from the cost the first one measured: no probe, sized chunks at once.
    let again: RunTrace | undefined;
    expect(await rt.map(items, fresh, { trace: true, timeout: 60_000, onTrace: (t) => (again = t) })).toEqual(items.map((i) => i * i));
    expect(again!.decisions.some((d) => d.reason === 'probe')).toBe(false);
    expect(again!.decisions[0]!.size).toBeGreaterThanOrEqual(64);
    // Its first decision already carries a cost (the remembered one); the first map's first decision had none.
    // (How many chunks each map sends depends on the machine's timing, so it is not compared.)
    expect(decisions[0]!.estCostUs).toBeNull();
    expect(again!.decisions[0]!.estCostUs).toBeGreaterThan(0);
  });
});

describe('failures', () => {
  const failOnOdd = defineTask<number, number>(fixture('math.mjs'), 'failOnOdd');

  it('mapSettled gives every item an outcome with index, code and the original error', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const settled: Settled<number>[] = await rt.mapSettled(items, failOnOdd);
    expect(settled.length).toBe(1000);
    settled.forEach((s, i) => {
      if (i % 2 === 0) expect(s).toEqual({ status: 'fulfilled', value: i });
      else {
        expect(s.status).toBe('rejected');
        const reason = (s as { reason: ItemError }).reason;
        expect(reason).toBeInstanceOf(ItemError);
        expect(reason.index).toBe(i);
        expect(reason.code).toBe(ErrorCodes.TASK_FAILED);
        expect(reason.attempts).toBe(1);
        const cause = reason.cause as RangeError & { code: string; item: number };
        expect(cause).toBeInstanceOf(RangeError);
        expect(cause.message).toBe(`odd item ${i}`);
        expect(cause.code).toBe('E_ODD');
        expect(cause.item).toBe(i);
        expect(cause.stack).toContain('failOnOdd');
      }
    });
  });

  it('parallelMap rejects with the first failure, naming the item and keeping the cause', async () => {
    const error = await rt.map([0, 2, 4, 5, 6], failOnOdd).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ItemError);
    expect((error as ItemError).index).toBe(3);
    expect((error as ItemError).message).toContain('item 3');
    expect(((error as ItemError).cause as Error).message).toBe('odd item 5');
  });

  it('fails an item whose result cannot be cloned, and only that item', async () => {
    const settled = await rt.mapSettled([1, 2, 3], defineTask(fixture('math.mjs'), 'returnsFunction'));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(settled.map((s) => (s as { reason: ItemError }).reason.code)).toEqual([
      ErrorCodes.DATA_CLONE,
      ErrorCodes.DATA_CLONE,
      ErrorCodes.DATA_CLONE,
    ]);
    expect(await rt.map([7], square)).toEqual([49]);
  });

  it('results that cannot cross threads in many chunks cost a few workers, not one per chunk', async () => {
    // Items 0, 10, 20… return a function: each of the 50 chunks of 10 holds one. A worker dies replying with one;
    // from then on the run's chunks check their results before replying, so only the chunks already sent die.
    const items = Array.from({ length: 500 }, (_, i) => i);
    const settled = await rt.mapSettled(items, defineTask(fixture('math.mjs'), 'threadOrFunction'), { chunkSize: 10 });
    const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
    expect(failed).toEqual(items.filter((i) => i % 10 === 0));
    expect(settled.every((s, i) => i % 10 === 0 || s.status === 'fulfilled')).toBe(true);
    expect(settled.every((s) => s.status === 'fulfilled' || (s.reason as ItemError).code === ErrorCodes.DATA_CLONE)).toBe(true);
    // Each worker that died was replaced by a new thread: the thread ids seen are the workers' there were.
    const threads = new Set(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value as number] : [])));
    expect(threads.size).toBeLessThan(10);
  });

  it('fails just the item that throws when read (a revoked Proxy, a throwing getter) among records, arrays or strings', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const getter = {
      get id(): number {
        throw new Error('getter says no');
      },
    };
    const kinds: Record<string, (i: number) => unknown> = { records: (i) => ({ id: i }), arrays: (i) => [i, i], strings: (i) => `s${i}` };
    for (const [kind, make] of Object.entries(kinds)) {
      for (const odd of [proxy, getter]) {
        for (const at of [0, 150]) {
          const items = Array.from({ length: 300 }, (_, i) => (i === at ? odd : make(i)));
          const settled = await rt.mapSettled(items, defineTask(fixture('math.mjs')));
          const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [[i, (s.reason as ItemError).code, (s.reason as ItemError).index]] : []));
          expect(failed, `${kind}, odd item at ${at}`).toEqual([[at, ErrorCodes.DATA_CLONE, at]]);
          expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(299);
          const reason = (settled[at] as { reason: ItemError }).reason;
          expect(reason.message).toContain(`item ${at} cannot be sent to a worker`);
          if (odd === getter) expect((reason.cause as Error).message).toBe('getter says no');
        }
      }
    }
  });

  it('fails an item that cannot be cloned, and runs the others', async () => {
    const items: unknown[] = [1, 2, () => 3, 4];
    const settled = await rt.mapSettled(items, defineTask(fixture('math.mjs')));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const reason = (settled[2] as { reason: ItemError }).reason;
    expect(reason.code).toBe(ErrorCodes.DATA_CLONE);
    expect(reason.index).toBe(2);
  });

  it('isolates an item that exits its worker; the others succeed and the runtime keeps working', async () => {
    const exitOn = defineTask<{ id: number; poison?: boolean }, number>(fixture('crash.mjs'), 'exitOn');
    const items = Array.from({ length: 200 }, (_, id) => ({ id, poison: id === 77 }));
    const settled = await rt.mapSettled(items, exitOn);
    const rejected = settled.flatMap((s, i) => (s.status === 'rejected' ? [[i, s.reason.code, s.reason.exitCode]] : []));
    expect(rejected).toEqual([[77, ErrorCodes.WORKER_CRASHED, 3]]);
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBe(199);
    expect(await rt.map([3], square)).toEqual([9]);
  });
});
