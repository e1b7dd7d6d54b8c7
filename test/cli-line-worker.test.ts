// The byte path's worker side (src/cli/line-worker.ts), run in process: a block's reply is what the line-by-line
// rules give for each of its lines, also where some lines hold numbers JSON.parse would change (the worker checks
// the parsed value first, and the text only when the value says it may have changed).
import { describe, expect, it } from 'vitest';
import { entries, parseLine, readLines } from '../src/cli/input.ts';
import { lineBlocks, type LineBlock } from '../src/cli/line-blocks.ts';
import { runBlock, warmedLines, type BlockReply } from '../src/cli/line-worker.ts';
import { successLine } from '../src/cli/records.ts';
import { mayBeChanged, unrepresentable } from '../src/cli/json-fidelity.ts';
import { defineTask, type TaskContext } from '../src/task.ts';

const task = defineTask(new URL('./fixtures/cli/work.mjs', import.meta.url), 'listed').spec;
const context = { signal: new AbortController().signal, workerId: 0, host: undefined, index: 0 } as unknown as TaskContext;

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

/** Every line of `text` as one block each of at most `lines` lines, run; the replies in order. */
async function run(text: string | Buffer, lines: number): Promise<Array<{ block: LineBlock; reply: BlockReply }>> {
  const out: Array<{ block: LineBlock; reply: BlockReply }> = [];
  for await (const piece of lineBlocks(once(Buffer.from(text)), { lines, bytes: 1 << 20 }, undefined, parseLine)) {
    if (!('block' in piece)) throw new Error('nothing is skipped here');
    out.push({ block: piece.block, reply: await runBlock([piece.block, task, false], context) });
  }
  return out;
}

/** What the line-by-line rules make of each item: its output line, or its failure message. */
async function expected(text: string | Buffer): Promise<string[]> {
  const out: string[] = [];
  for await (const e of entries(readLines(once(Buffer.from(text))))) {
    if (!e.parsed.ok) out.push(`invalid: ${e.parsed.message}`);
    else {
      const item = e.parsed.value as { n: number };
      out.push(successLine(e.index, e.line, { n: item.n, double: item.n * 2 })!);
    }
  }
  return out;
}

function seen(replies: Array<{ block: LineBlock; reply: BlockReply }>): string[] {
  const out: string[] = [];
  for (const { block, reply } of replies) {
    const [bytes, failures] = reply;
    // The lines travel as UTF-8 in shared memory (cloned without a copy).
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.slice());
    const ok = text === '' ? [] : text.slice(0, -1).split('\n');
    let o = 0;
    for (let k = 0; k < block.count; k++) {
      const failure = failures?.find((f) => f.k === k);
      if (failure === undefined) out.push(ok[o++]!);
      else out.push(failure.kind === 'invalid' ? `invalid: ${failure.message}` : `other: ${failure.kind}`);
    }
  }
  return out;
}

describe('runBlock', () => {
  const suspectLines = [
    '{"n":1,"tag":"e123 is text, not a number"}', // a suspect that is fine
    '{"n":2,"big":1e400}', // beyond a double
    '{"n":3,"id":12345678901234567890}', // beyond 2^53
    '{"n":4,"id":1234567890123456}', // 16 digits, still exact
    '{"n":5,"x":2E-308}', // an exponent of three digits, representable
    '{"n":6,"tag":"plain"}',
    'not json at all',
    `{"n":7,"deep":${'['.repeat(1001)}${']'.repeat(1001)}}`, // deeper than MAX_DEPTH
    '{"n":8,"tag":"après"}', // not ASCII: text offsets differ from byte offsets after it
  ];

  it('gives for every line what the line-by-line rules give, whatever the block size', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 63; i++) lines.push(i % 7 === 3 ? suspectLines[Math.floor(i / 7)]! : JSON.stringify({ n: 100 + i, tag: `t${i}` }));
    lines.push(...suspectLines);
    const text = `${lines.join('\n')}\n`;
    const want = await expected(text);
    expect(want.filter((w) => w.startsWith('invalid'))).toHaveLength(8); // four refused lines, each twice
    for (const size of [1, 2, 5, 64, 4096]) {
      const replies = await run(text, size);
      expect(seen(replies)).toEqual(want);
      // No blank line here: every block is dense (the worker finds its lines itself).
      expect(replies.every(({ block }) => block.bounds === null)).toBe(true);
    }
  });

  it('reads text outside ASCII (2-, 3- and 4-byte characters, a byte order mark, CRLF) as the line-by-line rules do', async () => {
    const wide = ['é', '€', '🙂', 'ünïcödé 🙂🙂 €€', '\u2028', '日本語'];
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      lines.push(JSON.stringify({ n: 200 + i, tag: `${wide[i % wide.length]!.repeat(1 + (i % 3))}-${i}` }));
      if (i % 4 === 1) lines.push(suspectLines[(i >> 2) % suspectLines.length]!);
      if (i % 9 === 2) lines.push('   ');
    }
    const text = `\ufeff${lines.map((l, i) => (i % 5 === 0 ? `${l}\r` : l)).join('\n')}\n`;
    const want = await expected(text);
    expect(want.filter((w) => w.startsWith('invalid'))).toHaveLength(4); // 1e400, 2^64, not JSON, too deep
    for (const size of [1, 3, 7, 64, 4096]) {
      const replies = await run(text, size);
      expect(seen(replies)).toEqual(want);
      // Blank lines and the byte order mark make some blocks carry their items' ranges; the others are dense.
      if (size === 7) expect(new Set(replies.map(({ block }) => block.bounds === null))).toEqual(new Set([true, false]));
    }
    // One line that is not valid UTF-8 in the block: it alone fails, and the lines around it are read as before.
    const broken = Buffer.concat([Buffer.from(text.slice(0, 400).replace(/\n[^\n]*$/, '\n')), Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), Buffer.from(text.slice(400).replace(/^[^\n]*\n/, ''))]);
    const wantBroken = await expected(broken);
    expect(wantBroken.filter((w) => w.includes('invalid UTF-8'))).toHaveLength(1);
    for (const size of [1, 7, 4096]) expect(seen(await run(broken, size))).toEqual(wantBroken);
  });

  it('checks the text of every line the fidelity rules refuse: its parsed value always says it may have changed', () => {
    const lines = [
      ...suspectLines.filter((l) => l.length <= 1000),
      '9007199254740991', // 2^53 - 1: exact
      '9007199254740992', // 2^53: refused, as every integer from there on
      '-9007199254740993',
      '[1, 2, {"a": [3, 4e400]}]',
      '{"a": {"b": {"c": 123456789012345678}}}',
      '1.5e300', // exact: the text check passes it
      '0.12345678901234567890', // digits beyond a double's, but not an integer: accepted
      '1e-400', // underflows to 0: accepted
      '{"__proto__": 12345678901234567890}',
      '["12345678901234567890", "1e400"]', // strings, not numbers
      '-1e309',
    ];
    let refused = 0;
    for (const line of lines) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue; // not JSON: parseLine says so, whatever the value test would say
      }
      const why = unrepresentable(line);
      if (why !== undefined) {
        refused++;
        expect(mayBeChanged(value), line).toBe(true);
      }
      // A value that holds no large or infinite number is never refused.
      if (!mayBeChanged(value)) expect(why, line).toBeUndefined();
    }
    expect(refused).toBe(8);
    expect(mayBeChanged(JSON.parse('{"n":1,"tag":"e123 is text, not a number"}'))).toBe(false);
    expect(mayBeChanged(JSON.parse('1.5e300'))).toBe(true); // checked on its text, which accepts it
  });
});

describe('runBlock: a task that awaits', () => {
  it('picks up each dense block where it stopped to await (every third item answers through a promise)', async () => {
    const later = defineTask(new URL('./fixtures/cli/work.mjs', import.meta.url), 'listedLater').spec;
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i, tag: `t${i}` }));
    const text = `${lines.map((l, i) => (i % 4 === 0 ? `${l}\r` : l)).join('\n')}\n`;
    const want = await expected(text);
    for (const size of [1, 7, 64]) {
      const out: Array<{ block: LineBlock; reply: BlockReply }> = [];
      for await (const piece of lineBlocks(once(Buffer.from(text)), { lines: size, bytes: 1 << 20 }, undefined, parseLine)) {
        if (!('block' in piece)) throw new Error('nothing is skipped here');
        expect(piece.block.bounds).toBeNull();
        out.push({ block: piece.block, reply: await runBlock([piece.block, later, false], context) });
      }
      expect(seen(out)).toEqual(want);
    }
  });
});

describe('runBlock: warm-up', () => {
  it('ran every warm-up line at load (a warm-up that ran none would let V8 inline the first task into the block loop)', () => {
    // 4 rounds of 6 distinct tasks, one line each.
    expect(warmedLines).toBe(24);
  });
});
