/** Reading and writing result documents: JSON on disk, validated on the way in, written whole or not at all. */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic as writeDurably } from '../base/atomic-file.ts';
import { SuiteError, SuiteErrorCodes } from './errors.ts';
import type { BenchDocument } from './types.ts';
import { validateDocument } from './validate.ts';

/**
 * Read and validate a result document.
 *
 * @throws {SuiteError} `BT_SUITE_INVALID_RESULT` when the file cannot be read, is not JSON, is not a batchtools
 *   bench result, has another schema version, or has a malformed field (the message names the file and field).
 */
export async function readDocument(file: string): Promise<BenchDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new SuiteError(SuiteErrorCodes.INVALID_RESULT, `cannot read the result file ${file}: ${reason}`, { file, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SuiteError(SuiteErrorCodes.INVALID_RESULT, `${file} is not valid JSON: ${(error as Error).message}`, { file, cause: error });
  }
  return validateDocument(parsed, file);
}

/** The document as JSON text (two-space indented, trailing newline). */
export function serializeDocument(document: BenchDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Write `text` to `file` with the one durable atomic writer (src/base/atomic-file.ts): complete or absent, fsync'd,
 * a failed write leaves the old file.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  writeDurably(file, text);
}

/** Write a result document to `file` (atomically). */
export async function writeDocument(file: string, document: BenchDocument): Promise<void> {
  await writeFileAtomic(file, serializeDocument(document));
}
