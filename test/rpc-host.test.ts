import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask } from '../src/index.ts';

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const rt = createRuntime({ threads: 2, maxHeapMb: 64 });
afterAll(() => rt.close());

describe('host callbacks', () => {
  it('lets tasks in many concurrent chunks call the main thread; counts add up exactly', async () => {
    let total = 0;
    const host = {
      add(n: number) {
        total += n;
      },
      factor: () => 3,
    };
    const items = Array.from({ length: 2_000 }, (_, i) => i);
    const out = await rt.map(items, defineTask<number, number>(fixture('host-task.mjs'), 'countAndScore'), { host, chunkSize: 50 });
    expect(out).toEqual(items.map((i) => i * 3));
    expect(total).toBe(2_000);
  });

  it('rejects the task\'s call with the host function\'s error, envelope preserved', async () => {
    const host = {
      bad(n: number) {
        throw Object.assign(new RangeError(`no ${n}`), { code: 'E_HOST' });
      },
    };
    const out = await rt.map([7], defineTask<number, string>(fixture('host-task.mjs'), 'askBad'), { host });
    expect(out).toEqual(['RangeError|E_HOST|no 7']);
  });

  it('serves each run its own host, and works again after a run without one', async () => {
    const task = defineTask<number, number>(fixture('host-task.mjs'), 'countAndScore');
    let a = 0;
    let b = 0;
    const [ra, rb] = await Promise.all([
      rt.map([1, 2, 3], task, { host: { add: (n: number) => void (a += n), factor: () => 10 } }),
      rt.map([1, 2], task, { host: { add: (n: number) => void (b += n), factor: () => 100 } }),
    ]);
    expect(ra).toEqual([10, 20, 30]);
    expect(rb).toEqual([100, 200]);
    expect([a, b]).toEqual([3, 2]);
    expect(await rt.map([4], defineTask<number, number>(fixture('math.mjs'), 'square'))).toEqual([16]);
  });
});
