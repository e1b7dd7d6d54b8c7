import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const loader = new URL('./fixtures/doors/load.mjs', import.meta.url);

/** The packages a door loads when imported in a fresh process (its module graph, through load hooks). */
async function packagesLoadedBy(door: string): Promise<Set<string>> {
  const { stdout } = await run(process.execPath, [loader.pathname, new URL(door, loader).href], { timeout: 60_000 });
  const urls = JSON.parse(stdout) as string[];
  const packages = urls.flatMap((url) => {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    return match ? [match[1]!] : [];
  });
  return new Set(packages);
}

/** What a product loads and the core must not: the CLI's, the suite runner's and the fleet's dependencies (and the
 * machine reader, which the core imports only when a plan is refined). */
const PRODUCT_ONLY = ['commander', 'cli-progress', 'tinybench', 'tinyglobby', 'bullmq', 'ioredis', 'systeminformation'];

describe('product doors', () => {
  it('importing the core (batchtools) loads none of the products’ dependencies', async () => {
    const loaded = await packagesLoadedBy('../../../src/index.ts');
    expect(loaded.has('piscina')).toBe(true); // the hooks saw the graph (control: the core's own pool)
    for (const name of PRODUCT_ONLY) expect(loaded.has(name), name).toBe(false);
  });

  it('the check can fail: the CLI door loads commander and cli-progress', async () => {
    const loaded = await packagesLoadedBy('../../../src/cli/index.ts');
    expect(loaded.has('commander')).toBe(true);
    expect(loaded.has('cli-progress')).toBe(true);
  });

  it('the bench door runs suites without loading tinybench on the main thread', async () => {
    const loaded = await packagesLoadedBy('../../../src/suites/index.ts');
    expect(loaded.has('commander')).toBe(false);
    expect(loaded.has('tinybench')).toBe(false);
  });

  it('package.json exports each door, types first', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, { types?: string; default?: string } | string>;
    };
    for (const [door, source] of [
      ['.', 'src/index.ts'],
      ['./bench', 'src/suites/index.ts'],
      ['./cli', 'src/cli/index.ts'],
    ] as const) {
      const entry = pkg.exports[door];
      expect(typeof entry === 'object' ? Object.keys(entry) : [], door).toEqual(['types', 'default']);
      const built = source.replace(/^src\//, './dist/src/').replace(/\.ts$/, '');
      expect(entry).toEqual({ types: `${built}.d.ts`, default: `${built}.js` });
    }
  });
});
