/**
 * The line formats of the command line, in one place (they are documented in the README and in `run --help`):
 *
 * - output line, one per input item, in input order:
 *   `{"index":0,"line":1,"ok":true,"value":<result>}` or
 *   `{"index":2,"line":3,"ok":false,"error":{"code":"BT_TASK_FAILED","name":"TypeError","message":"…","attempts":1},"run":"<id>"}`
 * - failure line (the `--failures` file, read back by `retry`), in input order:
 *   `{"index":2,"line":3,"input":<item>,"error":{…},"run":"<id>"}`, or `"raw":"<line text>"` instead of `input`
 *   for a line that is not valid JSON.
 *
 * `run` is the run's id (16 hex digits, from the input's and the task module's fingerprints, kept by a
 * checkpoint): `retry` merges a failures file only into the output of the same run.
 *
 * The checkpoint journal holds output lines too, in completion order.
 */
import type { ItemError } from '../index.ts';

/** Code of a result that cannot be written as JSON (a BigInt, a cycle). Command line only. */
export const RESULT_NOT_JSON = 'BT_RESULT_NOT_JSON';
/** Code of an input line that is not valid JSON (the library's code for unusable input). */
export const INVALID_INPUT = 'BT_INVALID_INPUT';

/** How many bad input lines a run's summary names one by one (`file:line: message`); the rest are counted. */
export const NAMED_INVALID_LINES = 5;

/** Why an item failed, as written in output and failure lines. */
export interface ErrorInfo {
  /** Stable code: a library code (`BT_TASK_FAILED`, `BT_TIMEOUT`, …), `BT_INVALID_INPUT` or `BT_RESULT_NOT_JSON`. */
  code: string;
  /** The task's own error class for `BT_TASK_FAILED`, else the kind of failure. */
  name: string;
  message: string;
  /** How many times the item ran (0: never, for bad input lines). */
  attempts: number;
  /** The worker's exit code, for `BT_WORKER_CRASHED`. */
  exitCode?: number;
  /** The `code` property of the task's own error, when it has a string one. */
  causeCode?: string;
  /** For a run of several stages (`--stage`): the stage the item failed in (0-based), and its name. */
  stage?: number;
  stageName?: string;
}

/** One line of the output file. */
export type OutputRecord =
  | { index: number; line: number; ok: true; value: unknown }
  | { index: number; line: number; ok: false; error: ErrorInfo; run?: string };

/** One line of the failures file. Exactly one of `input` (the parsed item) and `raw` (unparsable text) is set. */
export interface FailureRecord {
  index: number;
  line: number;
  input?: unknown;
  raw?: string;
  error: ErrorInfo;
  /** The id of the run that wrote it. */
  run?: string;
}

/** The output line of an item a `--filter` stage dropped (a success with no value). */
export function filteredLine(index: number, line: number): string {
  return `{"index":${index},"line":${line},"ok":true,"filtered":true,"value":null}`;
}

/** The output line of a success, or `undefined` when the value cannot be written as JSON. */
export function successLine(index: number, line: number, value: unknown): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return undefined;
  }
  if (text === undefined) {
    // undefined (a task that returns nothing) is written as null; a bare function or symbol has no JSON form and
    // fails (as the README says), rather than pass as null.
    if (value !== undefined) return undefined;
    text = 'null';
  }
  return `{"index":${index},"line":${line},"ok":true,"value":${text}}`;
}

/** The output line of a failure. */
export function failureLine(index: number, line: number, error: ErrorInfo, run: string): string {
  return JSON.stringify({ index, line, ok: false, error, run });
}

/** The failures-file line of a failure. */
export function failureRecordLine(record: FailureRecord, run: string): string {
  const { index, line, error } = record;
  return record.raw !== undefined
    ? JSON.stringify({ index, line, raw: record.raw, error, run })
    : JSON.stringify({ index, line, input: record.input ?? null, error, run });
}

/** Describe a library item failure. */
export function errorInfo(reason: ItemError): ErrorInfo {
  const cause = reason.cause as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  const fromTask = reason.code === 'BT_TASK_FAILED' && cause !== undefined && cause !== null;
  const info: ErrorInfo = {
    code: reason.code,
    name: fromTask && typeof cause.name === 'string' ? cause.name : reason.name,
    message: fromTask && typeof cause.message === 'string' ? cause.message : reason.message,
    attempts: reason.attempts,
  };
  if (reason.exitCode !== undefined) info.exitCode = reason.exitCode;
  if (fromTask && typeof cause.code === 'string') info.causeCode = cause.code;
  const { stage, stageName } = reason as ItemError & { stage?: unknown; stageName?: unknown };
  if (typeof stage === 'number' && typeof stageName === 'string') Object.assign(info, { stage, stageName });
  return info;
}

/** The failure of an input line that cannot be read (not JSON, not UTF-8, too long, not exactly representable). */
export function invalidInputInfo(message: string): ErrorInfo {
  return { code: INVALID_INPUT, name: 'SyntaxError', message, attempts: 0 };
}

/** The failure of a result that has no JSON form. */
export function notJsonInfo(attempts: number): ErrorInfo {
  return {
    code: RESULT_NOT_JSON,
    name: 'TypeError',
    message: 'the result cannot be written as JSON (a BigInt, a cycle, a function or a symbol?)',
    attempts,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRunId(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function toErrorInfo(value: unknown): ErrorInfo | undefined {
  if (!isObject(value)) return undefined;
  const { code, name, message, attempts } = value;
  if (typeof code !== 'string' || typeof name !== 'string' || typeof message !== 'string' || !isIndex(attempts)) return undefined;
  return value as unknown as ErrorInfo;
}

/** The JSON object a line holds, or `undefined` when it holds none. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Parse an output (or journal) line; `undefined` when it is not one. */
export function parseOutputLine(text: string): OutputRecord | undefined {
  const value = parseObject(text);
  if (!value || !isIndex(value['index']) || !isIndex(value['line'])) return undefined;
  if (value['ok'] === true && 'value' in value) return value as OutputRecord;
  if (value['ok'] === false && toErrorInfo(value['error']) && isRunId(value['run'])) return value as OutputRecord;
  return undefined;
}

/** Parse a failures-file line; `undefined` when it is not one. */
export function parseFailureLine(text: string): FailureRecord | undefined {
  const value = parseObject(text);
  if (!value || !isIndex(value['index']) || !isIndex(value['line']) || !toErrorInfo(value['error'])) return undefined;
  const hasInput = 'input' in value;
  const hasRaw = typeof value['raw'] === 'string';
  if (hasInput === hasRaw || !isRunId(value['run'])) return undefined;
  return value as unknown as FailureRecord;
}
