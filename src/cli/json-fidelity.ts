/**
 * What JSON.parse would change silently, found before it does: integers beyond 2^53 (rounded), numbers beyond
 * the double range (`1e400` becomes Infinity, written back as `null`), and nesting deeper than the workers can
 * clone or the output can serialise. One linear pass over the line, and only for lines that could have such
 * values (a cheap native test first), so ordinary lines cost nothing.
 */

/** Nesting depth of arrays and objects accepted in one input line. */
export const MAX_DEPTH = 1000;

const MAYBE_BIG_NUMBER = /\d{16}|[eE][+-]?\d{3}/;

const MAYBE_BIG_NUMBER_ALL = new RegExp(MAYBE_BIG_NUMBER.source, 'g');

/**
 * Where in `text` (any number of lines) a number {@link unrepresentable} may refuse can start: the offsets of the
 * cheap test's matches, ascending. One native scan of a whole block instead of one per line; a line holds one of
 * these offsets exactly when the per-line test matches it (a match never spans a line end, and the first match
 * at or after a line's start is that line's leftmost). Depth is not covered (lines longer than MAX_DEPTH).
 */
export function bigNumberSuspects(text: string): number[] {
  const at: number[] = [];
  MAYBE_BIG_NUMBER_ALL.lastIndex = 0;
  for (let m = MAYBE_BIG_NUMBER_ALL.exec(text); m !== null; m = MAYBE_BIG_NUMBER_ALL.exec(text)) at.push(m.index);
  return at;
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
