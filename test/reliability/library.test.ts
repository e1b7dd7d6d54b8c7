// Library-level regressions from the adversarial review: a thrown object whose `message` getter throws is a task
// failure (not a worker crash, not retried).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRuntime, defineTask } from '../../src/index.ts';
import { toEnvelope } from '../../src/transport/envelope.ts';

const tasks = join(import.meta.dirname, 'fixtures/tasks.mjs');

describe('errors that fight back', () => {
  it('the envelope never throws on a message getter that throws', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('gotcha');
      },
    });
    const env = toEnvelope(error);
    expect(env.isError).toBe(true);
    expect(env.message).toContain('its message getter threw: gotcha');
  });

  it('a task throwing such an error fails its item with BT_TASK_FAILED, once (no crash, no retry)', async () => {
    await using rt = createRuntime({ threads: 1 });
    const [r] = await rt.mapSettled([1], defineTask(tasks, 'hostileError'), { retries: 2 });
    expect(r!.status).toBe('rejected');
    const reason = (r as { reason: { code: string; attempts: number } }).reason;
    expect(reason.code).toBe('BT_TASK_FAILED');
    expect(reason.attempts).toBe(1);
  });
});
