/**
 * JSON Lines input: splitting a byte stream into lines, the pre-pass over an input file (items, size, sha256,
 * and `--strict` validation), and the entries a run iterates (one per item, parsed or not).
 *
 * A line is one item; lines that are empty or only white space are skipped (they are not items). A UTF-8 byte
 * order mark at the start and `\r\n` line ends are accepted.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fileReader, type ByteReader } from './byte-reader.ts';
import { CliError } from './cli-error.ts';
import { firstInvalid, parseLine, type ParsedLine } from './line-text.ts';
import { lineBlocks } from './line-blocks.ts';
import { printable } from './summary.ts';

export { firstInvalid, parseLine } from './line-text.ts';

/** One line of text: its 1-based number and its text without the line end, or why it has none. */
export interface Line {
  number: number;
  text: string;
  /** Set when the line cannot be used as it is (invalid UTF-8, too long); `text` is then a lossy view or empty. */
  problem?: string;
}

/** One item of the input: its 0-based index, its line, its text, and the parsed value or why not. */
export interface Entry {
  index: number;
  line: number;
  raw: string;
  parsed: ParsedLine;
}

/** Bytes of one input line accepted; a longer line fails as BT_INVALID_INPUT (or stops a --strict run). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Split a stream of bytes into lines, in linear time: the bytes of a line that spans chunks are kept as a list
 * and joined once, at its end; a line past `maxLineBytes` is not kept at all (it becomes a line with a
 * `problem`). Each line is decoded strictly: invalid UTF-8 is reported, never replaced. A UTF-8 byte order mark
 * at the start and `\r\n` line ends are accepted. `onBytes` sees every chunk (for hashing).
 */
export async function* readLines(
  source: AsyncIterable<Buffer | string>,
  onBytes?: (chunk: Buffer) => void,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let held = 0;
  let tooLong = false;
  let number = 0;
  let first = true;
  const finish = (tail: Buffer): Line => {
    number++;
    const wasFirst = first;
    first = false;
    if (tooLong) return { number, text: '', problem: `the line is longer than ${maxLineBytes} bytes` };
    let bytes = parts.length === 0 ? tail : Buffer.concat([...parts, tail], held + tail.length);
    if (wasFirst && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, bytes.length - 1);
    try {
      return { number, text: utf8.decode(bytes) };
    } catch {
      return { number, text: lossy.decode(bytes), problem: `invalid UTF-8 at byte ${firstInvalid(bytes)} of the line` };
    }
  };
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    onBytes?.(bytes);
    let start = 0;
    for (let nl = bytes.indexOf(10, start); nl !== -1; nl = bytes.indexOf(10, start)) {
      if (held + (nl - start) > maxLineBytes) tooLong = true;
      yield finish(bytes.subarray(start, nl));
      parts = [];
      held = 0;
      tooLong = false;
      start = nl + 1;
    }
    if (start < bytes.length) {
      held += bytes.length - start;
      if (held > maxLineBytes) {
        tooLong = true;
        parts = [];
      } else parts.push(bytes.subarray(start));
    }
  }
  if (held > 0 || tooLong) yield finish(Buffer.alloc(0));
}

/** Bytes per read of an input file: a few reads per run, not one per 64 KiB (each read is a trip to the thread pool). */
const READ_BYTES = 1 << 20;

/** True for a line that is not an item. */
export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

/** The items of a stream of lines, numbered from 0. */
export async function* entries(lines: AsyncIterable<Line>): AsyncGenerator<Entry> {
  let index = 0;
  for await (const { number, text, problem } of lines) {
    if (problem === undefined && isBlank(text)) continue;
    const parsed: Entry['parsed'] = problem === undefined ? parseLine(text) : { ok: false, message: problem };
    yield { index: index++, line: number, raw: text, parsed };
  }
}

/**
 * Open an input file for reading, turning "missing", "a directory" and "not readable" into a usage error.
 * With `size`, only the first `size` bytes are read (what the pre-pass counted; lines appended meanwhile are not
 * part of this run).
 */
export function openInput(path: string, display: string, size?: number): AsyncIterable<Buffer> & ByteReader {
  const explain = (error: unknown): Error => inputError(error, display);
  // Read by the byte path straight into its shared memory; iterated (the pre-pass, the entries path) as a stream.
  const { readInto, close } = fileReader(path, size, explain);
  if (size === 0) return { readInto, close, async *[Symbol.asyncIterator]() {} };
  return {
    readInto,
    close,
    async *[Symbol.asyncIterator]() {
      const stream = createReadStream(path, { highWaterMark: READ_BYTES, ...(size === undefined ? {} : { end: size - 1 }) });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (error) {
        throw explain(error);
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
  if (!strict) {
    // Counting needs no decoding: the byte splitter of the run itself, in blocks of up to 1 MiB.
    const counted = { lines: Number.POSITIVE_INFINITY, bytes: 1 << 20 };
    const bytes = openInput(path, display);
    const hashed = (async function* () {
      for await (const chunk of bytes) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    })();
    for await (const piece of lineBlocks(hashed, counted, undefined, parseLine)) if ('block' in piece) items += piece.block.count;
    return { items, size, sha256: hash.digest('hex') };
  }
  const lines = readLines(openInput(path, display), (chunk) => {
    hash.update(chunk);
    size += chunk.length;
  });
  for await (const { number, text, problem } of lines) {
    if (problem === undefined && isBlank(text)) continue;
    items++;
    if (strict) {
      const parsed: Entry['parsed'] = problem === undefined ? parseLine(text) : { ok: false, message: problem };
      if (!parsed.ok) {
        throw new CliError(
          `${display}:${number}: ${printable(parsed.message.replace(/^invalid JSON: (.*)$/s, 'invalid JSON ($1)'))}; nothing was run (--strict)`,
          'fix that line, or run without --strict to report it as a failed item and run the rest',
        );
      }
    }
  }
  return { items, size, sha256: hash.digest('hex') };
}
