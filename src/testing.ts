/**
 * Test hooks: not exported from the package. Lets tests reach a runtime's pool (to kill workers in fault
 * injection) without widening the public surface.
 */
import type { Piscina } from 'piscina';
import { poolSymbol, shelfSymbol, type Runtime } from './runtime.ts';

/** The Piscina pool of a runtime, once it has started one. */
export function poolOf(rt: Runtime): Piscina | undefined {
  return rt[poolSymbol]() as Piscina | undefined;
}

/** Bytes of shared memory a runtime keeps for its next map (transport/buffer-shelf.ts). */
export function shelfBytes(rt: Runtime): number {
  return rt[shelfSymbol]();
}
