import { describe, expectTypeOf, it } from 'vitest';
import { createRuntime, type Dedicated } from '../src/index.ts';

type Model = typeof import('./fixtures/model.ts');

describe('Remote surface of a dedicated worker', () => {
  it('turns methods into promise-returning ones and values into promises', async () => {
    const model = await createRuntime().spawn<Model>(new URL('./fixtures/model.ts', import.meta.url));
    expectTypeOf(model).toEqualTypeOf<Dedicated<Model>>();
    expectTypeOf(model.load).parameters.toEqualTypeOf<[string[]]>();
    expectTypeOf(model.load(['a'])).toEqualTypeOf<Promise<number>>();
    expectTypeOf<Awaited<ReturnType<typeof model.lookup>>>().toEqualTypeOf<number | undefined>();
    expectTypeOf(model.kind).toEqualTypeOf<Promise<'model'>>();
    expectTypeOf(model.close()).toEqualTypeOf<Promise<void>>();
    // @ts-expect-error a non-function export is not callable
    void model.kind();
    // @ts-expect-error wrong argument type
    void model.load('not an array');
    // @ts-expect-error no such export
    void model.missing();
  });
});

describe('ctx.host', () => {
  it('is a Remote of the host type', () => {
    type Host = { add(n: number): void; factor(): number };
    type Ctx = import('../src/index.ts').TaskContext<Host>;
    expectTypeOf<ReturnType<Ctx['host']['add']>>().toEqualTypeOf<Promise<void>>();
    expectTypeOf<ReturnType<Ctx['host']['factor']>>().toEqualTypeOf<Promise<number>>();
    expectTypeOf<Ctx['host']['add']>().parameters.toEqualTypeOf<[number]>();
  });
});
