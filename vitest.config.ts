import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A real redis-server for the cluster tests (test/cluster), on a free loopback port.
    globalSetup: ['test/cluster/global-setup.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    pool: 'forks',
    // The bounded-memory test measures retained heap, after a forced GC.
    execArgv: ['--expose-gc'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
