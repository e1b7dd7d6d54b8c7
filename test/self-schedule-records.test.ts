/**
 * Self-scheduled runs over arrays of records of one shape: the records are packed once into shared memory at the
 * call (a snapshot) and the workers claim ranges of them, as for numbers (schedule/claims.ts). Every item still
 * ends as exactly one outcome, in input order, with a failure, a crash, a result that is not a number, an abort and
 * object results inside claimed ranges; records that do not fit one shape go in ordinary chunks. Deterministic:
 * Atomics gates, no sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, type RunTrace } from '../src/index.ts';
import { MIN_SHARED_RECORDS } from '../src/transport/shared-records.ts';

const fixture = new URL('./fixtures/claims-task.mjs', import.meta.url);
// A type alias (not an interface), so a record is also a Record<string, unknown>.
type Rec = { x: number; tag: string; shape: boolean };
const gated = defineTask<Rec, number | string | { x2: number; tag: string }>(fixture, 'gatedRecord');
const install = defineTask<{ g: SharedArrayBuffer }, number>(fixture, 'install');

const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
let gate: Int32Array;
beforeAll(async () => {
  const g = new SharedArrayBuffer(12);
  gate = new Int32Array(g);
  await rt.map([{ g }, { g }], install, { chunkSize: 1 });
});
afterAll(() => rt.close());

const recs = (n: number, special: Record<number, number> = {}, shape = false): Rec[] =>
  Array.from({ length: n }, (_, i) => ({ x: special[i] ?? i, tag: `t${i}`, shape }));

/** Whether the run went through the claims: the policy then decided nothing (numbers and records alike). */
function selfScheduled(trace: RunTrace | undefined): boolean {
  return trace !== undefined && trace.decisions.length === 0;
}

describe('self-scheduled record runs', () => {
  it('numeric results of records come back in order through the claims', async () => {
    let trace: RunTrace | undefined;
    const input = recs(5000);
    expect(await rt.map(input, gated, { onTrace: (t) => (trace = t) })).toEqual(input.map((r) => 2 * r.x));
    expect(selfScheduled(trace)).toBe(true);
    // Every item is traced once, whether its range was finished cleanly or returned held (a give-way).
    expect(trace!.chunks.reduce((s, c) => s + c.items, 0)).toBe(5000);
  });

  it('object results: the ranges claimed come back in their replies, the rest goes in sized chunks; every item once, in order', async () => {
    let trace: RunTrace | undefined;
    const input = recs(3000, {}, true);
    const out = await rt.map(input, gated, { onTrace: (t) => (trace = t) });
    expect(out).toEqual(input.map((r) => ({ x2: 2 * r.x, tag: `${r.tag}!` })));
    // The first range back with objects ended the claims: the policy cut the rest.
    expect(selfScheduled(trace)).toBe(false);
    expect(trace!.decisions.length).toBeLessThan(trace!.chunks.length);
    expect(trace!.chunks.reduce((s, c) => s + c.items, 0)).toBe(3000);
  });

  it('numbers: a few results that are not numbers leave the claims going; mostly such results end them', async () => {
    const numbersTask = defineTask<number, number | string>(fixture, 'gated');
    for (const [every, claimsGoOn] of [[997, true], [1, false]] as const) {
      let trace: RunTrace | undefined;
      const input = Array.from({ length: 20_000 }, (_, i) => (i % every === 0 ? -4 : i));
      const out = await rt.map(input, numbersTask, { onTrace: (t) => (trace = t) });
      expect(out).toEqual(input.map((x) => (x === -4 ? 'text' : 2 * x)));
      expect(selfScheduled(trace)).toBe(claimsGoOn);
      // A chunk that returns holding the range with a text result has finished other ranges before it: both are
      // traced, each item once (the held range's time is its share of the reply's by items).
      expect(trace!.chunks.reduce((s, c) => s + c.items, 0)).toBe(20_000);
    }
  });

  it('arrays of strings are self-scheduled as text: results in order, a throw and a number among them each end as one outcome', async () => {
    const texts = defineTask<unknown, number | string>(fixture, 'gatedText');
    const input: unknown[] = Array.from({ length: 6000 }, (_, i) => (i % 5 === 0 ? `é${i}\u{1F600}` : `t${i}`));
    let trace: RunTrace | undefined;
    const expected = input.map((s) => (s as string).length);
    expect(await rt.map(input, texts, { onTrace: (t) => (trace = t) })).toEqual(expected);
    expect(selfScheduled(trace)).toBe(true);
    expect(trace!.chunks.reduce((s, c) => s + c.items, 0)).toBe(6000);
    // A throw inside a claimed range fails the map naming its item; settled, every other item succeeds.
    const throwing = [...input];
    throwing[4321] = '-3';
    const settled = await rt.mapSettled(throwing, texts);
    expect(settled.filter((r) => r.status === 'rejected').map((r) => r.status === 'rejected' && r.reason.index)).toEqual([4321]);
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value : -1))).toEqual(expected.map((v, i) => (i === 4321 ? -1 : v)));
    // A number among the strings: the strings from its range on go in ordinary chunks; results are the same.
    const mixed = [...input];
    mixed[3000] = 7;
    const out = await rt.map(mixed, texts);
    expect(out).toEqual(expected.map((v, i) => (i === 3000 ? 1 : v)));
  });

  it('the array is copied at the call: records replaced or removed from it afterwards change nothing', async () => {
    const input = recs(40_000);
    const run = rt.map(input, gated);
    input.fill({ x: -3, tag: 'throws', shape: false }, 0, 20_000); // would throw in the task
    input.length = 30_000;
    const out = await run;
    expect(out).toEqual(Array.from({ length: 40_000 }, (_, i) => 2 * i));
  });

  it('an abort while a worker blocks inside a claimed range rejects the run; the runtime goes on', async () => {
    Atomics.store(gate, 0, 0);
    Atomics.store(gate, 1, 0);
    const controller = new AbortController();
    const run = rt.map(recs(4000, { 1500: -1 }), gated, { signal: controller.signal });
    const started = Atomics.waitAsync(gate, 0, 0);
    if (started.async) await started.value;
    controller.abort(new Error('stop now'));
    await expect(run).rejects.toThrow('stop now');
    expect(await rt.map(recs(100), gated)).toEqual(recs(100).map((r) => 2 * r.x));
  });

  it('text beyond Latin-1 (lone surrogates included) arrives exactly', async () => {
    const tags = ['plain', 'é ü', '日本語', '\u{1F600}', '\ud800', 'x\udfffy'];
    const input = Array.from({ length: 600 }, (_, i) => ({ x: i, tag: tags[i % tags.length]!, shape: true }));
    const out = await rt.map(input, gated);
    expect(out).toEqual(input.map((r) => ({ x2: 2 * r.x, tag: `${r.tag}!` })));
  });

  it('records that do not fit one shape, or too few of them, give the same results (in ordinary chunks from where they stop fitting)', async () => {
    const cases: Array<{ input: Array<Record<string, unknown>>; policy: boolean }> = [
      // A field of mixed kinds (a number among strings), early or late.
      ...[1, 1200, 150_000].map((at) => ({ input: recs(at < 2000 ? 2000 : 160_000).map((r, i) => (i === at ? { ...r, tag: 7 } : r)), policy: at === 1 })),
      // Another key order.
      { input: recs(2000).map((r, i) => (i === 900 ? { tag: r.tag, x: r.x, shape: r.shape } : r)), policy: false },
      // Fewer records than a board is worth: the policy cuts ordinary chunks.
      { input: recs(MIN_SHARED_RECORDS - 1), policy: true },
    ];
    for (const { input, policy } of cases) {
      let trace: RunTrace | undefined;
      const out = await rt.map(input as unknown as Rec[], gated, { onTrace: (t) => (trace = t) });
      expect(out).toEqual(input.map((r) => 2 * (r['x'] as number)));
      // A misfit in the first ranges makes the whole run an ordinary one; later ones only the rest of it.
      if (policy) expect(selfScheduled(trace)).toBe(false);
    }
  });

  it('records that stop fitting while both workers hold object results: each item once, none run twice', async () => {
    // Both workers block in their first ranges (items 0 and 1024, the first two ranges: see cutRanges in
    // schedule/claims.ts); meanwhile the main thread writes the rest into shared memory until the record that does
    // not fit, which closes the board (its range and the rest go back as ordinary work). Only then do the workers
    // go on: their object results end the claims, and the input goes on from the first range not claimed, up to the
    // ranges given back (not to the end: those would run twice, and the run would deliver more results than items).
    Atomics.store(gate, 0, 0);
    Atomics.store(gate, 1, 0);
    const n = 260_000;
    const misfit = 250_000;
    let reads = 0;
    const input: Rec[] = recs(n, { 0: -1, 1024: -1 }, true);
    // A getter: read once when the text is counted at the call, once more when its range is written (and fails).
    input[misfit] = {
      x: misfit,
      get tag(): string {
        reads++;
        return 7 as unknown as string;
      },
      shape: true,
    };
    const run = rt.map(input, gated);
    const started = Atomics.waitAsync(gate, 0, 0);
    if (started.async) await started.value;
    while (reads < 2) await new Promise((resolve) => setImmediate(resolve));
    Atomics.store(gate, 1, 1);
    Atomics.notify(gate, 1);
    const out = await run;
    expect(out).toHaveLength(n);
    expect(out).toEqual(structuredClone(input).map((r) => ({ x2: r.x === -1 ? -1 : 2 * r.x, tag: `${r.tag}!` })));
  });

  // Last: a worker dies here, and its replacement has no gate (the abort test above needs both workers' gates).
  it('a throw, a crash and a string result inside claimed ranges each end as one outcome, in order, at its index', async () => {
    const n = 6000;
    const input = recs(n, { 1111: -3, 2500: -2, 4444: -4 });
    const out = await rt.mapSettled(input, gated);
    expect(out).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const o = out[i]!;
      if (i === 2500) expect(o.status === 'rejected' && o.reason.code).toBe(ErrorCodes.WORKER_CRASHED);
      else if (i === 1111) {
        expect(o.status === 'rejected' && o.reason.message).toContain('item at 1111 throws');
        expect(o.status === 'rejected' && o.reason.index).toBe(1111);
      } else expect(o).toEqual({ status: 'fulfilled', value: i === 4444 ? 'text' : 2 * i });
    }
  });
});
