import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Tests sit beside the code they test (STYLE.md). The end-to-end tests in e2e/ run in real
// headless Chromium and get their own runner in a later issue.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'e2e/**'],
    environment: 'node',
    reporters: ['default', './.ci/summary-reporter.ts'],
    // Child processes rather than worker threads: each test file gets a clean process, native
    // addons (better-sqlite3, next issue) load safely, and a crash cannot take the run down.
    pool: 'forks',
    // Vitest's default is cores - 1, i.e. a single worker on the 2-core CI machines.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The machines are slow and shared; property tests and KDFs need headroom.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
  },
});
