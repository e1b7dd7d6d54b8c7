/**
 * One input line's text, decoded and parsed, with the rules and messages of the whole CLI: strict UTF-8 (an
 * invalid byte is named by its offset) and JSON refusing what JSON.parse would silently change (json-fidelity.ts).
 * A module of its own, with nothing else in it, because every worker of the byte path loads it (line-worker.ts).
 */
import { MAX_DEPTH, unrepresentable } from './json-fidelity.ts';

/** A line parsed: its value, or why it has none. */
export type ParsedLine = { ok: true; value: unknown } | { ok: false; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Offset of the first byte that is not valid UTF-8 (for messages): the longest prefix that decodes. */
export function firstInvalid(bytes: Buffer): number {
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      utf8.decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  utf8.decode(); // reset the streaming state
  return lo;
}

/** Parse one line as JSON, refusing what JSON.parse would silently change (see json-fidelity.ts). */
export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    const deep = text.length > MAX_DEPTH ? unrepresentable(text) : undefined;
    if (deep !== undefined) return { ok: false, message: `cannot be read exactly: ${deep}` };
    return { ok: false, message: `invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const why = unrepresentable(text);
  if (why !== undefined) return { ok: false, message: `cannot be read exactly: ${why}` };
  return { ok: true, value };
}
