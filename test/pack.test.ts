import { describe, expect, it } from 'vitest';
import { packNumbers } from '../src/transport/pack.ts';

describe('packNumbers', () => {
  it('packs all-number arrays, keeping NaN, -0 and infinities', () => {
    const values = [1, -0, NaN, Infinity, -Infinity, 2 ** 53, 0.1, -7];
    const packed = packNumbers(values)!;
    expect(packed).toBeInstanceOf(Float64Array);
    expect([...packed]).toEqual(values);
    expect(Object.is(packed[1], -0)).toBe(true);
  });

  it('leaves mixed, short and non-number arrays alone', () => {
    expect(packNumbers([1, 2, 3, 4, 5, 6, 7, '8'])).toBeNull();
    expect(packNumbers([1, 2, 3])).toBeNull();
    expect(packNumbers(['a', 1, 2, 3, 4, 5, 6, 7])).toBeNull();
    expect(packNumbers([1n, 2, 3, 4, 5, 6, 7, 8] as unknown[])).toBeNull();
  });
});
