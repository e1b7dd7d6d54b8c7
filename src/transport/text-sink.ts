/**
 * Where the records encoder writes the text of one string column: pieces of joined values (each a short-lived
 * string of some thousands of units) are written into a scratch buffer as they come, one native call per piece,
 * so no large string is ever built and each piece is garbage at once (cheap for the young generation). One byte
 * per unit while every unit fits in a byte (latin1); the first piece with a wider unit widens what is written so
 * far to UTF-16, which keeps every unit exactly, lone surrogates included. `finish` copies the units into a buffer
 * of their own, to be moved to the other thread; the scratch stays for the next chunk.
 */

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/** Scratch memory that only grows (per column position: columns of one chunk fill theirs side by side). */
const scratches: Buffer[] = [];

function scratchFor(column: number, bytes: number, keep: number): Buffer {
  const old = scratches[column];
  if (old !== undefined && old.length >= bytes) return old;
  const grown = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * (old?.length ?? 0), 1 << 16));
  if (old !== undefined && keep > 0) old.copy(grown, 0, 0, keep);
  scratches[column] = grown;
  return grown;
}

export class TextSink {
  readonly #column: number;
  #units = 0;
  #wide = false;
  /** A piece beyond Latin-1 on a big-endian machine: the column cannot travel as units. */
  failed = false;

  constructor(column: number) {
    this.#column = column;
  }

  /** Append one piece of text. */
  put(piece: string): void {
    if (this.failed || piece.length === 0) return;
    // The test flattens the piece once (the write reuses it); over a one-byte string V8 answers without reading.
    if (!this.#wide && BEYOND_LATIN1.test(piece)) this.#widen();
    if (this.failed) return;
    const width = this.#wide ? 2 : 1;
    const at = this.#units * width;
    const scratch = scratchFor(this.#column, at + piece.length * width, at);
    scratch.write(piece, at, piece.length * width, this.#wide ? 'utf16le' : 'latin1');
    this.#units += piece.length;
  }

  /** The units written, in a buffer of their own; null when the column cannot travel as units. */
  finish(): Uint8Array | Uint16Array | null {
    if (this.failed) return null;
    const width = this.#wide ? 2 : 1;
    const bytes = Buffer.allocUnsafeSlow(this.#units * width);
    const scratch = scratches[this.#column];
    if (scratch !== undefined) scratch.copy(bytes, 0, 0, bytes.length);
    return this.#wide ? new Uint16Array(bytes.buffer, 0, this.#units) : new Uint8Array(bytes.buffer, 0, this.#units);
  }

  #widen(): void {
    if (!LITTLE_ENDIAN) {
      this.failed = true;
      return;
    }
    const n = this.#units;
    const narrow = scratchFor(this.#column, n, n);
    const wide = Buffer.allocUnsafeSlow(Math.max(2 * n, 1 << 16));
    const units = new Uint16Array(wide.buffer, 0, n);
    for (let i = 0; i < n; i++) units[i] = narrow[i]!;
    scratches[this.#column] = wide;
    this.#wide = true;
  }
}
