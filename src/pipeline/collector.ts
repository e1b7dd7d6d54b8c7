/**
 * The end of a pipeline: turns what the last segment produced, what filters dropped and what failed into
 * outcomes for the consumer, in input order (an input is released once all values descending from it are decided,
 * its outputs sorted by their flatMap positions) or as they come. It also says how much is held, for backpressure.
 */
import { DROPPED, decodeValue } from '../worker/composite.ts';
import { Deque, type Downstream } from './channel.ts';
import type { StageError } from './errors.ts';

/** One outcome of a pipeline: a value that came out of the last stage, or a failure, with its input `index`. */
export type PipelineResult<O = unknown> =
  | { index: number; status: 'fulfilled'; value: O }
  | { index: number; status: 'rejected'; reason: StageError };

/** An input whose values are spread over several flatMap outputs: how many are still undecided, and what came out. */
class Group {
  pending: number;
  readonly outs: Array<{ path: number[]; result: PipelineResult }> = [];
  constructor(pending: number) {
    this.pending = pending;
  }
}

/** A decided input with no outcome (every value was filtered out). */
const NOTHING: PipelineResult[] = [];

function comparePaths(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
  return a.length - b.length;
}

/** The outcomes of `span` consecutive inputs decided together (a chunk's run), kept at the first one's place. */
class Run {
  readonly outs: PipelineResult[];
  readonly span: number;
  constructor(outs: PipelineResult[], span: number) {
    this.outs = outs;
    this.span = span;
  }
}

type Entry = PipelineResult | PipelineResult[] | Run;

/** Decided inputs waiting for the ones before them, indexed by input number in a growable ring. */
class Reorder {
  #slots: Array<Entry | undefined> = new Array(1024);
  #mask = 1023;
  /** The next input to release. */
  base = 0;
  /** One past the highest input set. */
  top = 0;
  /** Decide `input` (a Run: inputs `input` to `input + span - 1`). */
  set(input: number, entry: Entry): void {
    while (input - this.base > this.#mask) this.#grow();
    this.#slots[input & this.#mask] = entry;
    const end = entry instanceof Run ? input + entry.span : input + 1;
    if (end > this.top) this.top = end;
  }
  /** Move past `span` inputs decided without an entry (their outcomes went straight out). */
  skip(span: number): void {
    this.base += span;
    if (this.base > this.top) this.top = this.base;
  }
  /** The entry of `base` if it is decided (and moves past it). */
  take(): Entry | undefined {
    const at = this.base & this.#mask;
    const entry = this.#slots[at];
    if (entry !== undefined) {
      this.#slots[at] = undefined;
      this.base += entry instanceof Run ? entry.span : 1;
    }
    return entry;
  }
  #grow(): void {
    const old = this.#slots;
    const size = old.length * 2;
    const slots = new Array<Entry | undefined>(size);
    for (let i = this.base; i < this.top; i++) slots[i & (size - 1)] = old[i & this.#mask];
    this.#slots = slots;
    this.#mask = size - 1;
  }
}

/** Collects outcomes; the consumer takes them from `out`. */
export class Collector implements Downstream {
  readonly out = new Deque<PipelineResult>();
  readonly #ordered: boolean;
  #window: number;
  readonly #fixedWindow: boolean;
  readonly #reorder: Reorder | undefined;
  readonly #groups = new Map<number, Group>();
  readonly #onEnd: () => void;
  #starved = false;
  ended = false;

  constructor(ordered: boolean, window: number, onEnd: () => void, fixedWindow = false) {
    this.#ordered = ordered;
    this.#window = window;
    this.#fixedWindow = fixedWindow;
    this.#reorder = ordered ? new Reorder() : undefined;
    this.#onEnd = onEnd;
  }

  /** Outcomes held (for the consumer, or waiting for earlier inputs), plus the gaps between them. */
  get held(): number {
    const r = this.#reorder;
    return this.out.length + (r ? r.top - r.base : 0);
  }

  /**
   * Whether the pipeline's entry may take more input: outcomes held for the consumer plus inputs waiting for an
   * earlier one stay under the window. Only the entry asks this; a stage further on must go on even when the
   * window is full, or an earlier input still on its way through could never arrive.
   */
  admits(): boolean {
    if (this.held < this.#window) return true;
    this.#starved = true;
    return false;
  }

  /**
   * Widen the window to at least `n` (the entry segment asks when its chunks grow: enough room for every chunk in
   * flight to land before the one ahead of them), unless the user fixed it. It never narrows.
   */
  widen(n: number): void {
    if (!this.#fixedWindow && n > this.#window) this.#window = n;
  }

  /** Whether the last stage may produce more: the consumer is keeping up. */
  hasRoom(): boolean {
    if (this.out.length < this.#window) return true;
    this.#starved = true;
    return false;
  }

  /** Outcomes left: true when a stage that found no room should be woken. */
  relieved(): boolean {
    if (!this.#starved || this.held >= this.#window) return false;
    this.#starved = false;
    return true;
  }

  /** Called when outcomes arrive for the consumer. */
  onOutput: () => void = () => {};

  /**
   * A chunk's run of results from a worker segment that reads the pipeline's input and is its last (no flatMap):
   * `values[from..to)` are the values of inputs `start + from...`, {@link DROPPED} for an input a filter dropped.
   * Its outcomes are made in one loop and, when the run is next in line, go straight out with no per-input entry.
   */
  putRun(start: number, values: ArrayLike<unknown>, from: number, to: number): void {
    const r = this.#reorder;
    const first = start + from;
    const direct = r === undefined || first === r.base;
    const outs = direct ? undefined : ([] as PipelineResult[]);
    const out = this.out;
    for (let k = from; k < to; k++) {
      const v = values[k];
      if (v === DROPPED) continue;
      const result: PipelineResult = { index: start + k, status: 'fulfilled', value: typeof v === 'object' ? decodeValue(v) : v };
      if (outs === undefined) out.push(result);
      else outs.push(result);
    }
    if (r === undefined) {
      this.onOutput();
      return;
    }
    if (outs !== undefined) {
      r.set(first, new Run(outs, to - from));
      return;
    }
    r.skip(to - from);
    for (let e = r.take(); e !== undefined; e = r.take()) this.#emit(e);
    this.onOutput();
  }

  /** A value came out of the last stage. */
  put(input: number, path: number[] | null, value: unknown): void {
    this.#decide(input, path, { index: input, status: 'fulfilled', value });
  }

  fail(input: number, path: number[] | null, reason: StageError): void {
    this.#decide(input, path, { index: input, status: 'rejected', reason });
  }

  /** A filter dropped a value. */
  drop(input: number, path: number[] | null): void {
    this.#decide(input, path, undefined);
  }

  /** A value of `input` became `n` values (a flatMap); `n = 0` decides it with no outcome. */
  expand(input: number, n: number): void {
    const group = this.#groups.get(input);
    if (group) {
      group.pending += n - 1;
      if (group.pending === 0) this.#finishGroup(input, group);
    } else if (n === 0) this.#complete(input, NOTHING);
    else this.#groups.set(input, new Group(n));
  }

  end(): void {
    this.ended = true;
    this.#onEnd();
  }

  #decide(input: number, path: number[] | null, result: PipelineResult | undefined): void {
    const group = path === null ? undefined : this.#groups.get(input);
    if (!group) {
      this.#complete(input, result ?? NOTHING);
      return;
    }
    if (result) {
      if (this.#ordered) group.outs.push({ path: path!, result });
      else this.#emit(result);
    }
    if (--group.pending === 0) this.#finishGroup(input, group);
  }

  #finishGroup(input: number, group: Group): void {
    this.#groups.delete(input);
    group.outs.sort((a, b) => comparePaths(a.path, b.path));
    this.#complete(input, group.outs.map((o) => o.result));
  }

  #complete(input: number, entry: Entry): void {
    const r = this.#reorder;
    if (!r) {
      this.#emit(entry);
      return;
    }
    r.set(input, entry);
    if (input !== r.base) return;
    for (let e = r.take(); e !== undefined; e = r.take()) this.#emit(e);
  }

  #emit(entry: Entry): void {
    if (entry instanceof Run) for (const result of entry.outs) this.out.push(result);
    else if (Array.isArray(entry)) for (const result of entry) this.out.push(result);
    else this.out.push(entry);
    this.onOutput();
  }
}
