import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';
import { BatchtoolsError, ErrorCodes, isBatchtoolsError, ItemError, RunError } from '../src/index.ts';

describe('error codes', () => {
  it('are the documented, stable list', () => {
    expect(ErrorCodes).toEqual({
      INVALID_OPTION: 'BT_INVALID_OPTION',
      INVALID_INPUT: 'BT_INVALID_INPUT',
      TASK_LOAD: 'BT_TASK_LOAD',
      TASK_FAILED: 'BT_TASK_FAILED',
      DATA_CLONE: 'BT_DATA_CLONE',
      INLINE_CLOSURE: 'BT_INLINE_CLOSURE',
      WORKER_CRASHED: 'BT_WORKER_CRASHED',
      WORKER_OOM: 'BT_WORKER_OOM',
      TIMEOUT: 'BT_TIMEOUT',
      STARTUP_FAILED: 'BT_STARTUP_FAILED',
      CIRCUIT_OPEN: 'BT_CIRCUIT_OPEN',
      WORKER_CLOSED: 'BT_WORKER_CLOSED',
      SUITE_LOAD: 'BT_SUITE_LOAD',
      SUITE_FAILED: 'BT_SUITE_FAILED',
      SUITE_CRASHED: 'BT_SUITE_CRASHED',
      SUITE_TIMEOUT: 'BT_SUITE_TIMEOUT',
      SUITE_INVALID_RESULT: 'BT_SUITE_INVALID_RESULT',
      RUNTIME_CLOSED: 'BT_RUNTIME_CLOSED',
      TASK_MISMATCH: 'BT_TASK_MISMATCH',
      CLUSTER_UNAVAILABLE: 'BT_CLUSTER_UNAVAILABLE',
      INTERNAL: 'BT_INTERNAL',
    });
  });

  it('are each documented in the README table', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of Object.values(ErrorCodes)) {
      expect(readme, code).toContain(`\`${code}\``);
    }
  });

  it('brand errors so they are recognised across copies of the package', () => {
    const e = new ItemError(ErrorCodes.TIMEOUT, 'item 3 timed out', { index: 3, attempts: 2 });
    expect(e).toBeInstanceOf(BatchtoolsError);
    expect(e.name).toBe('ItemError');
    expect(isBatchtoolsError(e)).toBe(true);
    expect(isBatchtoolsError(new Error('x'))).toBe(false);
    expect(isBatchtoolsError(Object.assign(new Error('x'), { code: 'BT_TIMEOUT' }))).toBe(false);
    expect(new RunError(ErrorCodes.CIRCUIT_OPEN, 'open').name).toBe('RunError');
  });

  it('the public door names its exports explicitly', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'BatchtoolsError', 'ErrorCodes', 'InvalidInputError', 'InvalidOptionError', 'ItemError', 'RemoteError', 'RunError',
        'Runtime', 'RuntimeClosedError', 'TaskLoadError', 'WorkerError', 'createRuntime', 'defineTask', 'formatPlan',
        'isBatchtoolsError', 'isTask', 'mapSettled', 'parallelMap', 'planPool', 'planToJson', 'probeMachine', 'proxy',
        'refineProbe', 'taskModule', 'transfer', 'pipeline', 'graph', 'StageError',
      ].sort(),
    );
  });
});
