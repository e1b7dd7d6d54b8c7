/**
 * Worker side of fused pipeline stages: a composite task runs its stages one after another on each item, inside
 * the one call the worker makes per item of a chunk, so a chunk of a three-stage pipeline costs one round trip.
 *
 * What an item's call returns (the main thread decodes it, see src/pipeline/worker-segment.ts):
 * - the last stage's value (see {@link encodeValue});
 * - {@link DROPPED} when a filter stage dropped the item;
 * - for a segment that ends with a flatMap stage, the array of its outputs (empty when a filter dropped the item).
 * A stage that throws has its error tagged with the stage's number and name ({@link STAGE_FIELD},
 * {@link STAGE_NAME_FIELD}): the error envelope carries own fields across, and the main thread turns them into
 * `reason.stage` / `reason.stageName`.
 */
import type { CompositeTaskSpec, TaskContext, TaskSpec } from '../task.ts';
import { nonErrorMessage, safeString } from '../transport/envelope.ts';
import { explainInlineError, type LoadedTask } from './load-task.ts';
import { WARM_UP_ROUNDS, warmUpFunctions } from './warm-up.ts';

/**
 * The value a composite returns for an item a filter dropped: one exact subnormal number, so that a chunk of
 * numbers with dropped items still travels as one packed Float64Array. A result that happens to equal it (or that
 * is an escape wrapper itself) is sent wrapped (see {@link encodeValue}), so no result is ever taken for a drop.
 */
export const DROPPED = -4.94e-322;
const ESCAPED = '\u0000batchtools:escaped';

/** A result as it crosses: itself, or wrapped when it could be mistaken for {@link DROPPED} or for a wrapper. */
function encodeValue(value: unknown): unknown {
  if (value === DROPPED || (typeof value === 'object' && value !== null && Object.hasOwn(value, ESCAPED))) return { [ESCAPED]: value };
  return value;
}

/** The result a composite sent (not {@link DROPPED}: check that first). */
export function decodeValue(value: unknown): unknown {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, ESCAPED) ? (value as Record<string, unknown>)[ESCAPED] : value;
}
/** Own field set on a stage's error: the stage's position in the pipeline. */
export const STAGE_FIELD = 'batchtoolsStage';
/** Own field set on a stage's error: the stage's name. */
export const STAGE_NAME_FIELD = 'batchtoolsStageName';

/**
 * Hidden field of the context run-chunk.ts passes to a composite: where in the run's shared state to record the
 * stage about to run (see `slotStageAt`). Plain stores: the main thread reads the word only after the worker died.
 * A registered symbol: the batch worker is one bundled file, and code loaded beside it (the CLI's line worker) has
 * its own copy of this module; both must name the same key.
 */
export const STAGE_SLOT = Symbol.for('batchtools.stageSlot');
type StageWord = { ints: Int32Array; at: number } | undefined;

interface Step {
  op: 'map' | 'filter' | 'flatMap';
  fn: LoadedTask;
  stage: number;
  name: string;
  /** The inline function's name, for explaining a closure mistake; null for a module export. */
  inline: string | null;
}

const composites = new Map<string, Promise<LoadedTask>>();
/** Inside the worker: a filter said no (a private object, never a stage's value). */
const NO = Symbol('dropped');

/** Load every stage of a composite (each cached like a single task) and fuse them into one task function. */
export function loadComposite(spec: CompositeTaskSpec, load: (spec: TaskSpec) => Promise<LoadedTask>): Promise<LoadedTask> {
  const key = spec.stages
    .map((s) => `${s.op}:${s.stage}:${s.name}:${s.task.kind === 'module' ? `m:${s.task.url}#${s.task.exportName}` : `i:${s.task.source}`}`)
    .join('\u0001');
  let loaded = composites.get(key);
  if (!loaded) {
    loaded = Promise.all(spec.stages.map((s) => load(s.task))).then((fns) =>
      fuse(
        spec.stages.map((s, k) => ({
          op: s.op,
          fn: fns[k]!,
          stage: s.stage,
          name: s.name,
          inline: s.task.kind === 'inline' ? s.task.name : null,
        })),
      ),
    );
    composites.set(key, loaded);
  }
  return loaded;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';

/** Mark an error with the stage that threw it (a primitive or a frozen object is wrapped in an Error first). */
function tag(thrown: unknown, step: Step): unknown {
  let error = step.inline === null ? thrown : explainInlineError(thrown, step.inline);
  if (error === null || typeof error !== 'object') {
    // Described as a task's own throw of such a value is (a NonError); the stage fields name the stage.
    error = Object.assign(new Error(nonErrorMessage(safeString(error)), { cause: thrown }), { name: 'NonError' });
  } else if (!Object.isExtensible(error)) {
    // A frozen error cannot carry the stage: a copy with its name and message does.
    const frozen = error as { name?: unknown; message?: unknown };
    let name: unknown;
    let message: unknown;
    try {
      ({ name, message } = frozen);
    } catch {
      // a getter that throws: described as the value it is
    }
    error = Object.assign(new Error(typeof message === 'string' ? message : safeString(error), { cause: thrown }), {
      name: typeof name === 'string' ? name : 'Error',
    });
  }
  try {
    Object.assign(error as object, { [STAGE_FIELD]: step.stage, [STAGE_NAME_FIELD]: step.name });
  } catch {
    // a setter that throws: the main thread then names the segment instead
  }
  return error;
}

/** What a flatMap stage returned, as an array. */
function toArray(out: unknown, step: Step): unknown[] {
  if (Array.isArray(out)) return out;
  if (out !== null && typeof out === 'object' && typeof (out as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
    return Array.from(out as Iterable<unknown>);
  }
  throw tag(new TypeError(`flatMap stage ${step.stage} (${step.name}) must return an array or an iterable, got ${out === null ? 'null' : typeof out}`), step);
}

/**
 * Call a stage's function. Every stage of every composite is called from this one site, made megamorphic at load
 * ({@link warmedStageCalls}), so V8 never inlines a stage into the composite (the item loop and the CLI's block loop
 * do the same for the task, see warmCallSite in item-loop.ts): inlined, a stage with a hot inner loop ran 2x
 * slower. `batchtools run` of the demo's score with a second, identity stage (`--stage`, `--threads 1`): 34.2-35.5
 * µs per item in the worker before, 17.6-18.1 since (bench/probes/trace-busy.mjs on `--trace-events`). The price:
 * a call that is not inlined, ~10 ns per stage (three trivial stages: 47.3 ns per item against 16.1, medians of 6,
 * `node bench/probes/stage-calls.mjs --other <a build from before>`), under 1 % of a 10 µs item. The unrolled code
 * takes the functions from an array (not as constants of its code: V8 inlines a constant target whatever the call
 * site's feedback says).
 */
function callStage(fn: LoadedTask, value: unknown, context: TaskContext): unknown {
  return fn(value, context);
}

/** Calls {@link callStage} made at load, over several distinct functions and rounds (a test checks all 24 ran). */
export const warmedStageCalls = ((): number => {
  const fns = warmUpFunctions();
  const context = {} as TaskContext;
  let ran = 0;
  for (let round = 0; round < WARM_UP_ROUNDS; round++) for (const fn of fns) if (callStage(fn, round, context) !== NO) ran++;
  return ran;
})();

/** The composite task function. Synchronous while every stage is; switches to promises at the first one that is not. */
function fuse(steps: Step[]): LoadedTask {
  const last = steps.length - 1;
  const endsFlat = steps[last]!.op === 'flatMap';
  const dropped = (): unknown => (endsFlat ? [] : DROPPED);
  /** The value after `step` given its input and output; NO when a filter says no. */
  const after = (step: Step, input: unknown, out: unknown): unknown => {
    if (step.op === 'map') return out;
    if (step.op === 'filter') return out ? input : NO;
    return toArray(out, step);
  };
  const resume = async (pending: PromiseLike<unknown>, input: unknown, context: TaskContext, s: number): Promise<unknown> => {
    const step = steps[s]!;
    let out: unknown;
    try {
      out = await pending;
    } catch (error) {
      throw tag(error, step);
    }
    const next = after(step, input, out);
    if (next === NO) return dropped();
    return s === last ? (endsFlat ? next : encodeValue(next)) : runFrom(next, context, s + 1);
  };
  const runFrom = (item: unknown, context: TaskContext, from: number): unknown => {
    let value = item;
    const word = (context as { [STAGE_SLOT]?: StageWord })[STAGE_SLOT];
    for (let s = from; s <= last; s++) {
      const step = steps[s]!;
      if (word !== undefined) word.ints[word.at] = step.stage;
      let out: unknown;
      try {
        out = callStage(step.fn, value, context);
      } catch (error) {
        throw tag(error, step);
      }
      if (isThenable(out)) return resume(out, value, context, s);
      value = after(step, value, out);
      if (value === NO) return dropped();
    }
    return endsFlat ? value : encodeValue(value);
  };
  return unrolled(steps, { tag, resume, toArray, encode: encodeValue, dropped, slot: STAGE_SLOT, call: callStage }) ?? ((item, context) => runFrom(item, context, 0));
}

/**
 * The same task function with the stages unrolled into straight code (no loop over the stages, no lookups per
 * stage): the per-item cost of fusing all but vanishes. Each stage is called through {@link callStage}, never
 * inlined. It goes back to the loop above (`resume`) when a stage returns a promise. Undefined when code cannot be
 * generated here.
 */
function unrolled(steps: Step[], helpers: Record<string, unknown>): LoadedTask | undefined {
  const last = steps.length - 1;
  const lines = ['const word = context[h.slot];', 'let value = item;', 'let out;'];
  steps.forEach((step, s) => {
    lines.push(
      `if (word !== undefined) word.ints[word.at] = ${step.stage};`,
      `try { out = h.call(fns[${s}], value, context); } catch (error) { throw h.tag(error, steps[${s}]); }`,
      `if (out !== null && (typeof out === 'object' || typeof out === 'function') && typeof out.then === 'function') return h.resume(out, value, context, ${s});`,
      step.op === 'map' ? 'value = out;' : step.op === 'filter' ? 'if (!out) return h.dropped();' : `value = h.toArray(out, steps[${s}]);`,
    );
  });
  lines.push(steps[last]!.op === 'flatMap' ? 'return value;' : 'return h.encode(value);');
  try {
    // The functions as elements of an array, not as constants of the code: V8 folds a constant call target into
    // the code and inlines it whatever the call site's feedback says.
    const make = new Function('h', 'steps', 'fns', `return function composite(item, context) {\n${lines.join('\n')}\n};`);
    return make(helpers, steps, steps.map((step) => step.fn)) as LoadedTask;
  } catch {
    // code generation from strings is disallowed in this process: the loop does the same
    return undefined;
  }
}
