/**
 * The one validation grammar, used by every option check of every product:
 *
 *     `options.threads` must be a positive integer, got 0 (number)
 *
 * i.e. "`<name>` must be <constraint>, got <value> (<typeof>)". A value of the wrong type (or an unknown option) is
 * an {@link InvalidOptionError} that is `instanceof TypeError`; a value of the right type outside its range (NaN and
 * non-integers included, as Node's `ERR_OUT_OF_RANGE`) is one that is `instanceof RangeError`. Both keep the code
 * `BT_INVALID_OPTION`. Command-line flags use the same words (`--threads must be a positive integer, got "0"`).
 */
import { InvalidOptionError } from './errors.ts';

/** Format a received value for an error message: `-1 (number)`, `"x" (string)`, `[object Object] (object)`. */
export function formatValue(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'function') shown = `function ${value.name || '(anonymous)'}`;
  else if (typeof value === 'symbol') shown = value.toString();
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (Object.is(value, -0)) shown = '-0';
  else if (Array.isArray(value)) shown = `array(${value.length})`;
  else {
    try {
      shown = String(value);
    } catch {
      shown = Object.prototype.toString.call(value);
    }
  }
  return `${shown} (${value === null ? 'null' : typeof value})`;
}

/** The grammar's sentence. */
function sentence(name: string, constraint: string, value: unknown): string {
  return `\`${name}\` must be ${constraint}, got ${formatValue(value)}`;
}

/** A value of the wrong type: `instanceof TypeError`. `name` is shown as given (`options.threads`, `exportName`). */
export function invalidType(name: string, constraint: string, value: unknown): InvalidOptionError {
  return new InvalidOptionError(name, sentence(name, constraint, value));
}

/** A value of the right type outside its range: `instanceof RangeError`. */
export function outOfRange(name: string, constraint: string, value: unknown): InvalidOptionError {
  return InvalidOptionError.range(name, sentence(name, constraint, value));
}

/** A constraint between options (`minTargetMs` above `maxTargetMs`): `instanceof RangeError`. */
export function conflicting(name: string, message: string): InvalidOptionError {
  return InvalidOptionError.range(name, message);
}

/** What a number must be. `text` is the constraint as the message says it. */
export interface NumberRule {
  readonly text: string;
  readonly integer?: boolean;
  readonly min?: number;
  /** `min` itself is excluded. */
  readonly above?: boolean;
  readonly max?: number;
  /** `max` itself is excluded. */
  readonly below?: boolean;
  /** Infinity passes (for "no limit" values). Default: only finite numbers pass. */
  readonly infinite?: boolean;
}

/** The rules in use, named once. */
export const Rules = {
  positiveInteger: { text: 'a positive integer', integer: true, min: 1 },
  nonNegativeInteger: { text: 'an integer >= 0', integer: true, min: 0 },
  positiveFinite: { text: 'a finite number > 0', min: 0, above: true },
  nonNegativeFinite: { text: 'a finite number >= 0', min: 0 },
  atLeastOne: { text: 'a finite number >= 1', min: 1 },
  unitInterval: { text: 'a number in (0, 1]', min: 0, above: true, max: 1 },
  closedUnit: { text: 'a number in [0, 1]', min: 0, max: 1 },
} as const satisfies Record<string, NumberRule>;

/** True when `n` keeps `rule`. */
export function meets(n: number, rule: NumberRule): boolean {
  if (Number.isNaN(n)) return false;
  if (!Number.isFinite(n) && !rule.infinite) return false;
  if (rule.integer && Number.isFinite(n) && !Number.isInteger(n)) return false;
  if (rule.min !== undefined && (rule.above ? n <= rule.min : n < rule.min)) return false;
  return rule.max === undefined || (rule.below ? n < rule.max : n <= rule.max);
}

/** Check an optional number: undefined passes through; a non-number is a TypeError, a number off the rule a RangeError. */
export function checkNumber(name: string, value: unknown, rule: NumberRule): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidType(name, rule.text, value);
  if (!meets(value, rule)) throw outOfRange(name, rule.text, value);
  return value;
}

/** Check an optional function. */
export function checkFunction<F extends (...args: never[]) => unknown>(name: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidType(name, 'a function', value);
  return value as F | undefined;
}

/** Check an optional boolean. */
export function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalidType(name, 'a boolean', value);
  return value;
}

/** Check an optional AbortSignal. */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) throw invalidType(name, 'an AbortSignal', value);
  return value;
}

/** Check an optional non-empty string. */
export function checkString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidType(name, 'a non-empty string', value);
  if (value.length === 0) throw outOfRange(name, 'a non-empty string', value);
  return value;
}

/** Check that a value is one of `choices`. */
export function checkChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const text = `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  if (typeof value !== 'string') throw invalidType(name, text, value);
  if (!(choices as readonly string[]).includes(value)) throw outOfRange(name, text, value);
  return value as T;
}

/**
 * Names users reach for from other pools, and what this library calls them. An unknown option found here gets the
 * hint in its message.
 */
const ALIASES: Readonly<Record<string, string>> = {
  concurrency: 'threads',
  maxThreads: 'threads',
  minThreads: 'threads',
  workers: 'threads',
  numWorkers: 'threads',
  maxWorkers: 'threads',
  poolSize: 'threads',
  batchSize: 'chunkSize',
  chunksize: 'chunkSize',
  abortSignal: 'signal',
  retry: 'retries',
  maxRetries: 'retries',
};

/**
 * Check an options object: undefined is `{}`; anything but a plain object is a TypeError; an unknown key is a
 * TypeError naming the known ones, with a did-you-mean hint (case-insensitive match, or a name from another
 * pool such as `concurrency` → `threads`). `elsewhere` names options that exist at another door:
 * `{ threads: 'createRuntime()' }` says "`threads` is an option of createRuntime()".
 *
 * @param where The path shown: `options`, `options.retries`.
 */
export function checkOptions(
  options: unknown,
  known: readonly string[],
  where = 'options',
  elsewhere: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidType(where, 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    throw new InvalidOptionError(`${where}.${key}`, `\`${where}.${key}\` is not a known option${hint(key, known, elsewhere)}; known: ${known.join(', ')}`);
  }
  return options as Record<string, unknown>;
}

function hint(key: string, known: readonly string[], elsewhere: Readonly<Record<string, string>>): string {
  const near = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => editDistance(k, key) <= 2);
  if (near !== undefined) return ` (did you mean \`${near}\`?)`;
  if (elsewhere[key] !== undefined) return ` (\`${key}\` is an option of ${elsewhere[key]})`;
  const alias = ALIASES[key];
  if (alias !== undefined && known.includes(alias)) return ` (did you mean \`${alias}\`?)`;
  if (alias !== undefined && elsewhere[alias] !== undefined) return ` (batchtools calls it \`${alias}\`, an option of ${elsewhere[alias]})`;
  return '';
}

/** Levenshtein distance, capped: enough to catch a typo (`treads`, `chunkSzie`), cheap for short option names. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * Parse a command-line number (`--threads 4`) by a rule; throws an {@link InvalidOptionError} worded as the grammar
 * says for flags: `--threads must be a positive integer, got "0"`. The CLI turns it into its usage error.
 */
export function parseNumberFlag(flag: string, text: string, rule: NumberRule): number {
  const n = Number(text);
  const wellFormed = text.trim() !== '' && (rule.integer ? /^\s*[+-]?\d+\s*$/.test(text) : true);
  if (!wellFormed || !meets(n, rule) || (rule.integer && !Number.isSafeInteger(n))) {
    throw InvalidOptionError.range(flag, `${flag} must be ${rule.text}, got ${JSON.stringify(text)}`);
  }
  return n;
}
