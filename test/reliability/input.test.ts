// Input fidelity and limits: the line reader is linear (a line spanning many chunks is joined once), invalid
// UTF-8, unsafe integers, overflowing numbers and deep nesting are refused (never silently changed), long lines
// are bounded.
import { describe, expect, it, vi } from 'vitest';
import { entries, parseLine, readLines, type Line } from '../../src/cli/input.ts';
import { MAX_DEPTH } from '../../src/cli/json-fidelity.ts';

async function* chunks(...parts: Array<Buffer | string>): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

async function all(lines: AsyncIterable<Line>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('readLines', () => {
  it('joins a line spanning many chunks once (linear), and keeps CRLF, BOM and multi-byte characters right', async () => {
    const concat = vi.spyOn(Buffer, 'concat');
    const parts = Array.from({ length: 1000 }, () => 'x'.repeat(100));
    const lines = await all(readLines(chunks('\ufeff"a"\r\n"é', '\u00e9"\n', ...parts, '\n')));
    expect(lines.map((l) => l.text.length)).toEqual([3, 4, 100_000]);
    expect(lines[1]!.text).toBe('"éé"');
    // one join per line that spans chunks (two here), not one per chunk
    expect(concat.mock.calls.length).toBe(2);
    concat.mockRestore();
  });

  it('reports invalid UTF-8 instead of replacing it; (control) valid text has no problem', async () => {
    const [bad, good] = await all(readLines(chunks(Buffer.from([0x22, 0x61, 0xff, 0x22, 0x0a]), '"ok"\n')));
    expect(bad!.problem).toBe('invalid UTF-8 at byte 2 of the line');
    expect(good!.problem).toBeUndefined();
  });

  it('a line longer than the limit becomes a problem line without being kept', async () => {
    const lines = await all(readLines(chunks('1\n', 'y'.repeat(600), 'y'.repeat(600), '\n2\n'), undefined, 1000));
    expect(lines.map((l) => l.problem ?? l.text)).toEqual(['1', 'the line is longer than 1000 bytes', '2']);
  });
});

describe('parseLine refuses what JSON.parse would change', () => {
  it.each([
    ['9007199254740993', /the integer 9007199254740993 is beyond 2\^53/],
    ['{"a":[1e400]}', /the number 1e400 is beyond the range of a double/],
    ['-1E+999', /beyond the range/],
    [`${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`, /nesting deeper than 1000 levels/],
    [`${'['.repeat(200_000)}${']'.repeat(200_000)}`, /nesting deeper than 1000 levels/],
  ])('%#', (text, why) => {
    const parsed = parseLine(text);
    expect(parsed.ok).toBe(false);
    expect((parsed as { message: string }).message).toMatch(why);
  });

  it.each(['9007199254740991', '"9007199254740993"', '1e308', '0.1000000000000000055511151231257827', `${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`])(
    '(control) accepts %s',
    (text) => {
      expect(parseLine(text).ok).toBe(true);
    },
  );

  it('entries: a problem line is an item that fails, blank lines are not items', async () => {
    const got = [];
    for await (const e of entries(readLines(chunks('1\n\n', Buffer.from([0xc3, 0x28, 0x0a]), '2\n')))) got.push(e);
    expect(got.map((e) => [e.index, e.line, e.parsed.ok])).toEqual([
      [0, 1, true],
      [1, 3, false],
      [2, 4, true],
    ]);
  });
});
