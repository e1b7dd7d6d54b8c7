/**
 * How a worker runs one chunk job on its local runtime, cheaply enough that ~10 µs items stay worth sending:
 *
 * - One adaptive chunk policy per task, kept across jobs: the first job of a task probes its cost (chunk sizes
 *   1, 2, 4, ...); later jobs start at the learned size. A policy per job would probe again and end in a tail of
 *   one-item chunks on every job, a dozen local round trips each with the thread idle.
 * - Within a job, chunks are at most `ceil(items / threads)`, so a small job still spreads over the threads, and
 *   there is no shrinking tail: the jobs fetched ahead keep the threads busy, and local work stealing evens out
 *   the end of a job.
 * - Outcomes go to a sink that keeps results as they arrive (numbers in one Float64Array) and the failures apart,
 *   not one `{ status, value }` object per item.
 */
import type { ItemError } from '../errors.ts';
import { createAdaptivePolicy, type AdaptivePolicy } from '../schedule/adaptive.ts';
import type { ChunkCompletion, ChunkPolicy, ChunkRequest } from '../schedule/policy.ts';
import type { RunSink } from '../pipeline/seam.ts';
import { packNumbers } from '../transport/pack.ts';

/** Tasks whose learned policy a worker keeps (the least recently used is dropped past this). */
const KEPT_TASKS = 64;

/** The learned chunk policies of a worker, one per task (module hash + export). */
export class TaskPolicies {
  readonly #byTask = new Map<string, AdaptivePolicy>();

  /** The policy of one job of `taskKey`: it shares what earlier jobs of that task learned. */
  forJob(taskKey: string): ChunkPolicy {
    let inner = this.#byTask.get(taskKey);
    if (inner) this.#byTask.delete(taskKey);
    else inner = createAdaptivePolicy();
    this.#byTask.set(taskKey, inner);
    if (this.#byTask.size > KEPT_TASKS) this.#byTask.delete(this.#byTask.keys().next().value!);
    return new JobPolicy(inner);
  }
}

/** A task's shared policy as one job sees it: sizes capped at an even share of the job, without a tail. */
export class JobPolicy implements ChunkPolicy {
  readonly #inner: ChunkPolicy;
  #share = 0;
  constructor(inner: ChunkPolicy) {
    this.#inner = inner;
  }
  next(request: ChunkRequest): number {
    // The first request sees the whole job (remaining = its items).
    if (this.#share === 0 && request.remaining !== null) this.#share = Math.max(1, Math.ceil(request.remaining / Math.max(1, request.threads)));
    const size = this.#inner.next({ ...request, remaining: null });
    return this.#share > 0 ? Math.min(size, this.#share) : size;
  }
  observe(completion: ChunkCompletion): void {
    this.#inner.observe(completion);
  }
  maxInFlight(threads: number): number {
    return this.#inner.maxInFlight(threads);
  }
  setMainPressure(ratio: number): void {
    this.#inner.setMainPressure?.(ratio);
  }
}

/** The outcomes of one job: results by position (numbers in a Float64Array while they all are), failures apart. */
export class JobResults implements RunSink {
  readonly #n: number;
  #numbers: Float64Array | undefined;
  #list: unknown[] | undefined;
  readonly #failures: ItemError[] = [];

  constructor(items: number) {
    this.#n = items;
  }

  values(start: number, values: ArrayLike<unknown>, from: number, to: number): void {
    if (values instanceof Float64Array && this.#list === undefined) {
      (this.#numbers ??= new Float64Array(this.#n)).set(values.subarray(from, to), start + from);
      return;
    }
    const list = this.#generic();
    for (let k = from; k < to; k++) list[start + k] = values[k];
  }

  value(index: number, value: unknown): void {
    if (typeof value === 'number' && this.#list === undefined) (this.#numbers ??= new Float64Array(this.#n))[index] = value;
    else this.#generic()[index] = value;
  }

  failure(error: ItemError): void {
    this.#failures.push(error);
  }

  /** Results by position (any value where an item failed) and the failures in input order. */
  result(): { values: unknown[] | Float64Array; failures: ItemError[] } {
    const failures = this.#failures.sort((a, b) => a.index - b.index);
    if (this.#list === undefined) return { values: this.#numbers ?? new Float64Array(this.#n), failures };
    return { values: (failures.length === 0 ? packNumbers(this.#list) : null) ?? this.#list, failures };
  }

  #generic(): unknown[] {
    if (this.#list === undefined) {
      this.#list = this.#numbers ? Array.from(this.#numbers) : Array.from({ length: this.#n });
      this.#numbers = undefined;
    }
    return this.#list;
  }
}
