/**
 * What a runtime remembers of its tasks between maps: the per-item cost each task's last completed run measured
 * on warm workers. A later map of the same task starts its chunk-size probe from it (see `priorCostMs` in
 * adaptive.ts), so a program that maps the same task many times does not pay the probe's ten or so round trips,
 * with half the workers idle, on every call: for short maps that was a large share of the wall time.
 */
import type { TaskSpec } from '../task.ts';
import { AdaptivePolicy } from './adaptive.ts';

/** Tasks remembered (the least recently used is forgotten past this). */
const TASKS = 64;

export class CostMemory {
  readonly #costs = new Map<string, number>();

  /** A fresh adaptive policy for a local run of `task` (workers steal), starting from what earlier runs of it learned. */
  policyFor(task: TaskSpec): AdaptivePolicy {
    return new AdaptivePolicy({ stealing: true, priorCostMs: this.#costs.get(keyOf(task)) });
  }

  /** Keep what a completed run of `task` learned (nothing when it never measured a warm chunk). */
  learn(task: TaskSpec, policy: AdaptivePolicy): void {
    const cost = policy.warmCostMs();
    if (cost === null) return;
    const key = keyOf(task);
    this.#costs.delete(key);
    this.#costs.set(key, cost);
    if (this.#costs.size > TASKS) this.#costs.delete(this.#costs.keys().next().value!);
  }
}

/** One string per task: a module export, an inline function's source, or a pipeline's fused stages. */
function keyOf(task: TaskSpec): string {
  return JSON.stringify(task);
}
