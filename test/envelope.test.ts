import { describe, expect, it } from 'vitest';
import { RemoteError } from '../src/index.ts';
import { fromEnvelope, toEnvelope } from '../src/transport/envelope.ts';

/** What crossing a thread does to the envelope: a structured clone. */
const roundTrip = (thrown: unknown): Error => fromEnvelope(structuredClone(toEnvelope(thrown)));

describe('error envelope', () => {
  it('keeps the class of built-in errors, message, stack, code and own fields', () => {
    const original = Object.assign(new TypeError('bad shape'), { code: 'E_SHAPE', item: { id: 7 }, retryable: true });
    const back = roundTrip(original) as TypeError & { code: string; item: unknown; retryable: boolean };
    expect(back).toBeInstanceOf(TypeError);
    expect(back.message).toBe('bad shape');
    expect(back.stack).toBe(original.stack);
    expect(back.code).toBe('E_SHAPE');
    expect(back.item).toEqual({ id: 7 });
    expect(back.retryable).toBe(true);
  });

  it('keeps custom class names and nested causes', () => {
    class ParseError extends Error {
      override name = 'ParseError';
    }
    const root = new Error('disk full');
    const original = new ParseError('cannot parse', { cause: root });
    const back = roundTrip(original);
    expect(back).toBeInstanceOf(RemoteError);
    expect(back.name).toBe('ParseError');
    expect((back.cause as Error).message).toBe('disk full');
    expect((back.cause as Error).stack).toBe(root.stack);
  });

  it('keeps AggregateError members', () => {
    const back = roundTrip(new AggregateError([new RangeError('a'), new Error('b')], 'two failed')) as AggregateError;
    expect(back).toBeInstanceOf(AggregateError);
    expect(back.errors.map((e: Error) => `${e.name}:${e.message}`)).toEqual(['RangeError:a', 'Error:b']);
  });

  it('drops fields that cannot be cloned instead of failing', () => {
    const original = Object.assign(new Error('x'), { callback: () => 1, sym: Symbol('s'), ok: 1 });
    const back = roundTrip(original) as Error & Record<string, unknown>;
    expect(back['ok']).toBe(1);
    expect('callback' in back).toBe(false);
    expect('sym' in back).toBe(false);
  });

  it('describes thrown non-errors', () => {
    const back = roundTrip('just a string') as RemoteError;
    expect(back.name).toBe('NonError');
    expect(back.message).toBe('a non-error value was thrown: just a string');
    expect(back['value']).toBe('just a string');
    expect(roundTrip(Symbol('s')).message).toBe('a non-error value was thrown: Symbol(s)');
  });

  it('survives cyclic causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    let depth = 0;
    for (let e: unknown = roundTrip(a); e instanceof Error; e = e.cause) depth++;
    expect(depth).toBeLessThanOrEqual(9);
  });
});
