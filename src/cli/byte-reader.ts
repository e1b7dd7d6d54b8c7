/**
 * Where the byte path's splitter (line-blocks.ts) gets its bytes: a reader that writes them into memory the caller
 * gives (its shared slabs), so that the main thread copies nothing between the input and the workers. An input
 * file is read there directly ({@link fileReader}; `openInput` gives one); any other byte stream (standard input)
 * is copied there from its chunks, once ({@link asByteReader}).
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface ByteReader {
  /** Read up to `length` bytes into `into` from offset `at`; resolves to how many, 0 at the end of the input. */
  readInto(into: Uint8Array, at: number, length: number): Promise<number>;
  /** Release what the reader holds (a file handle, a stream). Called once, also when the caller stops early. */
  close(): Promise<void>;
}

export function isByteReader(x: unknown): x is ByteReader {
  return typeof (x as Partial<ByteReader> | null)?.readInto === 'function' && typeof (x as Partial<ByteReader>).close === 'function';
}

/** A reader of `source`: itself when it is one, else one that copies the stream's chunks where it is asked to. */
export function asByteReader(source: AsyncIterable<Buffer | string> | ByteReader): ByteReader {
  if (isByteReader(source)) return source;
  const it = source[Symbol.asyncIterator]();
  let chunk: Uint8Array | undefined;
  let at = 0;
  let done = false;
  return {
    async readInto(into, to, length) {
      while (chunk === undefined || at === chunk.length) {
        if (done) return 0;
        const next = await it.next();
        if (next.done === true) {
          done = true;
          chunk = undefined;
          return 0;
        }
        chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        at = 0;
      }
      const n = Math.min(length, chunk.length - at);
      into.set(chunk.subarray(at, at + n), to);
      at += n;
      return n;
    },
    async close() {
      if (done) return;
      done = true;
      chunk = undefined;
      await it.return?.();
    },
  };
}

/**
 * A reader of the file at `path`, from where it starts, for `size` bytes at most (all of it when undefined). The
 * file is opened at the first read; `explain` turns what opening or reading throws into the error to report.
 * Reads from the file's position (not at offsets), so a named pipe reads as well as a file.
 */
export function fileReader(path: string, size: number | undefined, explain: (error: unknown) => Error): ByteReader {
  let handle: Promise<FileHandle> | undefined;
  let left = size ?? Number.POSITIVE_INFINITY;
  let closed = false;
  return {
    async readInto(into, at, length) {
      const want = Math.min(length, left);
      if (closed || want <= 0) return 0;
      try {
        handle ??= open(path, 'r');
        const { bytesRead } = await (await handle).read(into, at, want, null);
        left -= bytesRead;
        return bytesRead;
      } catch (error) {
        throw explain(error);
      }
    },
    async close() {
      closed = true;
      const h = handle;
      handle = undefined;
      await h?.then(
        (fh) => fh.close(),
        () => {},
      );
    },
  };
}
