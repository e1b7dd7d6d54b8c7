/**
 * The error envelope: how an error crosses a thread boundary without losing its class name, code, stack, cause
 * or own fields (structured clone keeps only some of them, and comlink flattens errors to message and stack).
 */
import { RemoteError } from '../errors.ts';

/** A plain, cloneable description of a thrown value. */
export interface ErrorEnvelope {
  /** `true` when the thrown value was an Error (or error-like); `false` for a thrown primitive or plain object. */
  isError: boolean;
  name: string;
  message: string;
  stack?: string;
  code?: string;
  cause?: ErrorEnvelope;
  /** Own enumerable fields other than the above, kept when they can be cloned. */
  fields?: Record<string, unknown>;
  /** Inner errors of an AggregateError. */
  errors?: ErrorEnvelope[];
  /** For a thrown non-error: the value itself when cloneable, else its String(). */
  value?: unknown;
}

const RESERVED = new Set(['name', 'message', 'stack', 'code', 'cause', 'errors']);
const MAX_DEPTH = 8;

const BUILTIN: Record<string, new (message?: string, options?: { cause?: unknown }) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

function cloneable(value: unknown): boolean {
  const t = typeof value;
  if (value === null || t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint' || t === 'undefined') {
    return true;
  }
  if (t === 'function' || t === 'symbol') return false;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** Turn any thrown value into an envelope. Never throws. */
export function toEnvelope(thrown: unknown, depth = 0): ErrorEnvelope {
  if (!(thrown instanceof Error) && !(typeof thrown === 'object' && thrown !== null && 'message' in thrown)) {
    return {
      isError: false,
      name: 'NonError',
      message: safeString(thrown),
      value: cloneable(thrown) ? thrown : safeString(thrown),
    };
  }
  // Any property may be a getter that throws (a hostile or broken error): every read goes through `read`.
  const err = thrown as Record<string, unknown>;
  const read = (key: string): unknown => {
    try {
      return err[key];
    } catch (error) {
      return key === 'message' ? `(its message getter threw: ${safeString(safeMessage(error))})` : undefined;
    }
  };
  const name = read('name');
  const message = read('message');
  const env: ErrorEnvelope = {
    isError: true,
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : safeString(message),
  };
  const stack = read('stack');
  if (typeof stack === 'string') env.stack = stack;
  const code = read('code');
  if (typeof code === 'string' || typeof code === 'number') env.code = String(code);
  const cause = read('cause');
  if (depth < MAX_DEPTH && cause !== undefined) env.cause = toEnvelope(cause, depth + 1);
  const errors = read('errors');
  if (depth < MAX_DEPTH && Array.isArray(errors)) {
    env.errors = errors.map((e) => toEnvelope(e, depth + 1));
  }
  let fields: Record<string, unknown> | undefined;
  let keys: string[] = [];
  try {
    keys = Object.keys(err);
  } catch {
    // a proxy that refuses: no fields
  }
  for (const key of keys) {
    if (RESERVED.has(key)) continue;
    const v = read(key);
    if (!cloneable(v)) continue;
    (fields ??= {})[key] = v;
  }
  if (fields) env.fields = fields;
  return env;
}

/** Rebuild an Error from an envelope: built-in classes come back as themselves, others as {@link RemoteError}. */
export function fromEnvelope(env: ErrorEnvelope): Error {
  const cause = env.cause ? fromEnvelope(env.cause) : undefined;
  const options = cause === undefined ? undefined : { cause };
  let error: Error;
  if (!env.isError) {
    error = new RemoteError('NonError', nonErrorMessage(env.message), options);
    (error as RemoteError)['value'] = env.value;
  } else if (env.errors) {
    error = new AggregateError(env.errors.map(fromEnvelope), env.message, options);
    if (env.name !== 'AggregateError') Object.defineProperty(error, 'name', { value: env.name, configurable: true, writable: true });
  } else {
    const Ctor = BUILTIN[env.name];
    error = Ctor ? new Ctor(env.message, options) : new RemoteError(env.name, env.message, options);
  }
  if (env.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: env.stack, configurable: true, writable: true, enumerable: false });
  }
  if (env.code !== undefined) (error as Error & { code?: string }).code = env.code;
  if (env.fields) Object.assign(error, env.fields);
  return error;
}

function safeMessage(error: unknown): unknown {
  try {
    return error instanceof Error ? error.message : error;
  } catch {
    return 'unknown';
  }
}

/** The message of a thrown value that is not an error (a string, a number…), given its text. */
export function nonErrorMessage(text: string): string {
  return `a non-error value was thrown: ${text}`;
}

/** A value as text, whatever it is (a symbol, an object whose toString throws). */
export function safeString(value: unknown): string {
  try {
    return typeof value === 'symbol' ? value.toString() : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
