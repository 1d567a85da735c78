/**
 * Vitest globalSetup of the `postgres` project (vitest.config.ts): starts ONE throwaway
 * PostgreSQL cluster for the whole run, migrates a template database in it, and provides where
 * they are to the test processes (`inject('relayPostgres')`). `appFixture` then clones the
 * template into a fresh database for a fixture and empties it on `close()` for the same test
 * file's next fixture; the route tests run unchanged against PostgreSQL (issue 4: "`npm test` runs all of the above against both
 * stores"). The teardown stops the cluster and removes its directory.
 * @module
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openStore } from '../storage/index.ts';
import { startPostgresCluster } from './postgres-cluster.ts';

/** What the test processes get from `inject('relayPostgres')`. */
export interface SharedPostgres {
  /** `postgres://…/postgres`: the maintenance database, for CREATE/DROP DATABASE and CHECKPOINT. */
  readonly maintenanceUrl: string;
  /** A migrated, otherwise empty database that every fixture database is cloned from. */
  readonly template: string;
  /** The cluster's data directory: the plaintext scans read it. */
  readonly dataDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Which store `appFixture` opens; set per project in vitest.config.ts. */
    relayStore: 'sqlite' | 'postgres';
    /** Set by this globalSetup in the `postgres` project only. */
    relayPostgres: SharedPostgres;
  }
}

/** Template database name (never connected to by the tests, so it can be cloned concurrently). */
export const TEMPLATE_DATABASE = 'relay_template';

/**
 * Connections: each fixture's store opens up to 19 (message pool, blob pool, listener), though
 * a test rarely needs more than a few at once, plus one for counts(); vitest runs up to one test
 * file per core. WAL: fixture databases are cloned with WAL-logged page copies, so a smaller
 * max_wal_size checkpoints more often and keeps pg_wal, which the plaintext scans read, from
 * growing across the run.
 */
const CLUSTER_OPTIONS = {
  // Capped: each slot costs shared memory and semaphores.
  maxConnections: Math.min(1000, Math.max(300, 40 * availableParallelism())),
  settings: ['max_wal_size=96MB', 'min_wal_size=32MB'],
} as const;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgresCluster(CLUSTER_OPTIONS);
  try {
    const templateUrl = await cluster.createDatabase(TEMPLATE_DATABASE);
    // openStore migrates; a PostgreSQL store never touches dataDir.
    const { store } = await openStore({ dataDir: join(cluster.dataDir, 'unused'), databaseUrl: templateUrl });
    await store.close();
    project.provide('relayPostgres', {
      maintenanceUrl: cluster.databaseUrl,
      template: TEMPLATE_DATABASE,
      dataDir: cluster.dataDir,
    });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return () => cluster.stop();
}
