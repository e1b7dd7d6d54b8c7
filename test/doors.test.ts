import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const loader = new URL('./fixtures/doors/load.mjs', import.meta.url);

/**
 * Every module URL a door loads when imported in a fresh process (its module graph, through load hooks); with
 * `argv`, the door is an executable run with those arguments, and what its main thread loaded until its end.
 */
async function modulesLoadedBy(door: string, argv?: string[]): Promise<string[]> {
  const env = argv === undefined ? process.env : { ...process.env, DOOR_CHECK_ARGV: JSON.stringify(argv) };
  const { stdout } = await run(process.execPath, [loader.pathname, new URL(door, loader).href], { timeout: 60_000, env });
  return JSON.parse(stdout) as string[];
}

/** The packages a door loads. */
async function packagesLoadedBy(door: string): Promise<Set<string>> {
  const urls = await modulesLoadedBy(door);
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

  it('the core imports no product source (arrows point inward: products → core → base)', async () => {
    const own = (await modulesLoadedBy('../../../src/index.ts')).filter((url) => url.includes('/src/'));
    expect(own.some((url) => url.endsWith('/src/base/errors.ts'))).toBe(true);
    expect(own.filter((url) => /\/src\/(suites|cli|cluster|report)\//.test(url))).toEqual([]);
    // the base imports nothing of ours outside itself
    for (const file of readdirSync(new URL('../src/base/', import.meta.url)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(`../src/base/${file}`, import.meta.url), 'utf8');
      expect(text.match(/from '\.\.\/[^']*'|import\('\.\.\/[^']*'\)/g) ?? [], file).toEqual([]);
    }
  });

  it('the batch worker loads no comlink at start (only a run with a host needs it)', async () => {
    // The built files, as a pool thread loads them (vitest's global setup built dist/ from these sources).
    const batch = await packagesLoadedBy('../../../dist/workers/batch.js');
    expect(batch.has('comlink')).toBe(false);
    // control: the hooks see comlink where a built module imports it (the main side of dedicated workers)
    expect((await packagesLoadedBy('../../../dist/src/rpc/dedicated.js')).has('comlink')).toBe(true);
  });

  it('a CLI run loads no comlink on its main thread either (its runs have no host callbacks)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-doors-'));
    try {
      writeFileSync(join(dir, 'in.jsonl'), '1\n2\n');
      const task = fileURLToPath(new URL('./fixtures/cli/work.mjs', import.meta.url));
      const urls = await modulesLoadedBy('../../../dist/src/cli/bin.js', ['run', task, '--input', join(dir, 'in.jsonl'), '--output', join(dir, 'out.jsonl'), '--quiet']);
      expect(readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2); // the run ran
      expect(urls.filter((url) => /\/dist\/src\/cli\/bin-[A-Z0-9]+\.js$/.test(url)).length).toBeGreaterThan(5); // and the hooks saw it
      expect(urls.filter((url) => url.includes('/node_modules/comlink/'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the check can fail: the CLI door loads commander (and cli-progress only once a bar is drawn)', async () => {
    const loaded = await packagesLoadedBy('../../../src/cli/index.ts');
    expect(loaded.has('commander')).toBe(true);
    expect(loaded.has('cli-progress')).toBe(false);
  });

  it('the bench door runs suites without loading tinybench on the main thread', async () => {
    const loaded = await packagesLoadedBy('../../../src/suites/index.ts');
    expect(loaded.has('commander')).toBe(false);
    expect(loaded.has('tinybench')).toBe(false);
  });

  it('package.json exports each door that exists, types first (the products reserve batchtools/<name>)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, { types?: string; default?: string } | string>;
    };
    const doors: Array<[door: string, source: string]> = [['.', 'src/index.ts']];
    for (const [door, dir] of [['./bench', 'suites'], ['./cli', 'cli'], ['./cluster', 'cluster'], ['./report', 'report']]) {
      if (existsSync(new URL(`../src/${dir}/index.ts`, import.meta.url))) doors.push([door!, `src/${dir}/index.ts`]);
    }
    expect(doors.length).toBeGreaterThanOrEqual(3);
    for (const [door, source] of doors) {
      const entry = pkg.exports[door];
      expect(typeof entry === 'object' ? Object.keys(entry) : [], door).toEqual(['types', 'default']);
      const built = source.replace(/^src\//, './dist/src/').replace(/\.ts$/, '');
      expect(entry).toEqual({ types: `${built}.d.ts`, default: `${built}.js` });
    }
  });
});
