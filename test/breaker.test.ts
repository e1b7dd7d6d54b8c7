/** CircuitBreaker and FailureHandling on their own: outcomes in, state and verdicts out; no threads, no timers. */
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ItemError, RunError } from '../src/errors.ts';
import { CircuitBreaker } from '../src/schedule/breaker.ts';
import { FailureHandling, type ItemFailure } from '../src/schedule/failures.ts';

const fail = (n: number): Error[] => Array.from({ length: n }, (_, i) => new Error(`boom ${i}`));

describe('CircuitBreaker: closed', () => {
  it('trips when the failure rate over the window reaches the threshold, not before minSamples', () => {
    const b = new CircuitBreaker({ threshold: 0.5, window: 10, minSamples: 6 });
    const chunk = {};
    expect(b.landed(chunk, 0, fail(5))).toBe(false); // 5 samples: below minSamples even at 100%
    expect(b.state).toBe('closed');
    expect(b.landed(chunk, 0, fail(1))).toBe(true);
    expect(b.state).toBe('open');
    expect(b.describe()).toMatch(/^circuit breaker open: 100% of the last 6 items failed \(threshold 50%, at least 6 items\); recent failures: boom 1 \| boom 2 \| boom 3 \| boom 4 \| boom 0$/);
  });

  it('slides: old failures leave the window; more successes than the window hold are a full window of them', () => {
    const b = new CircuitBreaker({ threshold: 0.5, window: 4, minSamples: 4 });
    b.landed({}, 0, fail(1));
    b.landed({}, 1_000_000, []);
    expect(b.rate).toBe(0);
    b.landed({}, 2, fail(1)); // last 4 outcomes: 0 0 1 0 0 → 0 1 0 0
    expect(b.rate).toBe(0.25);
    b.landed({}, 3, []); // the failure leaves the window
    expect(b.rate).toBe(0);
    expect(b.landed({}, 0, fail(1))).toBe(false); // 1 of 4
    expect(b.landed({}, 0, fail(1))).toBe(true); // 2 of 4 reaches 50%
  });

  it('counts a chunk\'s failures before its successes and trips on the failure that reaches the threshold', () => {
    const b = new CircuitBreaker({ threshold: 0.5, window: 4, minSamples: 2 });
    expect(b.landed({}, 10, fail(2))).toBe(true);
    expect(b.state).toBe('open');
  });
});

describe('CircuitBreaker: half-open probe keyed to one chunk', () => {
  function tripped(): CircuitBreaker {
    const b = new CircuitBreaker({ threshold: 0.5, window: 4, minSamples: 2, halfOpenAfterMs: 1000 });
    expect(b.landed({}, 0, fail(2))).toBe(true);
    return b;
  }

  it('wants no probe while open; one probe once half-open; none while it is out', () => {
    const b = tripped();
    expect(b.wantsProbe).toBe(false);
    expect(() => b.probeSent({})).toThrow(/half-open/);
    b.halfOpen();
    expect(b.state).toBe('half-open');
    expect(b.wantsProbe).toBe(true);
    const probe = {};
    b.probeSent(probe);
    expect(b.wantsProbe).toBe(false);
    expect(() => b.probeSent({})).toThrow();
  });

  it('only the probe chunk ends the probe: other chunks landing (sent before the trip) change nothing', () => {
    const b = tripped();
    b.halfOpen();
    const probe = {};
    b.probeSent(probe);
    expect(b.landed({}, 50, [])).toBe(false); // a success of another chunk does not close it
    expect(b.state).toBe('half-open');
    expect(b.landed({}, 0, fail(3))).toBe(false); // a failure of another chunk does not re-open it
    expect(b.state).toBe('half-open');
    expect(b.wantsProbe).toBe(false);
    expect(b.landed(probe, 1, [])).toBe(false);
    expect(b.state).toBe('closed');
    expect(b.rate).toBe(0); // a fresh window
    expect(b.landed({}, 0, fail(1))).toBe(false); // one sample: below minSamples again
  });

  it('a failed probe opens the breaker again', () => {
    const b = tripped();
    b.halfOpen();
    const probe = {};
    b.probeSent(probe);
    expect(b.landed(probe, 0, [new Error('still broken')])).toBe(true);
    expect(b.state).toBe('open');
    expect(b.describe()).toContain('still broken');
    b.halfOpen();
    expect(b.wantsProbe).toBe(true);
  });

  it('a probe that brought no outcome (its worker died before the item began) lets another probe go', () => {
    const b = tripped();
    b.halfOpen();
    const probe = {};
    b.probeSent(probe);
    expect(b.landed(probe, 0, [])).toBe(false);
    expect(b.state).toBe('half-open');
    expect(b.wantsProbe).toBe(true);
    const second = {};
    b.probeSent(second);
    expect(b.landed(probe, 1, [])).toBe(false); // the first probe cannot land twice
    expect(b.state).toBe('half-open');
    b.landed(second, 1, []);
    expect(b.state).toBe('closed');
  });
});

/** An item failure as the dispatcher reports it. */
function failure(index: number, attempts: number, code: (typeof ErrorCodes)[keyof typeof ErrorCodes] = ErrorCodes.WORKER_CRASHED): ItemFailure {
  return { error: new ItemError(code, `item ${index} crashed`, { index, attempts }), item: { index } };
}

describe('FailureHandling: verdicts', () => {
  it('a chunk without failures decides nothing (and allocates no verdict)', () => {
    const f = new FailureHandling(undefined, undefined);
    const a = f.landed({}, 10);
    expect(a).toEqual({ failed: [], retries: [] });
    expect(f.landed({}, 3)).toBe(a);
    expect(f.gate).toBe('open');
  });

  it('retries while attempts remain, with seeded jittered backoff; then fails for good', () => {
    const randoms = [0.5, 0.25];
    const f = new FailureHandling({ retries: 2, minDelayMs: 100, factor: 3 }, undefined, () => randoms.shift()!);
    const first = f.landed({}, 4, [failure(7, 1), failure(9, 1, ErrorCodes.TASK_FAILED)]);
    expect(first.failed.map((e) => e.index)).toEqual([9]); // a thrown error is not retryable by default
    expect(first.retries).toEqual([{ work: { batch: { start: 7, items: [{ index: 7 }] }, attempts: 2, isolating: true }, delayMs: 50 }]);
    const second = f.landed({}, 0, [failure(7, 2)]);
    expect(second.retries[0]!.delayMs).toBe(0.25 * 300);
    expect(second.retries[0]!.work.attempts).toBe(3);
    const third = f.landed({}, 0, [failure(7, 3)]);
    expect(third.retries).toEqual([]);
    expect(third.failed.map((e) => [e.index, e.attempts])).toEqual([[7, 3]]);
  });

  it('reports a trip as a value: with a cool-down, or as the run\'s end', () => {
    const ends = new FailureHandling(undefined, { threshold: 0.5, window: 4, minSamples: 2 });
    const v = ends.landed({}, 0, [failure(0, 1), failure(1, 1)]);
    expect(v.failed).toHaveLength(2);
    expect(v.tripped?.coolDownMs).toBeUndefined();
    expect(v.tripped?.error).toBeInstanceOf(RunError);
    expect(v.tripped?.error.code).toBe(ErrorCodes.CIRCUIT_OPEN);
    expect(ends.gate).toBe('closed');

    const pauses = new FailureHandling(undefined, { threshold: 0.5, window: 4, minSamples: 2, halfOpenAfterMs: 250 });
    expect(pauses.landed({}, 0, [failure(0, 1), failure(1, 1)]).tripped?.coolDownMs).toBe(250);
    expect(pauses.gate).toBe('closed');
    pauses.halfOpen();
    expect(pauses.gate).toBe('probe');
    const probe = {};
    pauses.probeSent(probe);
    expect(pauses.gate).toBe('closed');
    expect(pauses.landed({}, 5).tripped).toBeUndefined(); // not the probe
    expect(pauses.gate).toBe('closed');
    expect(pauses.landed(probe, 0, [failure(2, 1)]).tripped?.coolDownMs).toBe(250);
    pauses.halfOpen();
    const again = {};
    pauses.probeSent(again);
    pauses.landed(again, 1);
    expect(pauses.gate).toBe('open');
  });
});
