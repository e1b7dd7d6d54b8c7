/**
 * The CLI's byte path, worker side: one call runs a whole block of input lines (see line-blocks.ts). For each
 * item it decodes the line (strict UTF-8), parses it with the CLI's rules ({@link parseLine}: the same checks and
 * messages as before), runs the task and writes the item's output line; the block's reply holds the output lines
 * of the items that succeeded, in order, as UTF-8 bytes in shared memory (the main thread writes them as they
 * are: it never decodes, encodes or copies them), plus a record for each item that did not (bad input, a task
 * error as an envelope, a result with no JSON form), with the item's text so the main thread can write its
 * failure record. The main thread never parses a line nor stringifies a result.
 *
 * A task that crashes, runs out of memory or times out takes the whole block down: the main thread then runs the
 * block's items one per block, so the item to blame is named (and only it fails).
 */
import type { TaskContext, TaskSpec } from '../task.ts';
import { toEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { DROPPED, decodeValue } from '../worker/composite.ts';
import { loadTask, type LoadedTask } from '../worker/load-task.ts';
import { firstInvalid, parseLine } from './line-text.ts';
import { MAX_DEPTH, mayBeChanged } from './json-fidelity.ts';
import { itemEnd, lineEnd, lineOf, type LineBlock } from './line-block.ts';
import { filteredLine, successLine } from './records.ts';
import { WARM_UP_ROUNDS, warmUpFunctions } from '../worker/warm-up.ts';

/**
 * One item of the library's stream in a byte-path run: the block, the task (a module export, or the composite of
 * `--stage` / `--filter`), and whether it is such a composite (its results may be the drop mark, or wrapped).
 */
export type BlockItem = readonly [block: LineBlock, task: TaskSpec, stages: boolean];

/** Why one item of a block has no output line of its own. */
export type LineFailure =
  | { k: number; kind: 'invalid'; message: string; raw: string }
  | { k: number; kind: 'task'; error: ErrorEnvelope; raw: string }
  | { k: number; kind: 'not-json'; raw: string };

/**
 * A block's reply (a tuple, see {@link BlockItem}): the output lines (each ends with `\n`) of the items that
 * succeeded, in order, as UTF-8 (a view of shared memory, empty when none); the items that did not, in order (null
 * when none); the time spent in the call, ms; and when the task could not be loaded, its error (the run stops
 * with it).
 */
export type BlockReply = [lines: Uint8Array, failures: LineFailure[] | null, ms: number, loadError?: ErrorEnvelope];

const NO_LINES = new Uint8Array(new SharedArrayBuffer(0));
const encoder = new TextEncoder();

/**
 * Output lines as UTF-8 in a SharedArrayBuffer of their own: cloned to the main thread without a copy, written
 * from there as they are. ASCII text (the common case) fills exactly `text.length` bytes and is encoded once;
 * other text is measured and encoded again. Output text is well formed (JSON.stringify escapes lone surrogates).
 */
function encodeLines(lines: readonly string[]): Uint8Array {
  if (lines.length === 0) return NO_LINES;
  const text = `${lines.join('\n')}\n`;
  const bytes = new Uint8Array(new SharedArrayBuffer(text.length));
  if (encoder.encodeInto(text, bytes).read === text.length) return bytes;
  const exact = new Uint8Array(new SharedArrayBuffer(Buffer.byteLength(text, 'utf8')));
  encoder.encodeInto(text, exact);
  return exact;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });

const loaded = new Map<string, LoadedTask>();
const keyOf = (spec: TaskSpec): string => JSON.stringify(spec);

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';

/**
 * The block's text: the whole block decoded once when it is valid UTF-8 (an item's text is then a slice of it),
 * or per line. Outside ASCII, byte offsets become text offsets through a cursor (`byte`, `char`) that moves forward
 * only, as items are read in order.
 */
interface Texts {
  whole: string | null;
  bytes: Uint8Array;
  ascii: boolean;
  byte: number;
  char: number;
}

function texts(bytes: Uint8Array): Texts {
  let whole: string | null = null;
  try {
    whole = utf8.decode(bytes);
  } catch {
    // Some line is not valid UTF-8: each line is decoded on its own, so that only that line fails.
  }
  return { whole, bytes, ascii: whole !== null && whole.length === bytes.length, byte: 0, char: 0 };
}

/** The offset in `t.whole` of byte `b` (not before the last one asked; `b` starts a character). */
function charAt(t: Texts, b: number): number {
  if (t.ascii) return b;
  const bytes = t.bytes;
  let c = t.char;
  for (let i = t.byte; i < b; i++) {
    const x = bytes[i]!;
    // A character starts at each byte that is not a continuation byte; one of four bytes is two UTF-16 units.
    if ((x & 0xc0) !== 0x80) c += x >= 0xf0 ? 2 : 1;
  }
  t.byte = b;
  t.char = c;
  return c;
}

/**
 * {@link parseLine} of a line, with the fidelity check of its text left out when the parsed value shows that
 * nothing was changed (see mayBeChanged): the common case costs one JSON.parse and a walk over the value.
 */
function parseIn(text: string): ReturnType<typeof parseLine> {
  if (text.length > MAX_DEPTH) return parseLine(text);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return parseLine(text); // the same message as ever
  }
  return mayBeChanged(value) ? parseLine(text) : { ok: true, value };
}

/** The item at bytes [s, e): its text, or its problem (invalid UTF-8) with a lossy text, and the parse. */
function readItem(t: Texts, s: number, e: number): { text: string; parsed: ReturnType<typeof parseLine> } {
  if (t.whole !== null) {
    const cs = charAt(t, s);
    const ce = charAt(t, e);
    const text = t.whole.slice(cs, ce);
    return { text, parsed: parseIn(text) };
  }
  const bytes = t.bytes.subarray(s, e);
  try {
    const text = utf8.decode(bytes);
    return { text, parsed: parseLine(text) };
  } catch {
    const message = `invalid UTF-8 at byte ${firstInvalid(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))} of the line`;
    return { text: lossy.decode(bytes), parsed: { ok: false, message } };
  }
}

/** Run a block (the task the CLI gives the library). Synchronous while the task is. */
export function runBlock(item: BlockItem, context: TaskContext): BlockReply | Promise<BlockReply> {
  const [block, task] = item;
  const fn = loaded.get(keyOf(task));
  if (fn === undefined) {
    return loadTask(task).then(
      (f) => {
        loaded.set(keyOf(task), f);
        return runBlock(item, context);
      },
      (error: unknown): BlockReply => [NO_LINES, null, 0, toEnvelope(error)],
    );
  }
  const state: State = { out: [], failures: null, t0: performance.now(), at: 0 };
  return runFrom(item, context, fn, texts(block.bytes), state, 0);
}

interface State {
  out: string[];
  failures: LineFailure[] | null;
  t0: number;
  /** In a dense block, where the next item's line starts. */
  at: number;
}

/** The output line of item k's value (or its failure record). */
function settle(item: BlockItem, k: number, raw: string, value: unknown, state: State): void {
  const [block, , stages] = item;
  const index = block.first + k;
  const line = lineOf(block, k);
  const text = !stages
    ? successLine(index, line, value)
    : value === DROPPED
      ? filteredLine(index, line)
      : successLine(index, line, decodeValue(value));
  if (text === undefined) (state.failures ??= []).push({ k, kind: 'not-json', raw });
  else state.out.push(text);
}

function fail(k: number, raw: string, error: unknown, state: State): void {
  (state.failures ??= []).push({ k, kind: 'task', error: toEnvelope(error), raw });
}

function done(state: State): BlockReply {
  return [encodeLines(state.out), state.failures, performance.now() - state.t0];
}

function runFrom(item: BlockItem, context: TaskContext, fn: LoadedTask, t: Texts, state: State, from: number): BlockReply | Promise<BlockReply> {
  const block = item[0];
  const { bounds, bytes } = block;
  const ctx = { signal: context.signal, workerId: context.workerId, host: context.host, index: 0 } as TaskContext & { index: number };
  for (let k = from; k < block.count; k++) {
    let s: number;
    let e: number;
    if (bounds === null) {
      // A dense block: item k is the next line, less a `\r` before its line end.
      s = state.at;
      const end = lineEnd(bytes, s);
      state.at = end + 1;
      e = itemEnd(bytes, s, end);
    } else {
      const problem = block.problems?.find((p) => p[0] === k);
      if (problem) {
        (state.failures ??= []).push({ k, kind: 'invalid', message: problem[1], raw: '' });
        continue;
      }
      s = bounds[2 * k]!;
      e = bounds[2 * k + 1]!;
    }
    const { text, parsed } = readItem(t, s, e);
    if (!parsed.ok) {
      (state.failures ??= []).push({ k, kind: 'invalid', message: parsed.message, raw: text });
      continue;
    }
    ctx.index = block.first + k;
    let value: unknown;
    try {
      value = fn(parsed.value, ctx);
    } catch (error) {
      fail(k, text, error, state);
      continue;
    }
    if (isThenable(value)) return finishAsync(item, context, fn, t, state, k, text, value);
    settle(item, k, text, value, state);
  }
  return done(state);
}

async function finishAsync(
  item: BlockItem,
  context: TaskContext,
  fn: LoadedTask,
  t: Texts,
  state: State,
  k: number,
  raw: string,
  pending: PromiseLike<unknown>,
): Promise<BlockReply> {
  let value: unknown;
  try {
    value = await pending;
  } catch (error) {
    fail(k, raw, error, state);
    return runFrom(item, context, fn, t, state, k + 1);
  }
  settle(item, k, raw, value, state);
  return runFrom(item, context, fn, t, state, k + 1);
}

/**
 * Make the task call in {@link runFrom} megamorphic before any block runs, as the library's item loop does (see
 * warmCallSite in src/worker/item-loop.ts): V8 then never inlines a task into this loop. Inlined there, a task with
 * a hot inner loop ran 2x slower than called: the demo's `score` through `batchtools run --threads 1` took 34.3-35.0
 * µs per item in the worker against 17.2-18.1 with this warm-up (three runs each, `--trace-events` read by
 * bench/probes/trace-busy.mjs). Several rounds over several distinct functions: feedback is collected only after a
 * function has run a few times. Returns how many warm-up lines ran (a test checks that every one did: a warm-up that
 * ran none would warm nothing).
 */
function warmCallSite(): number {
  const bytes = new Uint8Array([0x31, 0x0a]); // "1\n"
  const block: LineBlock = { bytes, bounds: null, numbers: null, line: 1, first: 0, count: 1, problems: null };
  const item: BlockItem = [block, { kind: 'module', url: 'warm-up:', exportName: 'warm' } as unknown as TaskSpec, false];
  const context = { signal: new AbortController().signal, workerId: 0, host: undefined } as unknown as TaskContext;
  const fns = warmUpFunctions();
  let ran = 0;
  for (let round = 0; round < WARM_UP_ROUNDS; round++) {
    for (const fn of fns) {
      const state: State = { out: [], failures: null, t0: 0, at: 0 };
      void runFrom(item, context, fn, texts(bytes), state, 0);
      if (state.out.length === 1) ran++;
    }
  }
  return ran;
}

/** Warm-up lines the block loop ran at load (see warmCallSite). */
export const warmedLines = warmCallSite();
