/**
 * `proxy()` and `transfer()` for host objects and dedicated-worker calls, typed without comlink's declarations
 * (which need DOM typings): the same functions, batchtools' signatures.
 */
import * as comlink from 'comlink';
import type { TransferListItem } from 'node:worker_threads';

/** Pass `value` by reference (a callback the other thread calls back) instead of cloning it. */
export function proxy<T extends object>(value: T): T {
  return comlink.proxy(value);
}

/** Send `value` with `transferables` moved, not copied (an ArrayBuffer, a MessagePort). */
export function transfer<T>(value: T, transferables: readonly TransferListItem[]): T {
  return comlink.transfer(value, transferables as unknown as Parameters<typeof comlink.transfer>[1]);
}
