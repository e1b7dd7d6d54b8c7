/**
 * JSON Lines input: splitting a byte stream into lines, the pre-pass over an input file (items, size, sha256,
 * and `--strict` validation), and the entries a run iterates (one per item, parsed or not).
 *
 * A line is one item; lines that are empty or only white space are skipped (they are not items). A UTF-8 byte
 * order mark at the start and `\r\n` line ends are accepted.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CliError } from './cli-error.ts';

/** One line of text: its 1-based number and its text without the line end. */
export interface Line {
  number: number;
  text: string;
}

/** One item of the input: its 0-based index, its line, its text, and the parsed value or why not. */
export interface Entry {
  index: number;
  line: number;
  raw: string;
  parsed: { ok: true; value: unknown } | { ok: false; message: string };
}

/** Split a stream of bytes into lines. `onBytes` sees every chunk (for hashing). */
export async function* readLines(source: AsyncIterable<Buffer | string>, onBytes?: (chunk: Buffer) => void): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let number = 0;
  let first = true;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    onBytes?.(bytes);
    let text = rest + decoder.write(bytes);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield { number: ++number, text: text.slice(start, end) };
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) yield { number: ++number, text: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
}

/** True for a line that is not an item. */
export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

/** Parse one line as JSON. */
export function parseLine(text: string): Entry['parsed'] {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** The items of a stream of lines, numbered from 0. */
export async function* entries(lines: AsyncIterable<Line>): AsyncGenerator<Entry> {
  let index = 0;
  for await (const { number, text } of lines) {
    if (isBlank(text)) continue;
    yield { index: index++, line: number, raw: text, parsed: parseLine(text) };
  }
}

/**
 * Open an input file for reading, turning "missing", "a directory" and "not readable" into a usage error.
 * With `size`, only the first `size` bytes are read (what the pre-pass counted; lines appended meanwhile are not
 * part of this run).
 */
export function openInput(path: string, display: string, size?: number): AsyncIterable<Buffer> {
  if (size === 0) return { async *[Symbol.asyncIterator]() {} };
  const stream = createReadStream(path, size === undefined ? {} : { end: size - 1 });
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (error) {
        throw inputError(error, display);
      }
    },
  };
}

/** A usage error for an input file that cannot be read. */
export function inputError(error: unknown, display: string): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return new CliError(`input file not found: ${display}`, 'check the path given to --input');
  if (code === 'EISDIR') return new CliError(`input is a directory, not a file: ${display}`, 'give --input a JSON Lines file');
  if (code === 'EACCES' || code === 'EPERM') return new CliError(`input file is not readable: ${display}`, 'check its permissions');
  return error instanceof Error ? error : new Error(String(error));
}

/** What the pre-pass found. */
export interface InputScan {
  /** Items (non-blank lines). */
  items: number;
  size: number;
  sha256: string;
}

/** Read a whole input file once: count its items, hash it, and with `strict` check that every line is JSON. */
export async function scanInput(path: string, display: string, strict: boolean): Promise<InputScan> {
  const hash = createHash('sha256');
  let size = 0;
  let items = 0;
  const lines = readLines(openInput(path, display), (chunk) => {
    hash.update(chunk);
    size += chunk.length;
  });
  for await (const { number, text } of lines) {
    if (isBlank(text)) continue;
    items++;
    if (strict) {
      const parsed = parseLine(text);
      if (!parsed.ok) {
        throw new CliError(
          `${display}:${number}: invalid JSON (${parsed.message}); nothing was run (--strict)`,
          'fix that line, or run without --strict to report it as a failed item and run the rest',
        );
      }
    }
  }
  return { items, size, sha256: hash.digest('hex') };
}
