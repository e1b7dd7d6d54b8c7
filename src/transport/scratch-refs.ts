/**
 * Scratch arrays of references for the records codec: the values of a column that is packed in turn (`lines` of
 * `{ id, lines: [...] }`, `pos` of `{ id, pos: { x, y } }`) and the elements of a list, end to end, are gathered into
 * an array only to be encoded again, once, and dropped. A fresh array for each costs more than the gathering: its
 * backing store is new memory (on the VMs we measured, ~12 µs of page faults per 4 KiB page; bench/page-faults.mjs),
 * grown by copies as it fills. Scratch arrays are kept instead, at their largest length, and written by index.
 *
 * A borrowed array may be longer than what is written into it: readers take `[0, n)`. It is returned cleared
 * (every slot written set back to `undefined`, so it keeps no value alive) and never while anything still holds it:
 * a column that keeps its values (cloned as they are) takes a copy.
 */

/** Arrays kept for reuse (nesting and several packed columns per shape borrow a few at once). */
const KEPT = 8;

/** Longest array kept (2 MiB of references); a longer one is left to the garbage collector after use. */
const MAX_KEPT_LENGTH = 1 << 18;

const free: unknown[][] = [];

/** A scratch array: empty or cleared, of any length; write `[0, n)` by index (`a[i] = v`, i ascending from 0). */
export function borrowRefs(): unknown[] {
  return free.pop() ?? [];
}

/** Give back a borrowed array after its first `used` slots were written (or fewer: slots past its length are skipped). */
export function returnRefs(refs: unknown[], used: number): void {
  if (refs.length > MAX_KEPT_LENGTH || free.length >= KEPT) return;
  refs.fill(undefined, 0, Math.min(used, refs.length));
  free.push(refs);
}
