import { afterAll, describe, expect, it } from 'vitest';
import { parseNumberFlag, Rules } from '../src/base/validate.ts';
import {
  BatchtoolsError,
  createRuntime,
  ErrorCodes,
  InvalidInputError,
  InvalidOptionError,
  isBatchtoolsError,
  ItemError,
  RunError,
} from '../src/index.ts';
import { runSuites } from '../src/suites/index.ts';

const rt = createRuntime({ threads: 1, maxHeapMb: 64 });
afterAll(() => rt.close());

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

async function rejected(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('option errors follow Node: TypeError for a wrong type, RangeError for a value out of range', () => {
  const wrongType: Array<[string, () => unknown, string]> = [
    ['threads: "4"', () => createRuntime({ threads: '4' as never }), '`options.threads` must be a positive integer, got "4" (string)'],
    ['options: 5', () => createRuntime(5 as never), '`options` must be an object, got 5 (number)'],
    ['a typo', () => createRuntime({ treads: 2 } as never), '`options.treads` is not a known option (did you mean `threads`?); known: threads, maxHeapMb'],
    ['unknown key', () => createRuntime({ size: 2 } as never), '`options.size` is not a known option; known: threads, maxHeapMb'],
  ];
  it.each(wrongType)('%s → TypeError', (_, fn, message) => {
    const error = thrown(fn);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(RangeError);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toBeInstanceOf(BatchtoolsError);
    expect(isBatchtoolsError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'InvalidOptionError', code: ErrorCodes.INVALID_OPTION, message });
  });

  const outOfRange: Array<[string, () => unknown, string]> = [
    ['threads: 0', () => createRuntime({ threads: 0 }), '`options.threads` must be a positive integer, got 0 (number)'],
    ['threads: 1.5', () => createRuntime({ threads: 1.5 }), '`options.threads` must be a positive integer, got 1.5 (number)'],
    ['threads: NaN', () => createRuntime({ threads: Number.NaN }), '`options.threads` must be a positive integer, got NaN (number)'],
  ];
  it.each(outOfRange)('%s → RangeError', (_, fn, message) => {
    const error = thrown(fn);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toBeInstanceOf(BatchtoolsError);
    expect(error).toMatchObject({ name: 'InvalidOptionError', code: ErrorCodes.INVALID_OPTION, option: 'options.threads', message });
  });

  it('map options reject (never throw) with the same classes', async () => {
    const square = (x: number): number => x * x;
    const type = await rejected(rt.map([1], square, { signal: 'stop' as never }));
    expect(type).toBeInstanceOf(TypeError);
    expect(type.message).toBe('`options.signal` must be an AbortSignal, got "stop" (string)');
    const range = await rejected(rt.map([1], square, { retries: { factor: 0.5 } }));
    expect(range).toBeInstanceOf(RangeError);
    expect(range.message).toBe('`options.retries.factor` must be a finite number >= 1, got 0.5 (number)');
    const breaker = await rejected(rt.map([1], square, { breaker: { threshold: 2 } }));
    expect(breaker).toBeInstanceOf(RangeError);
    expect(breaker.message).toBe('`options.breaker.threshold` must be a number in (0, 1], got 2 (number)');
  });

  it('a non-iterable items rejects with a TypeError (InvalidInputError, BT_INVALID_INPUT)', async () => {
    const error = await rejected(rt.map(5 as never, (x: number) => x));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toBeInstanceOf(BatchtoolsError);
    expect(error).toMatchObject({ name: 'InvalidInputError', code: ErrorCodes.INVALID_INPUT });
  });

  it('the suite runner uses the same grammar and classes', async () => {
    const error = await rejected(runSuites(['x.bench.mjs'], { parallel: 0 }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('`options.parallel` must be a positive integer, got 0 (number)');
    const type = await rejected(runSuites(['x.bench.mjs'], { timeout: '5s' as never }));
    expect(type).toBeInstanceOf(TypeError);
    expect(type.message).toBe('`options.timeout` must be a finite number > 0, got "5s" (string)');
  });
});

describe('names from other pools get a hint', () => {
  it.each(['concurrency', 'maxThreads', 'minThreads', 'workers'])('createRuntime({ %s }) suggests threads', (key) => {
    const error = thrown(() => createRuntime({ [key]: 4 } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(`\`options.${key}\` is not a known option (did you mean \`threads\`?); known: threads, maxHeapMb`);
  });

  it('a map names the call that takes threads', async () => {
    const square = (x: number): number => x * x;
    const alias = await rejected(rt.map([1], square, { concurrency: 2 } as never));
    expect(alias.message).toMatch(/^`options\.concurrency` is not a known option \(batchtools calls it `threads`, an option of createRuntime\(\)\); known: /);
    const misplaced = await rejected(rt.map([1], square, { threads: 2 } as never));
    expect(misplaced.message).toMatch(/^`options\.threads` is not a known option \(`threads` is an option of createRuntime\(\)\); known: /);
  });
});

describe('command-line numbers', () => {
  it('are checked by the same rules, worded for flags', () => {
    expect(parseNumberFlag('--threads', '4', Rules.positiveInteger)).toBe(4);
    for (const text of ['0', '-1', '1.5', 'four', '', ' ', '1e3', '9007199254740993']) {
      expect(() => parseNumberFlag('--threads', text, Rules.positiveInteger), text).toThrow(
        `--threads must be a positive integer, got ${JSON.stringify(text)}`,
      );
    }
    expect(parseNumberFlag('--retries', '0', Rules.nonNegativeInteger)).toBe(0);
    expect(parseNumberFlag('--confidence', '0.9', { text: 'a number in (0, 1)', min: 0, above: true, max: 1, below: true })).toBe(0.9);
    expect(() => parseNumberFlag('--confidence', '1', { text: 'a number in (0, 1)', min: 0, above: true, max: 1, below: true })).toThrow(
      '--confidence must be a number in (0, 1), got "1"',
    );
  });
});

describe('instanceof across two copies of the package', () => {
  it('recognises errors made by another copy as the same classes, and only those', async () => {
    // A second instance of the errors module, as a dependency bundling its own copy of batchtools would load it.
    const specifier = '../src/base/errors.ts?second-copy';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import('../src/base/errors.ts');
    expect(copy.ItemError).not.toBe(ItemError);
    const foreign = new copy.ItemError(ErrorCodes.TIMEOUT, 'item 3 timed out', { index: 3, attempts: 1 });
    expect(foreign).toBeInstanceOf(ItemError);
    expect(foreign).toBeInstanceOf(BatchtoolsError);
    expect(foreign).toBeInstanceOf(Error);
    expect(foreign).not.toBeInstanceOf(RunError);
    expect(new copy.RunError(ErrorCodes.CIRCUIT_OPEN, 'open')).not.toBeInstanceOf(ItemError);
    const range = copy.InvalidOptionError.range('options.threads', 'bad');
    expect(range).toBeInstanceOf(InvalidOptionError);
    expect(range).toBeInstanceOf(RangeError);
    expect(new copy.InvalidInputError('not iterable')).toBeInstanceOf(InvalidInputError);
    // and the other way round
    expect(new ItemError(ErrorCodes.TIMEOUT, 'x', { index: 0, attempts: 1 })).toBeInstanceOf(copy.ItemError);
    // look-alikes without the brand are not ours
    expect(Object.assign(new Error('x'), { code: ErrorCodes.TIMEOUT, name: 'ItemError' })).not.toBeInstanceOf(ItemError);
    expect(Object.assign(new TypeError('x'), { code: ErrorCodes.INVALID_OPTION })).not.toBeInstanceOf(InvalidOptionError);
  });

  it('subclasses keep working with instanceof', () => {
    class MyError extends RunError {}
    const mine = new MyError(ErrorCodes.CIRCUIT_OPEN, 'mine');
    expect(mine).toBeInstanceOf(MyError);
    expect(mine).toBeInstanceOf(RunError);
    expect(mine).toBeInstanceOf(BatchtoolsError);
    expect(mine.name).toBe('MyError');
    expect(new RunError(ErrorCodes.CIRCUIT_OPEN, 'plain')).not.toBeInstanceOf(MyError);
  });
});
