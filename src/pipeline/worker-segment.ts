/**
 * A worker segment: one run of the segment's composite task on the shared pool. Its source is the pipeline's
 * input (first segment: run positions are input indices) or the channel before it; each outcome is decoded (a
 * dropped item, a flatMap's outputs, a value) and handed on. The run pauses while the next segment has no room.
 */
import type { ItemError } from '../errors.ts';
import { DROPPED, decodeValue } from '../worker/composite.ts';
import type { Channel, Downstream } from './channel.ts';
import type { Collector } from './collector.ts';
import { toStageError } from './errors.ts';
import { startRun, type RunHandle, type RunStarter } from './seam.ts';
import type { WorkerSegmentPlan } from './stages.ts';

export class WorkerSegment {
  readonly #plan: WorkerSegmentPlan;
  readonly #input: Channel | null;
  readonly #down: Downstream;
  readonly #collector: Collector;
  #run: RunHandle | undefined;

  /** `input` null: this segment reads the pipeline's items itself. */
  constructor(plan: WorkerSegmentPlan, input: Channel | null, down: Downstream, collector: Collector) {
    this.#plan = plan;
    this.#input = input;
    this.#down = down;
    this.#collector = collector;
  }

  /** Start the run. `done` settles with it: the next segment is told the end, or the pipeline fails. */
  start(rt: RunStarter, items: unknown, options: object, onFailure: (error: unknown) => void): void {
    // Reading the pipeline's input and ending it (no flatMap): a chunk's outcomes are made in bulk.
    const bulk = this.#input === null && (this.#down as unknown) === this.#collector && !this.#plan.endsFlat;
    // The entry keeps the pipeline's window; it widens it as its chunks grow, so chunks landing out of order never
    // fill the window while the pool could work (2 chunks in flight per thread, plus the one being consumed).
    const chunksHeld = 2 * Math.max(1, rt.plan.threads) + 1;
    let largest = 0;
    const grew = (n: number): void => {
      if (n <= largest) return;
      largest = n;
      this.#collector.widen(chunksHeld * n);
    };
    const sink = {
      value: (index: number, value: unknown): void => this.#outcome(index, value),
      values: bulk
        ? (start: number, values: ArrayLike<unknown>, from: number, to: number): void => {
            grew(to - from);
            this.#collector.putRun(start, values, from, to);
          }
        : (start: number, values: ArrayLike<unknown>, from: number, to: number): void => {
            if (this.#input === null) grew(to - from);
            for (let k = from; k < to; k++) this.#outcome(start + k, values[k]);
          },
      failure: (error: ItemError): void => this.#failure(error),
      // The entry segment also keeps the pipeline's window; the others only need room after them.
      ready: this.#input ? (): boolean => this.#down.hasRoom() : (): boolean => this.#down.hasRoom() && this.#collector.admits(),
    };
    this.#run = rt[startRun](this.#input ?? items, this.#plan.task, options, sink);
    this.#run.done.then(
      () => this.#down.end(),
      (error: unknown) => onFailure(error),
    );
  }

  resume(): void {
    this.#run?.resume();
  }

  cancel(reason: unknown): void {
    this.#run?.cancel(reason);
  }

  #outcome(position: number, value: unknown): void {
    let input = position;
    let path: number[] | null = null;
    if (this.#input) {
      const carrier = this.#input.taken(position);
      input = carrier.input;
      path = carrier.path;
    }
    if (!this.#plan.endsFlat) {
      if (value === DROPPED) this.#collector.drop(input, path);
      else this.#down.put(input, path, typeof value === 'object' ? decodeValue(value) : value);
      return;
    }
    const outputs = value as unknown[];
    this.#collector.expand(input, outputs.length);
    for (let j = 0; j < outputs.length; j++) this.#down.put(input, path === null ? [j] : [...path, j], outputs[j]);
  }

  #failure(error: ItemError): void {
    let input = error.index;
    let path: number[] | null = null;
    if (this.#input) {
      const carrier = this.#input.taken(error.index);
      input = carrier.input;
      path = carrier.path;
    }
    this.#collector.fail(input, path, toStageError(error, input, this.#plan));
  }
}
