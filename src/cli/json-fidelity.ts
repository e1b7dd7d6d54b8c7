/**
 * What JSON.parse would change silently, found before it does: integers beyond 2^53 (rounded), numbers beyond
 * the double range (`1e400` becomes Infinity, written back as `null`), and nesting deeper than the workers can
 * clone or the output can serialise. One linear pass over the line, and only for lines that could have such
 * values (a cheap native test first), so ordinary lines cost nothing.
 */

/** Nesting depth of arrays and objects accepted in one input line. */
export const MAX_DEPTH = 1000;

const MAYBE_BIG_NUMBER = /\d{16}|[eE][+-]?\d{3}/;

/**
 * Where in `bytes` (UTF-8, any number of lines) a number {@link unrepresentable} may refuse can start: byte offsets,
 * ascending, of the cheap test's matches (`\d{16}|[eE][+-]?\d{3}`, both ASCII: no byte of a multi-byte character
 * is part of one). One pass over a whole block instead of a test per line, and a loop, about half the cost of the
 * regular expression; a line holds one of these offsets exactly when the per-line test matches it (a match never
 * spans a line end). Depth is not covered (lines longer than MAX_DEPTH).
 */
export function bigNumberSuspectBytes(bytes: Uint8Array): number[] {
  const at: number[] = [];
  const n = bytes.length;
  let run = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c >= 48 && c <= 57) {
      if (++run === 16) at.push(i - 15);
      continue;
    }
    run = 0;
    if (c !== 101 && c !== 69) continue;
    // [eE][+-]?\d{3}
    let j = i + 1;
    const sign = bytes[j];
    if (sign === 43 || sign === 45) j++;
    if (j + 2 < n && isDigit(bytes[j]) && isDigit(bytes[j + 1]) && isDigit(bytes[j + 2])) at.push(i);
  }
  return at;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;

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
