// The worker's job permits, without Redis: one job per local thread runs, the one fetched ahead waits its turn in
// order, and a job cancelled while it waits gives up its place without ever holding a permit.
import { describe, expect, it } from 'vitest';
import { Permits } from '../../src/cluster/worker.ts';

describe('worker job permits', () => {
  it('grant in order as permits come back; an aborted waiter never holds one', async () => {
    const permits = new Permits(1);
    const never = new AbortController().signal;
    expect(await permits.acquire(never)).toBe(true);
    const order: string[] = [];
    const cancelled = new AbortController();
    const b = permits.acquire(never).then((ok) => order.push(`b ${ok}`));
    const c = permits.acquire(cancelled.signal).then((ok) => order.push(`c ${ok}`));
    const d = permits.acquire(never).then((ok) => order.push(`d ${ok}`));
    cancelled.abort();
    await c;
    expect(order).toEqual(['c false']);
    permits.release();
    await b;
    expect(order).toEqual(['c false', 'b true']);
    permits.release();
    await d;
    expect(order).toEqual(['c false', 'b true', 'd true']);
    // d holds the only permit; once it is back, the next acquire is granted at once.
    permits.release();
    expect(await permits.acquire(never)).toBe(true);
    const aborted = new AbortController();
    aborted.abort();
    expect(await permits.acquire(aborted.signal)).toBe(false);
  });
});
