/**
 * Test fixture: the real app over a real store, a clock the test controls, and helpers that
 * sign requests with shared's `signRequest` and register accounts through the real routes.
 * `close()` removes everything.
 *
 * Which store: SQLite plus a blob folder in a temp dir, unless the vitest project provides
 * `relayStore: 'postgres'` (vitest.config.ts); then a fresh database, cloned from the migrated
 * template in the run's one PostgreSQL cluster (postgres-global-setup.ts), holds everything,
 * blobs included, and `close()` empties it for the test file's next fixture (the cluster goes
 * at the end of the run). The route tests run unchanged on both (issue 4).
 * Outside vitest (the benches) it is SQLite unless the caller passes a `databaseUrl`.
 * @module
 */
import type { Dirent } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Hono } from 'hono';
import pg from 'pg';
import { toBase64url } from '../../shared/encoding.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret, type Identity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import { createApp } from '../app.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import type { PushSender } from '../push/sender.ts';
import { openStore } from '../storage/index.ts';
import { SQLITE_FILE } from '../storage/sqlite/index.ts';
import type { BlobStore, Store } from '../storage/types.ts';
import { createDatabaseAt, dropDatabaseAt } from './postgres-cluster.ts';
import type { SharedPostgres } from './postgres-global-setup.ts';
import { SyncQuery } from './sync-query.ts';

export const FIXTURE_NOW = 1_800_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

export interface SendOptions {
  readonly body?: string | Uint8Array;
  readonly contentType?: string | null;
  /** Sign these bytes instead of the body sent (a body changed after signing). */
  readonly signedBody?: Uint8Array;
  /** Sign at this time instead of the fixture clock. */
  readonly time?: number;
  /** Send without signature headers. */
  readonly unsigned?: boolean;
}

export interface StoredFile {
  readonly path: string;
  readonly bytes: Buffer;
}

export interface AppFixture {
  app: Hono<RelayEnv>;
  readonly store: Store;
  readonly blobs: BlobStore;
  /** A private temp dir; with SQLite it holds `relay.sqlite` and `blobs/`. */
  readonly dataDir: string;
  /** The fixture clock; tests may move it. */
  now: number;
  newIdentity(): Promise<Identity>;
  /** A signed request (JSON content type when a body is given). */
  send(who: Identity | undefined, method: string, path: string, options?: SendOptions): Promise<Response>;
  /** Mint a registration code straight into the store; returns the code text. */
  mintCode(expiresInMs?: number): Promise<string>;
  /** A registered therapist (through POST /v1/accounts/therapist). */
  therapist(): Promise<Identity>;
  /** A registered client invited by `therapist` (through POST /v1/invites and /v1/accounts/client). */
  client(therapist: Identity): Promise<Identity>;
  /**
   * Rows per table, read straight from the database (the SQLite file, or the PostgreSQL
   * database over a separate connection), plus how many codes and invites are marked used.
   * `nonces` is left out: a request whose signature verified is remembered even when the route
   * then refuses it (replay protection).
   */
  counts(): Record<string, number>;
  /**
   * What the blob store holds, sorted. SQLite: the file names in DATA_DIR/blobs (finished blobs
   * and temporary files alike). PostgreSQL: the hex id of each finished blob (a blob_data row),
   * plus `<hex>.orphan-chunks` for chunk rows that belong to no finished blob.
   */
  blobNames(): Promise<string[]>;
  /**
   * Every file the store's data reached, read, for plaintext scans. SQLite: all files in
   * DATA_DIR (database, WAL, journal, blobs). PostgreSQL: after a CHECKPOINT, all files in the
   * cluster's data directory (WAL, shared catalogs, this database's folder), other databases'
   * folders left out.
   */
  storedFiles(): Promise<StoredFile[]>;
  close(): Promise<void>;
}

const enc = new TextEncoder();
export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());
export const identityB64 = (id: Identity): string => toBase64url(encodePublicIdentity(id.publicIdentity));

/**
 * Fixture databases made by this process: `fx_<pid>_<n>_<random>`, unique across the run's
 * workers (a later worker may get the pid of one that left a database behind).
 */
let databases = 0;

/** The PostgreSQL side of a fixture: its database, and how to look at it from outside the store. */
interface PostgresSide {
  readonly url: string;
  /** Set when the database is the fixture's own in the run's cluster: emptied on close, scanned by storedFiles. */
  readonly own?: { readonly shared: SharedPostgres; readonly name: string };
}

/**
 * Databases of closed fixtures, emptied, for the next fixture of this test file (a file that
 * makes a fixture per test would otherwise clone and drop a database each time). Emptied is as
 * good as new: every row but schema_version's deleted, identities and sequences restarted, and
 * no session left (the store was closed).
 */
const emptied: PostgresSide[] = [];

/**
 * DELETE rather than TRUNCATE: these tables hold a few rows, and TRUNCATE's new files cost far
 * more (~30x here). The foreign key triggers are off for this transaction only (we are the
 * superuser of a throwaway cluster), so the order of the tables does not matter.
 */
const EMPTY_SQL = `DO $$
  DECLARE t record;
  BEGIN
    PERFORM set_config('session_replication_role', 'replica', true);
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_version' LOOP
      EXECUTE format('DELETE FROM public.%I', t.tablename);
    END LOOP;
    FOR t IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
      EXECUTE format('ALTER SEQUENCE public.%I RESTART', t.sequencename);
    END LOOP;
  END $$`;

/**
 * counts() on PostgreSQL, per database URL: a worker thread with its connection, started at
 * the first call and kept for the test file (starting one costs more than a hundred queries;
 * the databases are reused). Unref'd, so it never holds the process open.
 */
const counters = new Map<string, SyncQuery>();

/** Empties a closed fixture's database and keeps it for the next fixture; drops it if that fails. */
async function emptyForReuse(side: PostgresSide): Promise<void> {
  try {
    await withClient(side.url, (c) => c.query(EMPTY_SQL));
  } catch (err) {
    await dropDatabaseAt(side.own!.shared.maintenanceUrl, side.own!.name);
    throw err;
  }
  emptied.push(side);
}

/** Inside a vitest project that asks for PostgreSQL, the run's shared cluster; otherwise undefined. */
async function postgresUnderTest(): Promise<SharedPostgres | undefined> {
  // Only inside vitest: the benches import this fixture under plain tsx.
  if (!process.env['VITEST']) return undefined;
  const { inject } = await import('vitest');
  if (inject('relayStore') !== 'postgres') return undefined;
  const shared = inject('relayPostgres');
  if (!shared) throw new Error('fixture: relayStore is postgres but no cluster was provided (globalSetup postgres-global-setup.ts missing?)');
  return shared;
}

/** One query: the row count of every table but nonces (query_to_xml runs a query per table), and the used marks. */
const PG_COUNTS_SQL = `
  SELECT table_name AS name,
         (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', table_name), false, true, '')))[1]::text::int AS n
    FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'nonces'
  UNION ALL SELECT 'registration_codes_used', count(*)::int FROM registration_codes WHERE used_at IS NOT NULL
  UNION ALL SELECT 'invites_used', count(*)::int FROM invites WHERE used_at IS NOT NULL`;

/** Finished blobs by hex id, and chunk rows of no finished blob (an upload that left bytes behind). */
const PG_BLOB_NAMES_SQL = `
  SELECT encode(blob_id, 'hex') AS name FROM blob_data
  UNION ALL
  SELECT DISTINCT encode(c.blob_id, 'hex') || '.orphan-chunks' FROM blob_chunks c
    LEFT JOIN blob_data d ON d.blob_id = c.blob_id AND d.generation = c.generation
    WHERE d.blob_id IS NULL`;

/** Runs `fn` with one short-lived client on `url` (outside the store's pools). */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * All files under `dir`, recursively, read; `skip` leaves paths (and folders) out. A file or
 * folder removed between listing and reading is no longer on disk, so it is left out too
 * (PostgreSQL drops old WAL segments at any checkpoint, other fixtures drop their databases).
 */
async function readFilesUnder(dir: string, skip: (path: string) => boolean = () => false): Promise<StoredFile[]> {
  const out: StoredFile[] = [];
  const gone = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';
  const walk = async (at: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(at, { withFileTypes: true });
    } catch (err) {
      if (gone(err)) return;
      throw err;
    }
    for (const e of entries) {
      const path = join(at, e.name);
      if (skip(path)) continue;
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) {
        try {
          out.push({ path, bytes: await readFile(path) });
        } catch (err) {
          if (!gone(err)) throw err;
        }
      }
    }
  };
  await walk(dir);
  return out;
}

/**
 * `databaseUrl`: PostgreSQL at that URL instead (the benches); the caller owns that database,
 * and `storedFiles()` is not available (no cluster directory to scan). `deps` overrides message
 * expiry, mailbox quota and blob limits.
 */
export async function appFixture(
  options: {
    databaseUrl?: string;
    deps?: Pick<AppDeps, 'messageTtlMs' | 'mailboxQuota' | 'blobMaxBytes' | 'blobTtlMs'>;
    /** Push notifications over the fixture's store (relay/push/sender.ts); none: push routes answer 404. */
    push?: (store: Store, now: () => number) => PushSender;
  } = {},
): Promise<AppFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'confidant-relay-'));
  let postgres: PostgresSide | undefined;
  let opened: Awaited<ReturnType<typeof openStore>>;
  try {
    // An empty DATABASE_URL means SQLite to openStore; the same here.
    const given = options.databaseUrl || undefined;
    const shared = given === undefined ? await postgresUnderTest() : undefined;
    if (shared) {
      postgres = emptied.pop();
      if (!postgres) {
        const name = `fx_${process.pid}_${(databases += 1)}_${randomBytes(3).toString('hex')}`;
        const url = await createDatabaseAt(shared.maintenanceUrl, name, shared.template);
        postgres = { url, own: { shared, name } };
      }
    } else if (given !== undefined) {
      postgres = { url: given };
    }
    opened = await openStore({ dataDir, databaseUrl: postgres?.url });
  } catch (err) {
    if (postgres?.own) await dropDatabaseAt(postgres.own.shared.maintenanceUrl, postgres.own.name);
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { store, blobs } = opened;
  await store.migrate();
  const fx: AppFixture = {
    app: undefined as unknown as Hono<RelayEnv>,
    store,
    blobs,
    dataDir,
    now: FIXTURE_NOW,
    newIdentity: () => deriveIdentity(generateRootSecret()),
    async send(who, method, path, options = {}) {
      const raw = options.body === undefined ? undefined : typeof options.body === 'string' ? enc.encode(options.body) : options.body;
      const headers: Record<string, string> = {};
      if (raw !== undefined && options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
      if (who && !options.unsigned) {
        Object.assign(
          headers,
          await signRequest(who, { method, path, body: options.signedBody ?? raw ?? new Uint8Array(0) }, { now: options.time ?? fx.now }),
        );
      }
      return fx.app.request(path, { method, headers, ...(raw === undefined ? {} : { body: raw as Uint8Array<ArrayBuffer> }) });
    },
    async mintCode(expiresInMs = 7 * DAY) {
      const code = randomBytes(32);
      await store.addRegistrationCode(sha256(code), fx.now, fx.now + expiresInMs);
      return toBase64url(code);
    },
    async therapist() {
      const id = await fx.newIdentity();
      const res = await fx.send(id, 'POST', '/v1/accounts/therapist', {
        body: JSON.stringify({ identity: identityB64(id), registrationCode: await fx.mintCode() }),
      });
      if (res.status !== 201) throw new Error(`fixture: therapist registration answered ${res.status}`);
      return id;
    },
    async client(therapist) {
      const secret = randomBytes(32);
      const invited = await fx.send(therapist, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: toBase64url(sha256(secret)) }) });
      if (invited.status !== 201) throw new Error(`fixture: invite answered ${invited.status}`);
      const id = await fx.newIdentity();
      const res = await fx.send(id, 'POST', '/v1/accounts/client', {
        body: JSON.stringify({ identity: identityB64(id), invite: toBase64url(secret) }),
      });
      if (res.status !== 201) throw new Error(`fixture: client registration answered ${res.status}`);
      return id;
    },
    counts() {
      if (postgres) {
        // Synchronous like the SQLite read, so a test reads the same way on both stores; over a
        // connection of its own, apart from the store's pools.
        const counter = counters.get(postgres.url) ?? new SyncQuery(postgres.url);
        counters.set(postgres.url, counter);
        const out: Record<string, number> = {};
        for (const { name, n } of counter.query<{ name: string; n: number }>(PG_COUNTS_SQL)) out[name] = n;
        return out;
      }
      const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true });
      try {
        const tables = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'nonces' ORDER BY name")
          .all() as { name: string }[];
        const out: Record<string, number> = {};
        for (const { name } of tables) out[name] = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
        // Used marks change without changing counts: include them.
        out['registration_codes_used'] = (db.prepare('SELECT count(*) AS n FROM registration_codes WHERE used_at IS NOT NULL').get() as { n: number }).n;
        out['invites_used'] = (db.prepare('SELECT count(*) AS n FROM invites WHERE used_at IS NOT NULL').get() as { n: number }).n;
        return out;
      } finally {
        db.close();
      }
    },
    async blobNames() {
      if (postgres) {
        const { rows } = await withClient(postgres.url, (c) => c.query<{ name: string }>(PG_BLOB_NAMES_SQL));
        return rows.map((r) => r.name).sort();
      }
      return (await readdir(join(dataDir, 'blobs'))).sort();
    },
    async storedFiles() {
      if (!postgres) return readFilesUnder(dataDir);
      if (!postgres.own) throw new Error('fixture: storedFiles() needs the run\'s cluster (a database given by URL has no directory to scan)');
      const { url, own: { shared } } = postgres;
      // CHECKPOINT: every committed page is written to the database files, not only to the WAL.
      const oid = await withClient(url, async (c) => {
        await c.query('CHECKPOINT');
        return (await c.query<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0]!.oid;
      });
      const base = join(shared.dataDir, 'base');
      const ours = join(base, String(oid));
      return readFilesUnder(shared.dataDir, (path) => dirname(path) === base && path !== ours);
    },
    async close() {
      try {
        await store.close();
        if (postgres?.own) await emptyForReuse(postgres);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
  const push = options.push?.(store, () => fx.now);
  fx.app = createApp({ store, blobs, now: () => fx.now, ...options.deps, ...(push ? { push } : {}) });
  return fx;
}

/**
 * Puts `fx` on the real clock with the rate limit lifted, for callers that sign requests with
 * `Date.now()` and send far more than one address may (the in-process devices of the client
 * tests, the benches). `deps` adds to that (a mailbox quota, say); returns `fx`.
 */
export function onRealClock(fx: AppFixture, deps: Pick<AppDeps, 'mailboxQuota'> = {}): AppFixture {
  fx.now = Date.now();
  fx.app = createApp({
    store: fx.store,
    blobs: fx.blobs,
    now: () => Date.now(),
    rateLimit: { capacity: 1e9, refillPerSecond: 1e9 },
    ...deps,
  });
  return fx;
}
