import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * The relay tests that go through `appFixture` (routes, the app, their adversarial files, and
 * the auth and rate-limit middleware over a real store): run once per store. relay/routes/postgres.test.ts is
 * PostgreSQL-specific (pg errors mapped to HTTP answers, concurrent fetches on pooled
 * connections), so only the `postgres` project has it. The rest of relay/ stays SQLite-only on
 * purpose: the storage conformance suite opens both stores itself, and the CLI, sweeper and
 * durability tests are about DATA_DIR (the SQLite file and blob folder).
 */
const RELAY_APP_TESTS = ['relay/routes/*.test.ts', 'relay/app.test.ts', 'relay/middleware/auth.test.ts', 'relay/middleware/rate-limit.test.ts'];
const POSTGRES_ONLY = ['relay/routes/postgres.test.ts'];
const EXCLUDE = ['**/node_modules/**', '**/dist/**', 'e2e/**'];

// Tests sit beside the code they test. The end-to-end tests in e2e/ run in real
// headless Chromium with their own config (e2e/vitest.config.ts).
//
// Two projects, run together in one `vitest run` (issue 4: "`npm test` runs all of the above
// against both stores"); vitest prefixes each test with its project name, so a failure says
// which store it ran on:
// - `sqlite`: every test, the relay's on the embedded SQLite store;
// - `postgres`: the relay app tests again, each fixture on its own database in one throwaway
//   PostgreSQL cluster that relay/testing/postgres-global-setup.ts starts for the run.
export default defineConfig({
  test: {
    environment: 'node',
    reporters: ['default', './.ci/summary-reporter.ts'],
    // Child processes rather than worker threads: each test file gets a clean process, native
    // addons (better-sqlite3) load safely, and a crash cannot take the run down.
    pool: 'forks',
    // Vitest's default is cores - 1, i.e. a single worker on the 2-core CI machines. Shared by
    // both projects: their files run side by side.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The machines are slow and shared; property tests and KDFs need headroom.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['**/*.test.ts'],
          exclude: [...EXCLUDE, ...POSTGRES_ONLY],
          provide: { relayStore: 'sqlite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: RELAY_APP_TESTS,
          exclude: EXCLUDE,
          provide: { relayStore: 'postgres' },
          globalSetup: ['relay/testing/postgres-global-setup.ts'],
        },
      },
    ],
  },
});
