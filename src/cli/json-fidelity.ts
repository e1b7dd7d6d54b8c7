/**
 * What JSON.parse would change silently, found before it does: integers beyond 2^53 (rounded), numbers beyond
 * the double range (`1e400` becomes Infinity, written back as `null`), and nesting deeper than the workers can
 * clone or the output can serialise. One linear pass over the line, and only for lines that could have such
 * values (a cheap native test first); the CLI's workers test the parsed value instead ({@link mayBeChanged}), so
 * ordinary lines cost next to nothing.
 */

/** Nesting depth of arrays and objects accepted in one input line. */
export const MAX_DEPTH = 1000;

const MAYBE_BIG_NUMBER = /\d{16}|[eE][+-]?\d{3}/;

/** Numbers of at least this magnitude may have been rounded by JSON.parse (every such double is an integer). */
const UNSAFE = 2 ** 53;

/**
 * Whether a value JSON.parse returned may differ from its text: it holds a number of magnitude 2^53 or more (an
 * integer the parse may have rounded) or an infinity (a number beyond the double range). A walk over the parsed
 * value, cheaper than a pass over the text for the short lines it is used for, and never wrong in the direction
 * that matters: every line {@link unrepresentable} refuses parses to such a value, so a line without one needs no
 * check of its text (a line with one gets it: `1.5e300` is exact and passes). Depth is not covered (the caller
 * checks lines longer than MAX_DEPTH characters on their text).
 */
export function mayBeChanged(value: unknown): boolean {
  if (typeof value === 'number') return !(Math.abs(value) < UNSAFE);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayBeChanged(value[i])) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) if (mayBeChanged(record[key])) return true;
  return false;
}

/** Why a JSON line cannot be represented exactly, or `undefined` when it can. */
export function unrepresentable(text: string): string | undefined {
  const deep = text.length > MAX_DEPTH;
  const numbers = MAYBE_BIG_NUMBER.test(text);
  if (!deep && !numbers) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH} levels`;
    } else if (c === 93 || c === 125) depth--;
    else if (numbers && (c === 45 || (c >= 48 && c <= 57))) {
      let j = i + 1;
      let integer = true;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d >= 48 && d <= 57) continue;
        if (d === 46 || d === 101 || d === 69 || d === 43 || d === 45) {
          integer = false;
          continue;
        }
        break;
      }
      const token = text.slice(i, j);
      const value = Number(token);
      if (!Number.isFinite(value)) return `the number ${shorten(token)} is beyond the range of a double`;
      if (integer && !Number.isSafeInteger(value)) return `the integer ${shorten(token)} is beyond 2^53 and would be rounded`;
      i = j - 1;
    }
  }
  return undefined;
}

function shorten(token: string): string {
  return token.length > 40 ? `${token.slice(0, 20)}…${token.slice(-10)} (${token.length} characters)` : token;
}
