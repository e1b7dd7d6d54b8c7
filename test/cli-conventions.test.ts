// Command-line conventions: --version, standard input/output as the default input/output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, cli, root, tempDir, workModule } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

describe('batchtools conventions', () => {
  it('--version and -v print the package version and exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = await cli([flag], { cwd: tempDir() });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('run reads standard input and writes standard output when --input and --output are not given', async () => {
    const items = Array.from({ length: 50 }, (_, n) => JSON.stringify({ n })).join('\n');
    const r = await cli(['run', workModule, '--quiet'], { cwd: tempDir(), stdin: `${items}\n` });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    for (const [i, text] of lines.entries()) expect(JSON.parse(text)).toMatchObject({ index: i, line: i + 1, ok: true });
    expect(r.stderr).toContain('  output     standard output\n');
  });
});
