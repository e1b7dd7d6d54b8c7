import { describe, expectTypeOf, it } from 'vitest';
import {
  createRuntime,
  defineTask,
  parallelMap,
  taskModule,
  type MapOptions,
  type RuntimeOptions,
  type SpawnOptions,
  type StreamOptions,
  type Task,
  type TaskExportName,
} from '../src/index.ts';
import type { RunSuitesOptions } from '../src/suites/index.ts';
import type { Text } from './fixtures/typed-exports.ts';

type Scoring = typeof import('./fixtures/typed-exports.ts');
const scoring = taskModule<Scoring>(new URL('./fixtures/typed-exports.ts', import.meta.url));

describe('defineTask from a typed module', () => {
  it('infers the item and result types from the named export', () => {
    expectTypeOf(defineTask(scoring, 'score')).toEqualTypeOf<Task<Text, number>>();
    // async exports: the result is the awaited value; the context parameter does not matter
    expectTypeOf(defineTask(scoring, 'tokens')).toEqualTypeOf<Task<Text, string[]>>();
    // no name: the default export
    expectTypeOf(defineTask(scoring)).toEqualTypeOf<Task<string, number>>();
    expectTypeOf(parallelMap([{ id: 1, body: 'a b' }], defineTask(scoring, 'score'))).resolves.toEqualTypeOf<number[]>();
  });

  it('accepts only function exports as names', () => {
    expectTypeOf<TaskExportName<Scoring>>().toEqualTypeOf<'score' | 'tokens' | 'default'>();
    // @ts-expect-error not an export of the module
    void defineTask(scoring, 'scroe');
    // @ts-expect-error an export that is not a function
    void defineTask(scoring, 'version');
  });

  it('checks items against the export at the call', () => {
    // @ts-expect-error the score export takes a Text, not a string
    void parallelMap(['just text'], defineTask(scoring, 'score'));
  });

  it('still takes explicit types with a URL or a path', () => {
    expectTypeOf(defineTask<Text, number>('./score.js', 'score')).toEqualTypeOf<Task<Text, number>>();
    expectTypeOf(defineTask(new URL('file:///x.mjs'))).toEqualTypeOf<Task<unknown, unknown>>();
  });
});

describe('optional options accept undefined (exactOptionalPropertyTypes)', () => {
  it('lets a consumer forward what it was given', () => {
    const forward = (signal: AbortSignal | undefined, threads: number | undefined): void => {
      const map: MapOptions = { signal, timeout: undefined, retries: undefined, breaker: undefined };
      const stream: StreamOptions = { signal, stopSignal: signal, ordered: undefined, highWaterMark: undefined };
      const runtime: RuntimeOptions = { threads, maxHeapMb: undefined };
      const spawn: SpawnOptions = { timeout: undefined, maxHeapMb: undefined };
      const suites: RunSuitesOptions = { signal, parallel: undefined, timeout: undefined };
      void createRuntime(runtime).map([1], (x: number) => x, { ...map, retries: { retries: undefined, jitter: undefined } });
      void [stream, spawn, suites];
    };
    void forward;
  });
});
