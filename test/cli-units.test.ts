// Parts of the command line that are easier to pin without a process: line splitting, the ordered output and its
// spill file, the journal reader.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../src/cli/cli-error.ts';
import { readLines } from '../src/cli/input.ts';
import { JournalReader, readJournal } from '../src/cli/journal-index.ts';
import { OrderedOutput, type OutputTarget } from '../src/cli/ordered-output.ts';
import { cleanUp, tempDir } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}

async function lines(...parts: Buffer[]): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const { number, text } of readLines(chunks(...parts))) out.push([number, text]);
  return out;
}

function memoryTarget(): OutputTarget & { text: string } {
  return {
    name: 'memory',
    text: '',
    write(t) {
      this.text += typeof t === 'string' ? t : Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('utf8');
    },
    congested: false,
    drain: async () => {},
    commit: async () => {},
    abort: () => {},
  };
}

describe('readLines', () => {
  it('splits on \\n and \\r\\n, drops a byte order mark, keeps a last line without newline', async () => {
    expect(await lines(Buffer.from('\ufeff"a"\r\n"b"\n\n"c"'))).toEqual([
      [1, '"a"'],
      [2, '"b"'],
      [3, ''],
      [4, '"c"'],
    ]);
  });

  it('joins a character split between two chunks', async () => {
    const bytes = Buffer.from('"é"\n"€"\n');
    expect(await lines(bytes.subarray(0, 2), bytes.subarray(2, 7), bytes.subarray(7))).toEqual([
      [1, '"é"'],
      [2, '"€"'],
    ]);
  });
});

describe('OrderedOutput', () => {
  it('writes in input order; past its memory budget, waiting lines go to a spill file and come back', () => {
    const target = memoryTarget();
    const out = new OrderedOutput(target, undefined, 20);
    for (let i = 9; i >= 1; i--) out.put(i, `line ${i}`);
    expect(out.spilled).toBe(true);
    expect(out.waiting).toBe(9);
    expect(target.text).toBe('');
    out.put(0, 'line 0');
    expect(target.text).toBe(Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''));
    expect(out.waiting).toBe(0);
    out.close();
  });

  it('takes ranges of lines as UTF-8 bytes in shared memory, out of order, kept or spilled past the budget, among text', () => {
    const target = memoryTarget();
    const out = new OrderedOutput(target, undefined, 40);
    const shared = (text: string): Uint8Array => {
      const b = Buffer.from(text, 'utf8');
      const view = new Uint8Array(new SharedArrayBuffer(b.length));
      view.set(b);
      return view;
    };
    const lines = (first: number, count: number): string => Array.from({ length: count }, (_, k) => `é ${first + k} 🙂\n`).join('');
    out.putRange(7, 3, shared(lines(7, 3))); // waits, in memory
    out.putRange(4, 3, shared(lines(4, 3))); // waits, past the budget: spilled
    out.putRange(3, 1, shared(lines(3, 1))); // one item, as bytes
    out.put(2, 'é 2 🙂');
    expect(out.spilled).toBe(true);
    expect(target.text).toBe('');
    out.putRange(0, 2, shared(lines(0, 2)));
    expect(target.text).toBe(lines(0, 10));
    expect(out.waiting).toBe(0);
    out.close();
  });

  it('reads lines decided earlier from the prefilled source', () => {
    const target = memoryTarget();
    const journaled = new Map([
      [0, 'j0'],
      [2, 'j2'],
      [3, 'j3'],
    ]);
    const out = new OrderedOutput(target, { read: (i) => journaled.get(i) });
    out.advance();
    expect(target.text).toBe('j0\n');
    out.put(1, 'n1');
    out.put(4, 'n4');
    expect(target.text).toBe('j0\nn1\nj2\nj3\nn4\n');
  });
});

describe('readJournal', () => {
  const record = (i: number): string => `{"index":${i},"line":${i + 1},"ok":true,"value":${i}}\n`;

  it('indexes complete records and reports a torn last one', () => {
    const path = join(tempDir(), 'journal.jsonl');
    writeFileSync(path, `${record(2)}${record(0)}{"index":1,"line":2,"ok":tr`);
    const journal = readJournal(path, 10);
    expect([0, 1, 2].map((i) => journal.has(i))).toEqual([true, false, true]);
    expect(journal.decided).toBe(2);
    expect(journal.validBytes).toBe(record(2).length + record(0).length);
    expect(journal.tornBytes).toBe(readFileSync(path).length - journal.validBytes);
  });

  it('refuses a journal damaged before its last good record', () => {
    const path = join(tempDir(), 'journal.jsonl');
    writeFileSync(path, `${record(0)}garbage\n${record(1)}`);
    expect(() => readJournal(path, 10)).toThrow(CliError);
    expect(() => readJournal(path, 10)).toThrow(/damaged at byte \d+/);
  });

  it('counts failures by code, keeps the first record of an item, leaves out items past the input, reads runs back', () => {
    const path = join(tempDir(), 'journal.jsonl');
    const failure = (i: number, code: string): string =>
      `${JSON.stringify({ index: i, line: i + 1, ok: false, error: { code, name: 'Error', message: 'no', attempts: 1 }, run: 'r' })}\n`;
    const filtered = `{"index":6,"line":7,"ok":true,"filtered":true,"value":null}\n`;
    const text = [record(3), record(4), failure(5, 'BT_TIMEOUT'), filtered, record(0), record(4), failure(1, 'BT_TASK_FAILED'), record(2), record(99)].join('');
    writeFileSync(path, text);
    const journal = readJournal(path, 10);
    expect(journal.decided).toBe(7);
    expect(journal.failed).toBe(2);
    expect(journal.byCode).toEqual({ BT_TIMEOUT: 1, BT_TASK_FAILED: 1 });
    expect([0, 1, 2, 3, 4, 5, 6, 7, 99].map((i) => journal.has(i))).toEqual([true, true, true, true, true, true, true, false, false]);
    expect([0, 1, 5].map((i) => journal.failedAt(i))).toEqual([false, true, true]);
    expect(journal.validBytes).toBe(text.length);
    const reader = new JournalReader(path, journal);
    try {
      expect(reader.readRun(3)).toEqual({ text: record(3) + record(4) + failure(5, 'BT_TIMEOUT') + filtered, count: 4 });
      expect(reader.readRun(5)).toEqual({ text: failure(5, 'BT_TIMEOUT') + filtered, count: 2 });
      // Item 0's run stops before the repeated record of item 4.
      expect(reader.readRun(0)).toEqual({ text: record(0), count: 1 });
      expect(reader.readRun(1)).toEqual({ text: failure(1, 'BT_TASK_FAILED') + record(2), count: 2 });
      expect(reader.read(4)).toBe(record(4).slice(0, -1));
      expect(reader.readRun(7)).toBeUndefined();
    } finally {
      reader.close();
    }
  });
});
