/** vitest global setup: one real redis-server for the cluster tests, on a free loopback port; stopped at the end. */
import type { TestProject } from 'vitest/node';
import { startRedis } from './redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://:<password>@127.0.0.1:<port>` of the test server. */
    redisUrl: string;
    /** Why there is no server (redis-server missing), or ''. */
    redisError: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const redis = await startRedis();
    project.provide('redisUrl', redis.url);
    project.provide('redisError', '');
    return () => redis.stop();
  } catch (error) {
    // The other suites run; every cluster test fails with this reason.
    project.provide('redisUrl', '');
    project.provide('redisError', (error as Error).message);
    return async () => {};
  }
}
