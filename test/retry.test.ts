/** RetryPolicy on its own: who runs again and after how long (backoff, cap, full jitter from a seeded random). */
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ItemError, type ErrorCode } from '../src/errors.ts';
import { isRetryableByDefault, RetryPolicy } from '../src/schedule/retry.ts';

const err = (code: ErrorCode, attempts = 1, cause?: unknown): ItemError =>
  new ItemError(code, 'failed', { index: 0, attempts, ...(cause === undefined ? {} : { cause }) });

/** A small seeded LCG, so jittered delays are reproducible. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('RetryPolicy', () => {
  it('retries nothing by default', () => {
    expect(new RetryPolicy().shouldRetry(err(ErrorCodes.WORKER_CRASHED))).toBe(false);
  });

  it('allows `retries` more attempts, then no more', () => {
    const p = new RetryPolicy({ retries: 2 });
    expect([1, 2, 3].map((a) => p.shouldRetry(err(ErrorCodes.TIMEOUT, a)))).toEqual([true, true, false]);
  });

  it('by default retries crashes and timeouts, and thrown errors only when marked retryable', () => {
    expect(isRetryableByDefault(err(ErrorCodes.WORKER_CRASHED))).toBe(true);
    expect(isRetryableByDefault(err(ErrorCodes.TIMEOUT))).toBe(true);
    expect(isRetryableByDefault(err(ErrorCodes.WORKER_OOM))).toBe(false);
    expect(isRetryableByDefault(err(ErrorCodes.DATA_CLONE))).toBe(false);
    expect(isRetryableByDefault(err(ErrorCodes.TASK_FAILED, 1, new Error('plain')))).toBe(false);
    expect(isRetryableByDefault(err(ErrorCodes.TASK_FAILED, 1, Object.assign(new Error('flaky'), { retryable: true })))).toBe(true);
    expect(isRetryableByDefault(err(ErrorCodes.TASK_FAILED, 1, Object.assign(new Error('odd'), { retryable: 'yes' })))).toBe(false);
  });

  it('asks a custom predicate, and treats one that throws or answers non-true as no', () => {
    const seen: number[] = [];
    const p = new RetryPolicy({
      retries: 5,
      retryable: (e) => {
        seen.push(e.attempts);
        return e.attempts < 3;
      },
    });
    expect([1, 2, 3].map((a) => p.shouldRetry(err(ErrorCodes.WORKER_OOM, a)))).toEqual([true, true, false]);
    expect(seen).toEqual([1, 2, 3]);
    const throwing = new RetryPolicy({ retries: 5, retryable: () => { throw new Error('bad predicate'); } });
    expect(throwing.shouldRetry(err(ErrorCodes.WORKER_CRASHED))).toBe(false);
    const truthy = new RetryPolicy({ retries: 5, retryable: () => 1 as unknown as boolean });
    expect(truthy.shouldRetry(err(ErrorCodes.WORKER_CRASHED))).toBe(false);
  });

  it('backs off exponentially from minDelayMs by factor, capped at maxDelayMs (no jitter)', () => {
    const p = new RetryPolicy({ minDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: false });
    expect([1, 2, 3, 4, 5, 6].map((a) => p.delayMs(a))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(new RetryPolicy({ jitter: false }).delayMs(1)).toBe(100);
    expect(new RetryPolicy({ jitter: false }).delayMs(20)).toBe(10_000);
  });

  it('full jitter: each delay is random() × the ceiling, reproducible with a seeded random', () => {
    const options = { minDelayMs: 100, factor: 3, maxDelayMs: 5000 };
    const a = new RetryPolicy(options, seeded(7));
    const b = new RetryPolicy(options, seeded(7));
    const reference = seeded(7);
    const ceilings = [100, 300, 900, 2700, 5000, 5000];
    const delays = ceilings.map((_, i) => a.delayMs(i + 1));
    expect(ceilings.map((_, i) => b.delayMs(i + 1))).toEqual(delays);
    for (const [i, d] of delays.entries()) {
      expect(d).toBe(reference() * ceilings[i]!);
      expect(d).toBeLessThan(ceilings[i]!);
    }
    expect(new Set(delays.map((d, i) => d / ceilings[i]!)).size).toBe(6); // not in lockstep
  });
});
