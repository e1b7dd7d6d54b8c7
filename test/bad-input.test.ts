import { afterAll, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineTask,
  ErrorCodes,
  InvalidInputError,
  InvalidOptionError,
  TaskLoadError,
  RunError,
} from '../src/index.ts';

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const rt = createRuntime({ threads: 1, maxHeapMb: 128 });
afterAll(() => rt.close());

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('task modules', () => {
  it('rejects a missing module before any work, naming the path', async () => {
    const error = await rejection(rt.map([1], defineTask(fixture('nope.mjs'), 'x')));
    expect(error).toBeInstanceOf(TaskLoadError);
    expect((error as TaskLoadError).code).toBe(ErrorCodes.TASK_LOAD);
    expect(error.message).toBe(`task module not found: ${fixture('nope.mjs').pathname} (check the path given to defineTask())`);
  });

  it('rejects a module without the named export, listing what it has', async () => {
    const error = await rejection(rt.map([1], defineTask(fixture('math.mjs'), 'cube')));
    expect(error).toBeInstanceOf(TaskLoadError);
    expect(error.message).toBe(
      `task module ${fixture('math.mjs').pathname} has no export "cube" (its function exports: asyncDouble, default, failOnOdd, returnsFunction, spin, square, threadOrFunction)`,
    );
  });

  it('rejects an export that is not a function', async () => {
    const error = await rejection(rt.mapSettled([1], defineTask(fixture('math.mjs'), 'notAFunction')));
    expect(error.message).toBe(`export "notAFunction" of ${fixture('math.mjs').pathname} is a number, expected a function`);
  });

  it('rejects a module that throws at import, with its error as cause', async () => {
    const error = await rejection(rt.mapSettled([1, 2], defineTask(fixture('throws-at-import.mjs'), 'x')));
    expect(error).toBeInstanceOf(TaskLoadError);
    expect(error.message).toContain('failed to load: this module cannot be loaded');
    expect((error.cause as Error).message).toBe('this module cannot be loaded');
  });

  it('stops with one clear error when every worker dies while loading the module', async () => {
    const error = await rejection(rt.mapSettled([1, 2, 3], defineTask(fixture('exits-at-import.mjs'), 'never')));
    expect(error).toBeInstanceOf(RunError);
    expect((error as RunError).code).toBe(ErrorCodes.STARTUP_FAILED);
    expect(error.message).toContain('workers keep dying before the task is loaded');
    expect(await rt.map([2], defineTask<number, number>(fixture('math.mjs'), 'square'))).toEqual([4]);
  });

  it('rejects bad defineTask arguments at once', () => {
    expect(() => defineTask(42 as unknown as string)).toThrow('`module` must be a file URL or a path string, got 42 (number)');
    expect(() => defineTask('x.mjs', '')).toThrow('`exportName` must be a non-empty string, got "" (string)');
  });
});

describe('items and tasks', () => {
  it('rejects non-iterable items', async () => {
    const task = defineTask(fixture('math.mjs'));
    for (const [items, shown] of [
      [5, '5 (number)'],
      [null, 'null (null)'],
      [{ length: 2 }, '[object Object] (object)'],
      ['abc', '"abc" (string)'],
    ] as const) {
      const error = await rejection(rt.map(items as never, task));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe(`\`items\` must be an array, an iterable or an async iterable, got ${shown}`);
    }
  });

  it('rejects a task that is neither a handle nor a function', async () => {
    const error = await rejection(rt.map([1], 'square' as never));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toBe('`task` must be a task from defineTask() or a self-contained function, got "square" (string)');
  });

  it('rejects native and bound functions as inline tasks', async () => {
    const error = await rejection(rt.map([1], Math.sqrt));
    expect(error.message).toContain('is a native or bound function (sqrt)');
  });

  it('rejects rather than throws from every async entry point', () => {
    const p = rt.map(7 as never, defineTask(fixture('math.mjs')));
    expect(p).toBeInstanceOf(Promise);
    return expect(p).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('options', () => {
  const task = defineTask(fixture('math.mjs'));
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ chunkSize: 0 }, '`options.chunkSize` must be a positive integer, got 0 (number)'],
    [{ chunkSize: 1.5 }, '`options.chunkSize` must be a positive integer, got 1.5 (number)'],
    [{ signal: {} }, '`options.signal` must be an AbortSignal, got [object Object] (object)'],
    [{ onProgress: 1 }, '`options.onProgress` must be a function, got 1 (number)'],
    [{ abortGraceMs: -1 }, '`options.abortGraceMs` must be a finite number >= 0, got -1 (number)'],
    [{ trace: 'yes' }, '`options.trace` must be a boolean, got "yes" (string)'],
    [{ chunksize: 4 }, '`options.chunksize` is not a known option (did you mean `chunkSize`?); known: signal, onProgress, chunkSize, trace, onTrace, abortGraceMs, timeout, retries, breaker, host'],
  ];
  it.each(cases)('map options %j', async (options, message) => {
    const error = await rejection(rt.map([1], task, options as never));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toBe(message);
  });

  it('stream options', async () => {
    const it1 = rt.stream([1], task, { highWaterMark: 0 });
    await expect(it1.next()).rejects.toThrow('`options.highWaterMark` must be a positive integer, got 0 (number)');
    const it2 = rt.stream([1], task, { ordered: 1 as never });
    await expect(it2.next()).rejects.toThrow('`options.ordered` must be a boolean, got 1 (number)');
  });

  it('runtime options', () => {
    expect(() => createRuntime({ threads: -1 })).toThrow('`options.threads` must be a positive integer, got -1 (number)');
    expect(() => createRuntime({ threads: 1.5 })).toThrow('`options.threads` must be a positive integer, got 1.5 (number)');
    expect(() => createRuntime({ threads: '2' as never })).toThrow('`options.threads` must be a positive integer, got "2" (string)');
    expect(() => createRuntime({ maxHeapMb: 0 })).toThrow('`options.maxHeapMb` must be a positive integer, got 0 (number)');
    expect(() => createRuntime({ thread: 2 } as never)).toThrow('`options.thread` is not a known option');
  });
});
