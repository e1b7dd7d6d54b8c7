import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRunReport, writeTraceEvents } from '../../src/report/index.ts';
import { traceProblems } from './trace-format.ts';
import { syntheticTrace } from './traces.ts';

const dir = mkdtempSync(join(tmpdir(), 'bt-report-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writing reports', () => {
  const trace = syntheticTrace({ items: 500, chunkItems: 10, workers: 2, itemMs: 0.1, markEvery: 9 });

  it('writes the page and the trace events whole, leaving no temporary file', async () => {
    await writeRunReport(join(dir, 'run.html'), { trace, title: 'written' });
    await writeTraceEvents(join(dir, 'run.json'), trace);
    expect(readFileSync(join(dir, 'run.html'), 'utf8')).toMatch(/^<!doctype html>[\s\S]*<title>written<\/title>[\s\S]*<\/html>\n$/);
    expect(traceProblems(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['run.html', 'run.json']);
  });

  it('rejects for a directory that does not exist, and leaves nothing behind', async () => {
    await expect(writeRunReport(join(dir, 'missing', 'run.html'), { trace })).rejects.toThrow(/ENOENT/);
    await expect(writeTraceEvents(join(dir, 'run.json'), { chunks: 'no' } as never)).rejects.toThrow(/trace must be a run trace/);
    expect(readdirSync(dir).sort()).toEqual(['run.html', 'run.json']);
  });
});
