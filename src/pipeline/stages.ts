/**
 * Pipeline stages: validation, names, and the plan of segments. Consecutive worker stages are fused into one
 * segment (one composite task, one worker call per item of a chunk); a flatMap stage closes its segment, so the
 * stages after it chunk the expanded items on their own; every main-thread (io) stage is a segment of its own.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors.ts';
import {
  formatValue,
  isTask,
  taskFromSpec,
  toTask,
  type CompositeTaskSpec,
  type SingleTaskSpec,
  type Task,
  type TaskContext,
  type TaskSpec,
} from '../task.ts';

/** What a main-thread stage receives with each value. */
export interface IoContext {
  /** The input item this value came from (0-based). */
  readonly index: number;
  /** The stage's position in the pipeline (0-based). */
  readonly stage: number;
  /** Attempt number of this call (1 unless the pipeline retries). */
  readonly attempt: number;
  /** Aborted when the pipeline stops (abort, a run-level failure, the consumer left) or this call timed out. */
  readonly signal: AbortSignal;
}

/**
 * One stage of a pipeline:
 * - a task (a `defineTask` handle or a self-contained function), or `{ map: task }`: runs in a worker, value in, value out;
 * - `{ filter: task }`: runs in a worker; the item goes on when the task returns a truthy value (the item itself,
 *   not the task's result, goes on), and is dropped otherwise;
 * - `{ flatMap: task }`: runs in a worker; returns an array (or iterable) of zero or more values, each going on
 *   as an item of its own (outcomes keep the input `index` it came from, and its order);
 * - `{ io: async (value, ctx) => result, concurrency }`: runs on the main thread with at most `concurrency` calls
 *   in flight (default `8`): reading and writing files, calling a service, a database.
 * `name` names the stage in failures (default: the export name, the function's name, or `stage <n>`).
 */
export type PipelineStage =
  | StageTask
  | { map: StageTask; name?: string }
  | { filter: StageTask; name?: string }
  | { flatMap: StageTask; name?: string }
  | { io: (value: never, context: IoContext) => unknown; concurrency?: number; name?: string };

/**
 * A task as a stage takes it: a `defineTask` handle or a self-contained function, of any item type (each stage
 * takes what the one before it gives; the types are not chained).
 */
export type StageTask = { readonly spec: TaskSpec } | ((item: never, context: TaskContext) => unknown);

/** A worker segment: stages fused into one composite task. */
export interface WorkerSegmentPlan {
  kind: 'worker';
  first: number;
  names: string[];
  task: Task<unknown, unknown>;
  /** The last stage is a flatMap: an item's result is the array of its outputs. */
  endsFlat: boolean;
}

/** A main-thread segment: one io stage. */
export interface IoSegmentPlan {
  kind: 'io';
  first: number;
  names: [string];
  fn: (value: unknown, context: IoContext) => unknown;
  concurrency: number;
}

export type SegmentPlan = WorkerSegmentPlan | IoSegmentPlan;

/** Default `concurrency` of an io stage. */
export const DEFAULT_IO_CONCURRENCY = 8;

const FORMS = 'a task, { map: task }, { filter: task }, { flatMap: task } or { io: fn, concurrency? }';

function stageError(at: string, message: string): InvalidOptionError {
  return new InvalidOptionError(at, `\`${at}\` ${message}`);
}

function nameOf(spec: SingleTaskSpec, stage: number): string {
  if (spec.kind === 'inline') return spec.name || `stage ${stage}`;
  if (spec.exportName !== 'default') return spec.exportName;
  const file = spec.url.startsWith('file:') ? basename(fileURLToPath(spec.url)) : spec.url;
  return file || `stage ${stage}`;
}

type Op = 'map' | 'filter' | 'flatMap';

interface Normalized {
  op: Op | 'io';
  name: string;
  spec?: SingleTaskSpec;
  fn?: (value: unknown, context: IoContext) => unknown;
  concurrency?: number;
}

function normalize(stage: unknown, k: number): Normalized {
  const at = `stages[${k}]`;
  if (typeof stage === 'function' || isTask(stage)) {
    const spec = toTask(stage, at).spec as SingleTaskSpec;
    return { op: 'map', name: nameOf(spec, k), spec };
  }
  if (stage === null || typeof stage !== 'object' || Array.isArray(stage)) {
    throw stageError(at, `must be ${FORMS}, got ${formatValue(stage)}`);
  }
  const o = stage as Record<string, unknown>;
  const ops = (['map', 'filter', 'flatMap', 'io'] as const).filter((key) => key in o);
  if (ops.length !== 1) {
    throw stageError(at, ops.length === 0 ? `must be ${FORMS}; it has none of map, filter, flatMap, io` : `has both ${ops[0]} and ${ops[1]}; give one per stage`);
  }
  const op = ops[0]!;
  const known = op === 'io' ? ['io', 'concurrency', 'name'] : [op, 'name'];
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw stageError(`${at}.${key}`, `is not a known key of a ${op} stage (known: ${known.join(', ')})`);
  }
  const explicit = o['name'];
  if (explicit !== undefined && (typeof explicit !== 'string' || explicit.length === 0)) {
    throw stageError(`${at}.name`, `must be a non-empty string, got ${formatValue(explicit)}`);
  }
  if (op === 'io') {
    const fn = o['io'];
    if (typeof fn !== 'function') throw stageError(`${at}.io`, `must be a function (value, ctx) => result, got ${formatValue(fn)}`);
    const c = o['concurrency'] ?? DEFAULT_IO_CONCURRENCY;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 1) throw stageError(`${at}.concurrency`, `must be a positive integer, got ${formatValue(c)}`);
    return { op, name: (explicit as string | undefined) ?? (fn.name || `stage ${k}`), fn: fn as Normalized['fn'] & object, concurrency: c };
  }
  const spec = toTask(o[op], `${at}.${op}`).spec as SingleTaskSpec;
  return { op, name: (explicit as string | undefined) ?? nameOf(spec, k), spec };
}

/** Validate the stages and plan the segments. Throws {@link InvalidOptionError} naming the stage. */
export function planSegments(stages: unknown): SegmentPlan[] {
  if (!Array.isArray(stages) || stages.length === 0) {
    throw new InvalidOptionError('stages', `\`stages\` must be a non-empty array of stages (${FORMS}), got ${formatValue(stages)}`);
  }
  const normalized = stages.map((s, k) => normalize(s, k));
  const segments: SegmentPlan[] = [];
  let open: { first: number; parts: CompositeTaskSpec['stages'][number][] } | undefined;
  const close = (): void => {
    if (!open) return;
    const spec: CompositeTaskSpec = { kind: 'composite', stages: open.parts };
    segments.push({
      kind: 'worker',
      first: open.first,
      names: open.parts.map((p) => p.name),
      task: taskFromSpec(Object.freeze(spec)),
      endsFlat: open.parts[open.parts.length - 1]!.op === 'flatMap',
    });
    open = undefined;
  };
  normalized.forEach((s, k) => {
    if (s.op === 'io') {
      close();
      segments.push({ kind: 'io', first: k, names: [s.name], fn: s.fn!, concurrency: s.concurrency! });
      return;
    }
    open ??= { first: k, parts: [] };
    open.parts.push(Object.freeze({ op: s.op, task: s.spec!, stage: k, name: s.name }));
    if (s.op === 'flatMap') close();
  });
  close();
  return segments;
}

/**
 * Fuse worker stages (tasks, map, filter, and flatMap as the last) into the one composite task of a single segment,
 * for callers that run it through their own engine (the command line). Throws {@link InvalidOptionError} for an io
 * stage or a flatMap before the end.
 */
export function fuseStages(stages: readonly PipelineStage[]): WorkerSegmentPlan {
  const segments = planSegments(stages);
  const [only] = segments;
  if (segments.length !== 1 || only?.kind !== 'worker') {
    throw new InvalidOptionError('stages', '`stages` must be worker stages only (tasks, map, filter; flatMap last) to fuse into one task');
  }
  return only;
}
