import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ rebuilt when a source is newer (the command-line tests run the built CLI: test/fixtures/built.ts), and
    // a real redis-server for the cluster tests (test/cluster), on a free loopback port.
    globalSetup: ['test/fixtures/built.ts', 'test/cluster/global-setup.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
    pool: 'forks',
    // Two test files at a time. vitest's default is one fewer than the cores, i.e. one file at a time on 2 cores,
    // but most test files spend their time waiting for the CLI processes, workers, tsc and npm they start, so one
    // file at a time leaves a core idle: `npm test` took ~300 s that way on the 2-core machine.
    maxWorkers: 2,
    // The bounded-memory test measures retained heap, after a forced GC.
    execArgv: ['--expose-gc'],
    // Worker threads start from dist/ (rebuilt by the global setup), not through tsx: see src/base/entry-url.ts.
    env: { BT_DEV_BUILT_WORKERS: '1' },
    // A test that runs a few CLI processes one after another (each starts Node, tsx and worker threads) needs more
    // than 30 s when two files share the 2 cores and other work runs too (measured: the retry test of
    // cli-errors at load 13). Hangs are still caught, later.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
