/**
 * Numbers travel as typed arrays: a chunk whose items (or results) are all numbers is packed into a Float64Array
 * and moved to the other thread instead of cloned element by element (NaN, -0 and infinities survive).
 */

/** A Float64Array of the values when every one is a number (and there are at least 8), else null. */
export function packNumbers(values: ArrayLike<unknown>): Float64Array | null {
  const n = values.length;
  if (n < 8 || typeof values[0] !== 'number') return null;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number') return null;
    out[i] = v;
  }
  return out;
}
