// The CLI at its limits (break 12 of the adversarial review): SIGTERM in the middle of a very long input line
// stops the run at once: exit 143, nothing written, although the line never ends (standard input stays open).
// (Failures in bounded memory, break 16, is measured by failures-memory.ts, outside `npm test`: see there.)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, root, tempDir } from '../fixtures/cli/spawn.ts';

const tasks = join(import.meta.dirname, 'fixtures/tasks.mjs');
const tsx = join(root, 'node_modules/tsx/dist/loader.mjs');
const bin = join(root, 'src/cli/bin.ts');

afterAll(cleanUp);

describe('SIGTERM in the middle of a very long input line', () => {
  it('exits with 143 at once and writes nothing, although the line never ends', async () => {
    const dir = tempDir();
    const args = ['run', tasks, '--input', '-', '--output', 'out.jsonl', '--threads', '1'];
    const child = spawn(process.execPath, ['--import', `file://${tsx}`, bin, ...args], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    child.stdin.on('error', () => {}); // the CLI closes its end when it exits
    // Two items, then 16 MiB of one line that never ends: each write resolves once the pipe took it, so the CLI
    // is reading the line when the signal comes.
    const write = (text: string): Promise<void> => new Promise((resolve) => child.stdin.write(text, () => resolve()));
    await write('1\n2\n"');
    const mib = 'a'.repeat(1 << 20);
    for (let i = 0; i < 16; i++) await write(mib);
    child.kill('SIGTERM');
    const { code } = await ended;
    expect(code, stderr).toBe(143);
    expect(stderr).toContain('no output was written');
    // Nothing left behind: no output, no temporary file.
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
});
