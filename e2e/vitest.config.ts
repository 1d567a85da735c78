import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The end-to-end tests: the real relay (a child process on a temp DATA_DIR) serving the built
// app (`npm run build` first) to Debian's headless Chromium, driven through playwright-core.
// Separate from the unit tests' config: these need dist/ and /usr/bin/chromium, and each file
// starts browsers and a relay, so files run one after another (the CI machines have 2 cores).
const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  test: {
    root,
    include: ['e2e/**/*.e2e.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    environment: 'node',
    reporters: ['default', './.ci/summary-reporter.ts'],
    // A child process per file, like the unit tests; one file at a time.
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // Browser start, service worker install and a relay start on a slow shared machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
