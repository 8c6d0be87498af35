import { defineConfig, type ViteUserConfig } from 'vitest/config';
import SlowFirstSequencer from './test/support/sequencer.js';

/** What every test run shares; the long proofs' configs (vitest.long.config.ts, vitest.cluster.config.ts) start from it. */
export const shared: NonNullable<ViteUserConfig['test']> = {
  setupFiles: ['test/support/setup-runtime.ts'],
  // Temporal workers use native threads: run test files in child processes, not worker threads.
  pool: 'forks',
  maxWorkers: 2,
  // A passing test prints nothing: what a test logs (console, the Temporal SDK, its processes' output;
  // test/support/test-logs.ts) is printed only for a test that failed.
  silent: 'passed-only',
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    // Longer proofs (replicas, the cluster) have npm scripts of their own: test:replicas, test:cluster.
    exclude: ['test/long/**', '**/node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    // Most files wait (on timers, a worker's restart, a database outage) more than they compute: a
    // third fork on 2 cores fills those waits. The slow files start first, so the forks end together.
    maxWorkers: 3,
    // A fork runs file after file with its modules loaded once (a quarter less CPU than a process per
    // file): each file still builds its own world (harness, database, task queue), nothing module-wide.
    isolate: false,
    sequence: { sequencer: SlowFirstSequencer },
  },
});
