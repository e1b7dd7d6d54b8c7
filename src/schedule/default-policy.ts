/** The chunk policy a run gets when the caller names no chunk size: the adaptive controller. */
import { createAdaptivePolicy } from './adaptive.ts';
import type { ChunkPolicy } from './policy.ts';

/** A fresh default policy for one run. */
export function createDefaultPolicy(): ChunkPolicy {
  return createAdaptivePolicy();
}
