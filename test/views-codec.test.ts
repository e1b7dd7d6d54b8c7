// Typed arrays as items or results (src/transport/views.ts): packed end to end and moved, each rebuilt in a buffer
// of its own; anything the packing would change (subclasses, shared memory, mixed classes) is cloned as it is.
import { cross } from './fixtures/cross.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { isPackedPayload, packValues, payloadReader, unpackValues } from '../src/transport/pack.ts';
import { packViews } from '../src/transport/views.ts';
import { TYPED_ARRAYS } from '../src/transport/typed-arrays.ts';
import { createRuntime } from '../src/index.ts';

const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const CLASSES = Object.values(TYPED_ARRAYS);

describe('typed arrays packed end to end', () => {
  it('every class round-trips, each array in a buffer of its own with exactly its elements', () => {
    for (const Class of CLASSES) {
      const big = Class === BigInt64Array || Class === BigUint64Array;
      const values = many(20, (i) => {
        const a = new Class(i % 4 === 0 ? 0 : 3 + i);
        for (let k = 0; k < a.length; k++) (a as unknown as unknown[])[k] = big ? BigInt(i * 7 + k) : Class === Float64Array && k === 1 ? -0 : i * 7 + k;
        return a;
      });
      const packed = packValues(values);
      expect(isPackedPayload(packed?.payload)).toBe(true);
      const out = unpackValues(cross(packed!.payload, packed!.transfer)) as ArrayLike<unknown>;
      expect(Array.from(out)).toEqual(structuredClone(values));
      for (let i = 0; i < values.length; i++) {
        const a = out[i] as InstanceType<typeof Class>;
        expect(Object.getPrototypeOf(a)).toBe(Class.prototype);
        expect(a.byteOffset).toBe(0);
        expect(a.buffer.byteLength).toBe(a.byteLength);
      }
      if (Class === Float64Array) expect(Object.is((out[1] as Float64Array)[1], -0)).toBe(true);
    }
  });

  it('a view of part of a larger buffer arrives with just its bytes; Buffers arrive as Uint8Arrays, as they clone', () => {
    const backing = new Uint8Array(400).map((_, i) => i & 255);
    const views = many(10, (i) => backing.subarray(i * 40 + 1, i * 40 + 30));
    const out = payloadReader(cross(packViews(views)!.packed, packViews(views)!.transfer));
    for (let i = 0; i < 10; i++) {
      const a = out.at(i) as Uint8Array;
      expect(Array.from(a)).toEqual(Array.from(views[i]!));
      expect(a.buffer.byteLength).toBe(29);
    }
    const buffers = many(10, (i) => Buffer.from(`buffer ${i}`));
    const got = unpackValues(packValues(buffers)!.payload) as Uint8Array[];
    expect(got.every((b) => Object.getPrototypeOf(b) === Uint8Array.prototype)).toBe(true);
    expect(got.map((b) => Buffer.from(b).toString())).toEqual(buffers.map((b) => b.toString()));
  });

  it('clones what packing would change: subclasses, shared memory, mixed classes, large arrays, DataViews, too few', () => {
    class Pixels extends Uint8Array {}
    const plain = many(10, () => new Uint8Array(8));
    const withOne = (v: unknown): unknown[] => [...plain.slice(0, 3), v, ...plain.slice(4)];
    expect(packViews(withOne(new Pixels(8)))).toBeNull();
    expect(packViews(withOne(new Uint8Array(new SharedArrayBuffer(8))))).toBeNull();
    expect(packViews(withOne(new Int8Array(8)))).toBeNull();
    expect(packViews(withOne(new DataView(new ArrayBuffer(8))))).toBeNull();
    expect(packViews(withOne([1, 2]))).toBeNull();
    expect(packViews(plain.slice(0, 7))).toBeNull();
    expect(packViews(many(10, () => new Uint8Array(4096)))).toBeNull(); // cloning costs less
    expect(packViews(plain)).not.toBeNull();
  });
});

describe('typed arrays through the workers', () => {
  const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
  afterAll(() => rt.close());
  const invert = (a: Uint8Array): Uint8Array => {
    // In place, then returned: the task owns its array as it would a cloned one.
    if (a.byteOffset !== 0 || a.buffer.byteLength !== a.length) throw new Error('not an array of its own');
    for (let i = 0; i < a.length; i++) a[i] = 255 - a[i]!;
    return a;
  };
  it('items and results: every byte, in order, and the caller\'s arrays untouched', async () => {
    const items = many(5000, (i) => new Uint8Array(16 + (i % 200)).map((_, k) => (i + k) & 255));
    const before = items.map((a) => Array.from(a));
    const out = await rt.map(items, invert);
    expect(out.map((a) => Array.from(a))).toEqual(before.map((a) => a.map((x) => 255 - x)));
    expect(items.map((a) => Array.from(a))).toEqual(before);
    expect(out.every((a) => Object.getPrototypeOf(a) === Uint8Array.prototype)).toBe(true);
  });
});
