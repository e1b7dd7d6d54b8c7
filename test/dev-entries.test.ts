// The test suite starts its worker threads from dist/ (BT_DEV_BUILT_WORKERS, see src/base/entry-url.ts). This file
// checks the other way, the one a developer gets running the sources without it: the workers/ development entries,
// which register tsx in each worker thread before loading the TypeScript worker code. (main.mts: tsx compiles its
// `await using`, which Node 20 cannot parse.)
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const tsx = new URL('node_modules/tsx/dist/loader.mjs', root).href;
const dir = mkdtempSync(join(tmpdir(), 'bt-dev-entries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = `
import { createRuntime, defineTask } from ${JSON.stringify(new URL('src/index.ts', root).href)};
import { workerEntryUrl } from ${JSON.stringify(new URL('src/base/entry-url.ts', root).href)};
await using rt = await createRuntime({ threads: 2 });
const work = defineTask(new URL(${JSON.stringify(new URL('test/fixtures/cli/work.mjs', root).href)}), 'listed');
const out = await rt.map([1, 2, 3, 4, 5].map((n) => ({ n })), work);
await using model = await rt.spawn(new URL(${JSON.stringify(new URL('test/fixtures/model.ts', root).href)}));
const loaded = await model.load(['a', 'b']);
console.log(JSON.stringify({ entry: workerEntryUrl('batch').pathname, doubles: out.map((r) => r.double), loaded }));
`;

describe('running from the sources without BT_DEV_BUILT_WORKERS', () => {
  it('starts the pool and a dedicated worker from the development entries', async () => {
    const file = join(dir, 'main.mts');
    writeFileSync(file, script);
    const env = { ...process.env };
    delete env['BT_DEV_BUILT_WORKERS'];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', tsx, file], { env, timeout: 50_000 }, (error, out, err) => {
        if (error) reject(new Error(`${error.message}\n${err}`));
        else resolve(out);
      });
    });
    expect(JSON.parse(stdout)).toEqual({
      entry: fileURLToPath(new URL('workers/dev-entry.mjs', root)),
      doubles: [2, 4, 6, 8, 10],
      loaded: 2,
    });
  });
});
