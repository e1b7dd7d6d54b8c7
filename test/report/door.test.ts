// The report is a product of its own: the core door never reaches it or its chart library.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every module reachable by static or dynamic imports from `entry`, and the packages they import. */
function reach(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    // code lines only: a JSDoc example may mention an import
    const text = readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l)).join('\n');
    for (const m of text.matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return { files, packages };
}

describe('batchtools/report door', () => {
  it('the core door imports neither the report product nor uPlot', () => {
    const core = reach(join(root, 'src/index.ts'));
    expect(core.files.size).toBeGreaterThan(10);
    expect([...core.files].filter((f) => f.includes('/src/report/'))).toEqual([]);
    expect(core.packages.has('uplot')).toBe(false);
  });

  it('the report door reaches uPlot and is exported as batchtools/report', () => {
    const report = reach(join(root, 'src/report/index.ts'));
    expect([...report.files].some((f) => f.endsWith('src/report/page.ts'))).toBe(true);
    expect(readFileSync(join(root, 'src/report/page.ts'), 'utf8')).toContain("require.resolve('uplot/dist/uPlot.iife.min.js')");
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }>; dependencies: Record<string, string> };
    expect(pkg.exports['./report']?.default).toBe('./dist/src/report/index.js');
    expect(pkg.dependencies['uplot']).toMatch(/^\^1\./);
  });
});
