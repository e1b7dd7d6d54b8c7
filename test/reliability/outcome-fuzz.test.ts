/**
 * Every item ends as exactly one outcome, whatever the input and whatever the path it takes: seeded cases of
 * numbers, typed arrays, strings, records and mixtures, of sizes around the transport's thresholds, with items that
 * do not fit the batch's shape, items whose task throws and items that exit their worker, through `map`, `mapSettled`, `stream` and a one-stage
 * `pipeline` (in order and as completed; from arrays, iterators and async generators), several runs at once on one
 * runtime. Each outcome is
 * compared with the task's own answer computed on this thread (fixtures/judge.mjs is deterministic), so a result
 * lost, duplicated, misplaced or altered fails the test. (A run that delivered ranges twice, 8,625 results for 6,000
 * items, was found this way.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, type ItemError } from '../../src/index.ts';
import { cloneDiff } from '../fixtures/clone-diff.ts';
import { seeded } from '../fixtures/value-fuzz.ts';
import { judge } from './fixtures/judge.mjs';

const task = defineTask<unknown, unknown>(new URL('./fixtures/judge.mjs', import.meta.url), 'judge');
const rt = createRuntime({ threads: 2, maxHeapMb: 256 });
afterAll(() => rt.close());

type Expected = { ok: true; value: unknown } | { ok: false; message: string };
interface Case {
  label: string;
  n: number;
  items: unknown[] | Float64Array;
  want: Expected[];
  api: 'map' | 'mapSettled' | 'stream' | 'pipeline';
  source: 'array' | 'iterator' | 'async';
  ordered: boolean;
}

function makeCase(seed: number): Case {
  const rand = seeded(seed * 104_729);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const n = pick([1, 63, 64, 65, 1000, 1025, 5000, 30_000]);
  const kind = pick(['numbers', 'typed', 'strings', 'records', 'mixed'] as const);
  const deviate = pick([0, 1 / n, 0.01]);
  const boom = pick([0, 1 / n, 0.01]);
  // Items that exit their worker: each costs a worker and isolation rounds, so a few per run at most.
  const crash = pick([0, 0, 2 / n]);
  const misfits: readonly unknown[] = [3.5, 'misfit', { id: -1, text: 'x', extra: 1 }, [1, 2], null];
  const list = Array.from({ length: n }, (_, i): unknown => {
    const fails = rand() < boom;
    if (kind !== 'typed' && rand() < deviate) return pick(misfits);
    if (kind === 'numbers' && rand() < crash) return -17;
    if (kind === 'numbers' || kind === 'typed') return fails && kind === 'numbers' ? -13 : rand() < 0.3 ? 7 * i : 7 * i + 1;
    if (kind === 'strings') return fails ? `boom${i}` : `s${i}-${'x'.repeat(i % 11)}`;
    if (kind === 'records') return fails ? { id: i, text: `t${i}`, boom: true } : { id: i, text: `t${i}` };
    return pick([i, `s${i}`, { id: i, text: 'm' }]);
  });
  const items = kind === 'typed' ? Float64Array.from(list as number[]) : list;
  const want = list.map((item): Expected => {
    try {
      return { ok: true, value: structuredClone(judge(structuredClone(item))) };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  });
  const api = pick(['map', 'mapSettled', 'stream', 'pipeline'] as const);
  const source = kind === 'typed' ? 'array' : pick(['array', 'iterator', 'async'] as const);
  return { label: `seed ${seed}: ${n} ${kind}, ${api} from ${source}`, n, items, want, api, source, ordered: rand() < 0.5 };
}

function sourceOf(c: Case): Iterable<unknown> | AsyncIterable<unknown> {
  if (c.source === 'iterator') return Array.from(c.items).values();
  if (c.source === 'async') {
    const items = Array.from(c.items);
    return (async function* () {
      yield* items;
    })();
  }
  return c.items as unknown[];
}

async function check(c: Case): Promise<void> {
  const failing = c.want.flatMap((w, i) => (w.ok ? [] : [i]));
  if (c.api === 'mapSettled') {
    const out = await rt.mapSettled(sourceOf(c), task);
    expect(out, c.label).toHaveLength(c.n);
    out.forEach((o, i) => {
      const w = c.want[i]!;
      if (w.ok) expect(cloneDiff(w.value, o.status === 'fulfilled' ? o.value : o.reason), `${c.label}, item ${i}`).toBeNull();
      else expect(o.status === 'rejected' && o.reason.message, `${c.label}, item ${i}`).toContain(w.message);
    });
  } else if (c.api === 'map') {
    const run = rt.map(sourceOf(c), task);
    if (failing.length > 0) {
      // The call rejects with one of the failures, naming its item.
      const error = (await run.then(() => null, (e: unknown) => e)) as ItemError;
      expect(failing, c.label).toContain(error.index);
      expect(error.message, c.label).toContain((c.want[error.index] as { message: string }).message);
    } else {
      const out = await run;
      expect(out, c.label).toHaveLength(c.n);
      out.forEach((v, i) => {
        expect(cloneDiff((c.want[i] as { value: unknown }).value, v), `${c.label}, item ${i}`).toBeNull();
      });
    }
  } else {
    const seen = new Uint8Array(c.n);
    let k = 0;
    // A one-stage pipeline gives the same outcomes as a stream (a failure is a StageError naming the task's error).
    const outcomes = c.api === 'stream' ? rt.stream(sourceOf(c), task, { ordered: c.ordered }) : rt.pipeline(sourceOf(c), [task], { ordered: c.ordered });
    for await (const o of outcomes) {
      if (c.ordered) expect(o.index, c.label).toBe(k);
      expect(seen[o.index], `${c.label}: item ${o.index} twice`).toBe(0);
      seen[o.index] = 1;
      const w = c.want[o.index]!;
      if (w.ok) expect(cloneDiff(w.value, o.status === 'fulfilled' ? o.value : o.reason), `${c.label}, item ${o.index}`).toBeNull();
      else expect(o.status === 'rejected' && o.reason.message, `${c.label}, item ${o.index}`).toContain(w.message);
      k++;
    }
    expect(k, c.label).toBe(c.n);
  }
}

describe('one outcome per item, under seeded fuzzing', () => {
  it('runs of every input kind, size and API, several at once', async () => {
    const apis = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const cases = Array.from({ length: 2 + (round % 3) }, (_, j) => makeCase(round * 10 + j + 1));
      for (const c of cases) apis.add(c.api);
      await Promise.all(cases.map(check));
    }
    expect(apis.size).toBe(4);
  });
});
