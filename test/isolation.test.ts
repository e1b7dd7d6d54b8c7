import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, RunError, type ItemError, type RunTrace, type Settled } from '../src/index.ts';
import { poolOf } from '../src/testing.ts';

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
type Item = { id: number; poison?: boolean };
const task = (name: string) => defineTask<Item, number>(fixture('crash.mjs'), name);
const square = defineTask<number, number>(fixture('math.mjs'), 'square');

const rt = createRuntime({ threads: 2, maxHeapMb: 64 });
afterAll(() => rt.close());

const items = (n: number, poison: number[]): Item[] => Array.from({ length: n }, (_, id) => ({ id, poison: poison.includes(id) }));

/** [index, code] of every rejected outcome, and checks every fulfilled value is its item's id. */
function failures(settled: Settled<number>[]): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') expect(s.value).toBe(i);
    else out.push([i, s.reason.code]);
  });
  return out;
}

async function stillWorks(): Promise<void> {
  expect(await rt.map([1, 2, 3], square)).toEqual([1, 4, 9]);
}

describe('worker crashes', () => {
  it('isolates items that call process.exit: 10,000 items, two poison → 9,998 values and two crash errors', async () => {
    const settled = await rt.mapSettled(items(10_000, [1234, 8765]), task('exitOn'));
    expect(settled.length).toBe(10_000);
    expect(failures(settled)).toEqual([
      [1234, ErrorCodes.WORKER_CRASHED],
      [8765, ErrorCodes.WORKER_CRASHED],
    ]);
    const reason = (settled[1234] as { reason: ItemError }).reason;
    expect(reason.exitCode).toBe(3);
    expect(reason.attempts).toBe(1);
    expect(reason.message).toContain('item 1234 crashed its worker (exit code 3)');
    await stillWorks();
  });

  it('isolates an item whose timer throws an uncaught exception', async () => {
    const settled = await rt.mapSettled(items(300, [42]), task('throwInTimer'));
    expect(failures(settled)).toEqual([[42, ErrorCodes.WORKER_CRASHED]]);
    expect(((settled[42] as { reason: ItemError }).reason.cause as Error).message).toContain('thrown from a timer');
    await stillWorks();
  });

  it('isolates an item that runs its worker out of memory; the process survives', async () => {
    const settled = await rt.mapSettled(items(500, [250]), task('allocate'));
    expect(failures(settled)).toEqual([[250, ErrorCodes.WORKER_OOM]]);
    await stillWorks();
  });
});

describe('timeouts', () => {
  it('fails an item stuck in a synchronous loop past its deadline; the rest continue', async () => {
    const settled = await rt.mapSettled(items(2_000, [7, 1500]), task('spinOn'), { timeout: 300 });
    expect(failures(settled)).toEqual([
      [7, ErrorCodes.TIMEOUT],
      [1500, ErrorCodes.TIMEOUT],
    ]);
    expect((settled[7] as { reason: ItemError }).reason.message).toBe(
      'item 7 ran longer than its 300 ms deadline; its worker was terminated',
    );
    await stillWorks();
  });

  it('counts run time, not time waiting in the queue', async () => {
    // 40 items of 30 ms on 2 threads wait up to ~600 ms in the queue; each runs far below the 250 ms deadline.
    const slow = Array.from({ length: 40 }, (_, id) => ({ id, us: 30_000 }));
    const out = await rt.map(slow, defineTask<{ id: number; us: number }, number>(fixture('math.mjs'), 'spin'), { timeout: 250, chunkSize: 1 });
    expect(out).toEqual(slow.map((x) => x.id));
  });
});

describe('retries', () => {
  const flaky = defineTask<{ id: number; attempts: Int32Array; failures: number; how: string }, number>(fixture('crash.mjs'), 'flaky');
  const flakyItems = (n: number, failures: number, how: string) => {
    const attempts = new Int32Array(new SharedArrayBuffer(4 * n));
    return Array.from({ length: n }, (_, id) => ({ id, attempts, failures: id === 3 ? failures : 0, how }));
  };
  const fast = { minDelayMs: 1, maxDelayMs: 5 };

  it('retries a crashing item that fails twice then succeeds, recording attempts', async () => {
    const items = flakyItems(10, 2, 'exit');
    const settled = await rt.mapSettled(items, flaky, { retries: { retries: 2, ...fast } });
    expect(failures(settled)).toEqual([]);
    // The shared counter saw every run: item 3 ran three times (two crashes, then the success), the others once.
    expect([...items[0]!.attempts]).toEqual([1, 1, 1, 3, 1, 1, 1, 1, 1, 1]);
  });

  it('gives up after the last attempt with the attempt count', async () => {
    const settled = await rt.mapSettled(flakyItems(10, 5, 'exit'), flaky, { retries: { retries: 2, ...fast } });
    expect(failures(settled)).toEqual([[3, ErrorCodes.WORKER_CRASHED]]);
    expect((settled[3] as { reason: ItemError }).reason.attempts).toBe(3);
  });

  it('does not retry thrown errors unless they say they are retryable', async () => {
    const plain = await rt.mapSettled(flakyItems(10, 2, 'throw'), flaky, { retries: { retries: 3, ...fast } });
    expect(failures(plain)).toEqual([[3, ErrorCodes.TASK_FAILED]]);
    expect((plain[3] as { reason: ItemError }).reason.attempts).toBe(1);
    const marked = await rt.mapSettled(flakyItems(10, 2, 'retryable'), flaky, { retries: { retries: 3, ...fast } });
    expect(failures(marked)).toEqual([]);
  });

  it('uses a custom predicate', async () => {
    const seen: string[] = [];
    const settled = await rt.mapSettled(flakyItems(10, 1, 'throw'), flaky, {
      retries: { retries: 1, ...fast, retryable: (e) => seen.push(e.code) > 0 },
    });
    expect(failures(settled)).toEqual([]);
    expect(seen).toEqual([ErrorCodes.TASK_FAILED]);
  });
});

describe('circuit breaker', () => {
  it('stops a run whose items all fail, quoting the failures', async () => {
    const error = await rt.mapSettled(Array.from({ length: 5_000 }, (_, i) => i), defineTask(fixture('crash.mjs'), 'alwaysFails'), {
      breaker: { threshold: 0.5, window: 50, minSamples: 20 },
    }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(RunError);
    expect((error as RunError).code).toBe(ErrorCodes.CIRCUIT_OPEN);
    expect((error as Error).message).toMatch(/^circuit breaker open: 100% of the last \d+ items failed \(threshold 50%, at least 20 items\); recent failures: item \d+ failed: Error: cannot process \d+ \| item/);
    await stillWorks();
  });

  it('half-opens after a cool-down and carries on when the probe succeeds', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const list = Array.from({ length: 200 }, (_, id) => ({ id, flag }));
    let fixed = false;
    let trace: RunTrace | undefined;
    const settled = await rt.mapSettled(list, defineTask<{ id: number; flag: Int32Array }, number>(fixture('crash.mjs'), 'failsUntilFixed'), {
      breaker: { threshold: 0.5, window: 20, minSamples: 10, halfOpenAfterMs: 20 },
      chunkSize: 5,
      onTrace: (t) => (trace = t),
      onProgress: (p) => {
        if (!fixed && p.failed >= 10) {
          fixed = true;
          Atomics.store(flag, 0, 1);
        }
      },
    });
    // The breaker trips on the second failed chunk; the fix lands right after. Only the chunks in flight then
    // (two per thread: at most three more of 5 items) can still fail.
    const failed = settled.filter((s) => s.status === 'rejected').length;
    expect(failed).toBeGreaterThanOrEqual(10);
    expect(failed).toBeLessThanOrEqual(25);
    expect(settled.length).toBe(200);
    // One probe of one item; while it was out nothing else was sent; new input resumed only once it landed.
    // Rest-pieces a chunk gave up to idle workers near the end (work stealing) can hold one item too: they are
    // marked stolen and are not probes; nor is a chunk that gave way after its first item (it records gaveWay).
    const chunks = trace!.chunks;
    const probes = chunks.filter((c) => c.items === 1 && c.stolen !== true && c.gaveWay === undefined);
    expect(probes).toHaveLength(1);
    const probe = probes[0]!;
    for (const c of chunks) {
      if (c === probe) continue;
      if (c.sentMs! < probe.sentMs!) expect(c.first!).toBeLessThan(probe.first!);
      else expect(c.sentMs!).toBeGreaterThanOrEqual(probe.t);
    }
    for (const [i, s] of settled.entries()) if (s.status === 'fulfilled') expect(s.value).toBe(i);
  });
});

describe('fault injection', () => {
  it('gives every item exactly one outcome while workers are killed at random points', async () => {
    const local = createRuntime({ threads: 2, maxHeapMb: 64 });
    await local.map([0], square); // starts the pool
    const pool = poolOf(local)!;
    let seed = 12345;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const n = 3_000;
    type Spin = { id: number; us: number; stall?: Int32Array };
    const list: Spin[] = Array.from({ length: n }, (_, id) => ({ id, us: 100 }));
    // Seeded points where a worker is killed in the middle of an item: the item says it is running, the test kills
    // its worker. (The kills from onProgress below land anywhere: mostly between chunks.)
    const stalled = new Set<number>();
    while (stalled.size < 4) stalled.add(100 + Math.floor(random() * (n - 200)));
    const stalls = [...stalled].map((id) => (list[id]!.stall = new Int32Array(new SharedArrayBuffer(12))));
    const killers = stalls.map(async (s): Promise<boolean> => {
      for (let v = Atomics.load(s, 0); v === 0; v = Atomics.load(s, 0)) await Atomics.waitAsync(s, 0, 0, 1000).value;
      if (Atomics.load(s, 0) !== 1) return false; // the run ended without this item starting (see below)
      await pool.threads.find((t) => t.threadId === Atomics.load(s, 1))?.terminate();
      Atomics.store(s, 2, 1); // should the item ever run again, it returns
      return true;
    });
    let kills = 0;
    // Outcomes as the run delivers them (unordered: nothing is buffered or merged on the way), counted per index,
    // so an item delivered twice (a value and a failure, or two values) is caught, not overwritten.
    const deliveries = new Uint16Array(n);
    const crashed = new Set<number>();
    const outcomes = local.stream(list, defineTask<Spin, number>(fixture('crash.mjs'), 'spinOrStall'), {
      ordered: false,
      onProgress: (p) => {
        // After some chunks, terminate a random worker mid-run (the next chunks are already running or queued).
        if (kills < 6 && random() < 0.3 && p.done < 2_800) {
          const threads = pool.threads;
          const victim = threads[Math.floor(random() * threads.length)];
          if (victim) {
            kills++;
            void victim.terminate();
          }
        }
      },
    });
    for await (const r of outcomes) {
      deliveries[r.index]!++;
      if (r.status === 'fulfilled') expect(r.value).toBe(r.index);
      else {
        expect(r.reason.code).toBe(ErrorCodes.WORKER_CRASHED);
        crashed.add(r.index);
      }
    }
    // An item failed without starting (its chunks' workers died before it three times) never stalls: release its killer.
    for (const s of stalls) if (Atomics.compareExchange(s, 0, 0, -1) === 0) Atomics.notify(s, 0);
    const killedMidItem = (await Promise.all(killers)).filter(Boolean).length;
    expect(killedMidItem).toBeGreaterThan(0);
    expect(kills).toBeGreaterThan(0);
    expect([...new Set(deliveries)]).toEqual([1]);
    // Each item killed mid-run failed, as a crash; a kill fails at most the one item its worker was running.
    for (const id of stalled) if (Atomics.load(list[id]!.stall!, 0) === 1) expect(crashed.has(id)).toBe(true);
    expect(crashed.size).toBeLessThanOrEqual(killedMidItem + kills);
    expect(await local.map([5], square)).toEqual([25]);
    await local.close();
  }, 60_000);
});
