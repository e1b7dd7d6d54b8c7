// Typed arrays as items or results (src/transport/views.ts): packed end to end and moved, each read as a view of
// its bytes in the chunk's one buffer; anything the packing would change (subclasses, shared memory, mixed classes)
// is cloned as it is.
import { cross } from './fixtures/cross.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { isPackedPayload, packValues, payloadReader, unpackValues } from '../src/transport/pack.ts';
import { packViews } from '../src/transport/views.ts';
import { TYPED_ARRAYS } from '../src/transport/typed-arrays.ts';
import { createRuntime } from '../src/index.ts';

const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const CLASSES = Object.values(TYPED_ARRAYS);

describe('typed arrays packed end to end', () => {
  it('every class round-trips, each array a view of exactly its elements in the chunk\'s one buffer', () => {
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
      const buffer = (out[0] as InstanceType<typeof Class>).buffer;
      let at = 0;
      for (let i = 0; i < values.length; i++) {
        const a = out[i] as InstanceType<typeof Class>;
        expect(Object.getPrototypeOf(a)).toBe(Class.prototype);
        expect(a.buffer).toBe(buffer);
        expect(a.byteOffset).toBe(at);
        expect(a.length).toBe(values[i]!.length);
        at += a.byteLength;
      }
      expect(buffer.byteLength).toBe(at);
      if (Class === Float64Array) expect(Object.is((out[1] as Float64Array)[1], -0)).toBe(true);
    }
  });

  it('views of parts of a larger buffer travel with just their bytes; Buffers arrive as Uint8Arrays, as they clone', () => {
    const backing = new Uint8Array(400).map((_, i) => i & 255);
    const views = many(10, (i) => backing.subarray(i * 40 + 1, i * 40 + 30));
    const out = payloadReader(cross(packViews(views)!.packed, packViews(views)!.transfer));
    for (let i = 0; i < 10; i++) {
      const a = out.at(i) as Uint8Array;
      expect(Array.from(a)).toEqual(Array.from(views[i]!));
      expect(a.buffer.byteLength).toBe(290);
    }
    const buffers = many(10, (i) => Buffer.from(`buffer ${i}`));
    const got = unpackValues(packValues(buffers)!.payload) as Uint8Array[];
    expect(got.every((b) => Object.getPrototypeOf(b) === Uint8Array.prototype)).toBe(true);
    expect(got.map((b) => Buffer.from(b).toString())).toEqual(buffers.map((b) => b.toString()));
  });

  it('the shared buffer cannot be emptied by transferring one array; a detached one fails the read, named', () => {
    const values = many(10, (i) => new Uint8Array(16).fill(i));
    const packed = packViews(values)!;
    const out = payloadReader(cross(packed.packed, packed.transfer));
    const first = out.at(0) as Uint8Array;
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(first, [first.buffer as ArrayBuffer]); // Node 20 copies an untransferable buffer; later versions refuse
    } catch (error) {
      expect((error as Error).name).toBe('DataCloneError');
    } finally {
      port1.close();
      port2.close();
    }
    expect(Array.from(out.at(9) as Uint8Array)).toEqual(Array.from(values[9]!));
    expect(first.length).toBe(16);
    // Detached before it is read (what ArrayBuffer.prototype.transfer does from Node 22 on).
    const again = packViews(values)!;
    const moved = cross(again.packed, again.transfer);
    structuredClone(moved.data.buffer, { transfer: [moved.data.buffer as ArrayBuffer] });
    const reader = payloadReader(moved);
    expect(() => reader.at(3)).toThrow(expect.objectContaining({ code: 'BT_INVALID_INPUT', message: expect.stringMatching(/^Uint8Array 3 of its chunk cannot be read: .*detached.*slice\(\)/) }));
  });

  it('clones what packing would change: subclasses, shared memory, mixed classes, DataViews, too few', () => {
    class Pixels extends Uint8Array {}
    const plain = many(10, () => new Uint8Array(8));
    const withOne = (v: unknown): unknown[] => [...plain.slice(0, 3), v, ...plain.slice(4)];
    expect(packViews(withOne(new Pixels(8)))).toBeNull();
    expect(packViews(withOne(new Uint8Array(new SharedArrayBuffer(8))))).toBeNull();
    expect(packViews(withOne(new Int8Array(8)))).toBeNull();
    expect(packViews(withOne(new DataView(new ArrayBuffer(8))))).toBeNull();
    expect(packViews(withOne([1, 2]))).toBeNull();
    expect(packViews(plain.slice(0, 7))).toBeNull();
    expect(packViews(many(10, () => new Uint8Array(4096)))).not.toBeNull(); // no size limit per array
    expect(packViews(plain)).not.toBeNull();
  });
});

describe('typed arrays through the workers', () => {
  const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
  afterAll(() => rt.close());
  const invert = (a: Uint8Array): Uint8Array => {
    // In place, then returned: changing its own view changes no other item.
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

  it('a task that transfers its array\'s buffer to a port leaves the other arrays of its chunk whole', async () => {
    const items = many(3000, (i) => new Uint8Array(100).fill(i & 255));
    const sums = await rt.map(items, (a: Uint8Array) => {
      const sum = a.reduce((x, y) => x + y, 0);
      const { port1, port2 } = new MessageChannel();
      try {
        port1.postMessage(a, [a.buffer as ArrayBuffer]);
      } catch {
        // refused (Node 22 on): the buffer stays where it is
      } finally {
        port1.close();
        port2.close();
      }
      return sum;
    });
    expect(sums).toEqual(items.map((_, i) => (i & 255) * 100));
  });

  it('results: transferring one result\'s buffer leaves the other results whole', async () => {
    const out = await rt.map(many(3000, (i) => i), (i: number) => new Uint16Array(8).fill(i));
    try {
      // From the middle: the first chunks are probes of a few items, cloned (a buffer each).
      structuredClone(out[1500]!, { transfer: [out[1500]!.buffer as ArrayBuffer] });
    } catch (error) {
      expect((error as Error).name).toBe('DataCloneError');
    }
    expect(out.map((a) => a[7])).toEqual(many(3000, (i) => i));
  });

  it('a task reads its array as a view: the bytes at byteOffset in a buffer it shares with its chunk (or its own)', async () => {
    const items = many(4000, (i) => new Uint8Array(300).fill(i & 255));
    const seen = await rt.map(items, (a: Uint8Array) => {
      const own = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      return [a.buffer.byteLength > a.byteLength ? 1 : 0, own[0]!, own[299]!, a.byteLength];
    });
    // Chunks of fewer than eight arrays are cloned (a buffer each); the rest share.
    expect(seen.filter((s) => s[0] === 1).length).toBeGreaterThan(items.length / 2);
    expect(seen.map((s) => s.slice(1))).toEqual(items.map((_, i) => [i & 255, i & 255, 300]));
  });
});
