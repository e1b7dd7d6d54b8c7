import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, InvalidInputError, InvalidOptionError } from '../src/index.ts';
import { readDocument, writeDocument } from '../src/suites/document.ts';
import { SuiteErrorCodes } from '../src/suites/errors.ts';
import { formatResults } from '../src/suites/format.ts';
import { runSuites, type SuiteProgress } from '../src/suites/runner.ts';
import type { SuiteRecord } from '../src/suites/types.ts';

const cwd = fileURLToPath(new URL('./fixtures/suites/', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'bt-suites-run-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const byFile = (suites: SuiteRecord[], file: string): SuiteRecord => suites.find((s) => s.file === file)!;

describe('runSuites', () => {
  it('isolates suites: globals and prototypes a suite pollutes do not reach the next suite or the caller', async () => {
    const doc = await runSuites(['pollute.bench.mjs', 'check-clean.bench.mjs'], { cwd, runs: 1 });
    expect(doc.suites.map((s) => [s.file, s.status])).toEqual([
      ['pollute.bench.mjs', 'completed'],
      ['check-clean.bench.mjs', 'completed'],
    ]);
    expect(doc.suites[1]!.tasks.map((t) => t.name)).toEqual(['clean']);
    expect((globalThis as Record<string, unknown>)['__batchtoolsSuitePolluted']).toBeUndefined();
    expect(doc.run).toMatchObject({ isolation: 'worker-per-suite', parallel: 1, contended: false });
  });

  it('records a suite that crashes, throws or fails to load with its error, and still runs the others', async () => {
    const files = ['exits.bench.mjs', 'throws.bench.mjs', 'syntax-error.bench.mjs', 'not-a-bench.bench.mjs', 'task-error.bench.mjs', 'fast.bench.mjs'];
    const doc = await runSuites(files, { cwd, runs: 1 });
    expect(doc.suites.map((s) => s.file)).toEqual(files);

    const exits = byFile(doc.suites, 'exits.bench.mjs');
    expect(exits).toMatchObject({ status: 'failed', phase: 'crash', tasks: [] });
    expect(exits.options).not.toBeNull(); // it loaded, then exited while running
    expect(exits.error).toMatchObject({ name: 'SuiteError', code: SuiteErrorCodes.CRASHED });
    expect(exits.error!.message).toMatch(/exits\.bench\.mjs ended its worker \(exit code 7\) before finishing/);

    const throws = byFile(doc.suites, 'throws.bench.mjs');
    expect(throws).toMatchObject({ status: 'failed', phase: 'load' });
    expect(throws.error!.code).toBe(SuiteErrorCodes.LOAD);
    expect(throws.error!.message).toContain('RangeError [E_FIXTURE]: the suite could not build its bench');
    expect(throws.error!.stack).toContain('throws.bench.mjs'); // the cause's stack, where the problem is

    expect(byFile(doc.suites, 'syntax-error.bench.mjs').error!.message).toMatch(/failed to load: SyntaxError/);
    expect(byFile(doc.suites, 'not-a-bench.bench.mjs').error!.message).toMatch(/default export of .*not-a-bench\.bench\.mjs is an object, not a tinybench Bench/);

    const taskError = byFile(doc.suites, 'task-error.bench.mjs');
    expect(taskError.status).toBe('completed');
    expect(taskError.tasks.map((t) => [t.name, t.state])).toEqual([['ok', 'completed'], ['broken', 'errored']]);
    expect(taskError.tasks[1]!.error).toMatchObject({ name: 'TypeError', message: 'task exploded' });

    expect(byFile(doc.suites, 'fast.bench.mjs').tasks.map((t) => t.state)).toEqual(['completed', 'completed']);
    const text = formatResults(doc);
    expect(text).toContain('✖ exits.bench.mjs: failed (crash)');
    expect(text).toMatch(/✓ fast\.bench\.mjs \(fast\): 2 tasks/);
  });

  it('terminates a suite that runs past the timeout', async () => {
    const doc = await runSuites(['hangs.bench.mjs', 'fast.bench.mjs'], { cwd, runs: 1, timeout: 4000 }); // room to load on a loaded machine
    expect(doc.suites[0]).toMatchObject({ status: 'failed', phase: 'timeout', error: { code: SuiteErrorCodes.TIMEOUT } });
    expect(doc.suites[0]!.options).not.toBeNull(); // it loaded, then hung while running
    expect(doc.suites[1]!.status).toBe('completed');
  });

  it('runs a TypeScript suite whose default export is an async factory, with samples and the options used', async () => {
    const doc = await runSuites('typed.bench.ts', { cwd, runs: 1, maxSamples: null });
    const suite = doc.suites[0]!;
    expect(suite).toMatchObject({ file: 'typed.bench.ts', name: 'typed', status: 'completed', error: null });
    expect(suite.options).toMatchObject({ time: 20, iterations: 30, warmup: false, retainSamples: false, concurrency: null, runtime: 'node' });
    const task = suite.tasks[0]!;
    expect(task.name).toBe('sum points');
    // The suite did not ask for samples; the runner keeps them anyway.
    expect(task.samples!.length).toBe(task.latency!.samplesCount);
    expect(task.samplesCapped).toBe(false);
    expect(task.throughput!.mean).toBeGreaterThan(0);
  });

  it('runs each suite in isolated runs, interleaved by round, keeping each run\'s mean', async () => {
    const starts: string[] = [];
    const doc = await runSuites(['fast.bench.mjs', 'typed.bench.ts'], {
      cwd,
      runs: 3,
      onProgress: (e) => {
        if (e.type === 'suite-start') starts.push(`${e.file}#${e.run}/${e.runs}`);
      },
    });
    expect(starts).toEqual(['fast.bench.mjs#1/3', 'typed.bench.ts#1/3', 'fast.bench.mjs#2/3', 'typed.bench.ts#2/3', 'fast.bench.mjs#3/3', 'typed.bench.ts#3/3']);
    expect(doc.run.runs).toBe(3);
    for (const suite of doc.suites) {
      for (const task of suite.tasks) {
        expect(task.runMeans).toHaveLength(3);
        const weighted = task.runMeans!.reduce((s, m) => s + m, 0) / 3;
        expect(task.latency!.mean).toBeGreaterThanOrEqual(Math.min(...task.runMeans!));
        expect(task.latency!.mean).toBeLessThanOrEqual(Math.max(...task.runMeans!));
        expect(weighted).toBeGreaterThan(0);
        // Each run's fastest 1 %: between that run's fastest call and its median.
        expect(task.runLows).toHaveLength(3);
        for (const [i, low] of task.runLows!.entries()) {
          expect(low).toBeGreaterThanOrEqual(task.latency!.min);
          expect(low).toBeLessThanOrEqual(task.runMedians![i]!);
        }
      }
    }
  });

  it('writes a self-describing document that reads back unchanged, with capped samples', async () => {
    const events: SuiteProgress['type'][] = [];
    const doc = await runSuites(['fast.bench.mjs'], { cwd, runs: 2, maxSamples: 50, onProgress: (e) => events.push(e.type) });
    const run = ['suite-start', 'suite-loaded', 'task-done', 'task-done'];
    expect(events).toEqual([...run, ...run, 'suite-end']);
    expect(doc).toMatchObject({ format: 'batchtools-bench', schemaVersion: 2, run: { maxSamples: 50, runs: 2 } });
    expect(doc.machine.cpu.logicalCores).toBeGreaterThan(0);
    expect(doc.machine.memory.totalBytes).toBeGreaterThan(0);
    expect(doc.machine.node.version).toBe(process.version);
    for (const task of doc.suites[0]!.tasks) {
      expect(task.samples!.length).toBe(50);
      expect(task.samplesCapped).toBe(true);
      expect(task.latency!.samplesCount).toBeGreaterThan(50);
      expect(task.samples![0]).toBe(task.latency!.min);
      expect(task.samples![49]).toBe(task.latency!.max);
      expect([...task.samples!].sort((a, b) => a - b)).toEqual(task.samples);
    }
    const file = join(dir, 'fast.json');
    await writeDocument(file, doc);
    expect(await readDocument(file)).toEqual(doc);
  });

  it('runs suites in parallel on request and says that their timings contended', async () => {
    const doc = await runSuites(['fast.bench.mjs', 'typed.bench.ts'], { cwd, runs: 1, parallel: 2 });
    expect(doc.run).toMatchObject({ parallel: 2, contended: true });
    expect(doc.suites.map((s) => s.status)).toEqual(['completed', 'completed']);
    expect(formatResults(doc)).toMatch(/up to 2 suites ran at once .*contended for the CPU/);
  });

  it('rejects usage errors before running anything', async () => {
    const noMatch = await runSuites(['nothing-*.bench.ts'], { cwd, runs: 1 }).catch((e: unknown) => e);
    expect(noMatch).toBeInstanceOf(InvalidInputError);
    expect((noMatch as InvalidInputError).code).toBe(ErrorCodes.INVALID_INPUT);
    expect((noMatch as Error).message).toMatch(/no suite files match "nothing-\*\.bench\.ts"/);
    await expect(runSuites([], { cwd, runs: 1 })).rejects.toThrow(/no suite files given/);
    await expect(runSuites('fast.bench.mjs', { cwd, runs: 1, parallel: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(runSuites('fast.bench.mjs', { cwd, runs: 1, timeout: -1 })).rejects.toThrow(/timeout/);
  });

  it('stops on abort, terminating the running suite', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const events: string[] = [];
    // Every termination, and whether it completed (the worker exited) before the call rejected.
    const exits: Array<number | 'pending'> = [];
    const original = Worker.prototype.terminate;
    const terminate = vi.spyOn(Worker.prototype, 'terminate').mockImplementation(function (this: Worker) {
      const at = exits.push('pending') - 1;
      return original.call(this).then((code) => {
        exits[at] = code;
        return code;
      });
    });
    try {
      const run = runSuites(['hangs.bench.mjs', 'fast.bench.mjs'], {
        cwd,
        signal: controller.signal,
        onProgress: (e) => {
          events.push(`${e.type} ${e.file}`);
          // The hanging suite is loaded and about to spin forever in its task.
          if (e.type === 'suite-loaded') controller.abort(reason);
        },
      });
      await expect(run).rejects.toBe(reason);
    } finally {
      terminate.mockRestore();
    }
    expect(events).toEqual(['suite-start hangs.bench.mjs', 'suite-loaded hangs.bench.mjs']); // fast never started
    expect(exits).toHaveLength(1);
    expect(exits[0]).not.toBe('pending'); // its worker had exited when the call rejected
  });
});
