/**
 * The PostgreSQL storage adapter: `openPostgresStore(DATABASE_URL)` gives the relay a Store
 * composed from one file per resource (accounts.ts, prekeys.ts, mailboxes.ts, messages.ts,
 * blobs.ts for blob rows, invite-bodies.ts, sweep.ts for migrate, ping, close and sweep) over database.ts
 * (transactions, parameters, advisory locks), a BlobStore in the same database
 * (`blob-chunks.ts`) and live delivery over LISTEN/NOTIFY (`notifier.ts`), with pending
 * migrations (`migrations.ts`) applied. Semantics are those of `../types.ts`, checked by the
 * shared conformance suites; the resource files say only how PostgreSQL provides them.
 *
 * - Atomicity: every multi-row method is one READ COMMITTED transaction (database.ts).
 * - Durability: every pooled session runs `synchronous_commit = on` (below), overriding a
 *   server, database or role default of `off`, so a write that resolved was flushed.
 *
 * Connections: a main pool for the Store, a separate pool for blob uploads and downloads (an
 * upload holds its connection for its whole transaction, so slow uploads must never starve
 * message traffic), and one dedicated connection for LISTEN.
 * @module
 */
import pg from 'pg';
import type { Pool } from 'pg';
import type { Store } from '../types.ts';
import { postgresAccounts } from './accounts.ts';
import { PostgresBlobStore } from './blob-chunks.ts';
import { postgresBlobRows } from './blobs.ts';
import { postgresInviteBodies } from './invite-bodies.ts';
import { postgresMailboxes } from './mailboxes.ts';
import { postgresMessages } from './messages.ts';
import { openNotifier, type PostgresNotifier } from './notifier.ts';
import { postgresPreKeys } from './prekeys.ts';
import { postgresPush, sharedVapidKeys, type VapidKeyBytes } from './push.ts';
import { postgresLifecycle } from './sweep.ts';

export { BLOB_CHUNK_SIZE, PostgresBlobStore } from './blob-chunks.ts';
export { LATEST_VERSION, MIGRATIONS, migrate } from './migrations.ts';
export { CHANNEL, type PostgresNotifier } from './notifier.ts';

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The main pool (exposed for operators' diagnostics and tests; the Store owns it). */
  readonly pool: Pool;
  readonly notifier: PostgresNotifier;
  /** The VAPID key pair every instance on this database shares (push.ts; relay/push/vapid.ts). */
  sharedVapidKeys(candidate: VapidKeyBytes, now: number): Promise<VapidKeyBytes>;
}

/** The Store over `pool`: one object made of every resource's methods. */
const postgresStore = (pool: Pool, notifier: PostgresNotifier, onClose: () => Promise<void>): PostgresStore => {
  const ctx = { pool };
  return {
    ...postgresLifecycle(ctx, notifier, onClose),
    ...postgresAccounts(ctx),
    ...postgresPreKeys(ctx),
    ...postgresMailboxes(ctx),
    ...postgresMessages(ctx),
    ...postgresBlobRows(ctx),
    ...postgresPush(ctx),
    ...postgresInviteBodies(ctx),
    kind: 'postgres',
    pool,
    sharedVapidKeys: (candidate, now) => sharedVapidKeys(pool, candidate, now),
  };
};

export interface PostgresStoreOptions {
  /** Connections in the main pool (default 10). */
  readonly poolSize?: number;
  /** Connections for blob transfers, i.e. concurrent uploads plus downloads (default 8). */
  readonly blobPoolSize?: number;
  /** Apply pending migrations before returning (default true, as the SQLite adapter does). */
  readonly migrate?: boolean;
}

export interface PostgresStores {
  readonly store: PostgresStore;
  readonly blobs: PostgresBlobStore;
}

/**
 * A pg Client that runs `setup` right after it connects, before pg hands it to anyone (the
 * pool treats a failed setup like a failed connect). A session setting, not startup options:
 * those in a DATABASE_URL would silently replace ours.
 */
const clientRunning = (setup: string): (new () => pg.Client) =>
  class SessionClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: (err: Error | null) => void): void;
    override connect(callback?: (err: Error | null) => void): Promise<pg.Client> | void {
      const ready = (async () => {
        await super.connect();
        try {
          await this.query(setup);
        } catch (err) {
          await this.end().catch(() => undefined);
          throw err;
        }
        return this as pg.Client;
      })();
      if (!callback) return ready;
      ready.then(() => callback(null), (err: Error) => callback(err));
    }
  };

/**
 * A pool whose every session runs `synchronous_commit = on` whatever the server, database or
 * role default (relay issue: message writes never run with it off), plus `settings`.
 */
const poolFor = (databaseUrl: string, max: number, label: string, settings: readonly string[] = []): Pool => {
  const setup = ['SET synchronous_commit TO on', ...settings].join('; ');
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: `confidant-relay-${label}`,
    Client: clientRunning(setup),
  });
  // An idle connection that drops (server restart, network) must not crash the process; the
  // pool replaces it on the next checkout.
  pool.on('error', (err: Error) => {
    console.error(`relay: postgres ${label} idle connection lost: ${err.message}`);
  });
  return pool;
};

/**
 * An upload holds its transaction open while it waits for the client's next bytes; one that
 * stalls this long is ended by the server (rolled back, its connection freed).
 */
const STALLED_UPLOAD_TIMEOUT = '10min';

/**
 * Connects to `databaseUrl` (a `postgres://` URL, as in DATABASE_URL), applies pending
 * migrations and starts listening for new-message notifications. Throws when the database
 * cannot be reached or a migration fails.
 */
export const openPostgresStore = async (databaseUrl: string, options: PostgresStoreOptions = {}): Promise<PostgresStores> => {
  if (typeof databaseUrl !== 'string' || databaseUrl === '') throw new TypeError('openPostgresStore: databaseUrl must be a non-empty string');
  const pool = poolFor(databaseUrl, options.poolSize ?? 10, 'store');
  const blobPool = poolFor(databaseUrl, options.blobPoolSize ?? 8, 'blobs', [
    `SET idle_in_transaction_session_timeout TO '${STALLED_UPLOAD_TIMEOUT}'`,
  ]);
  try {
    const notifier = await openNotifier(databaseUrl, pool);
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        await notifier.close();
        await Promise.all([pool.end(), blobPool.end()]);
      })());
    const store = postgresStore(pool, notifier, close);
    if (options.migrate ?? true) {
      await store.migrate().catch(async (err: unknown) => {
        await close();
        throw err;
      });
    }
    return { store, blobs: new PostgresBlobStore(blobPool) };
  } catch (err) {
    await Promise.all([pool.end(), blobPool.end()]).catch(() => undefined);
    throw err;
  }
};

