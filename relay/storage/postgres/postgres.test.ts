/**
 * The PostgreSQL adapter against a real, throwaway cluster (relay/testing/postgres-cluster.ts):
 * the shared conformance suite, then what only PostgreSQL has to prove: concurrent migrations,
 * durable sessions, prekeys and quotas under concurrency across two pools (two relay
 * instances), LISTEN/NOTIFY across instances and after a dropped connection, and blob chunking.
 *
 * Never skipped: without initdb/pg_ctl the cluster start fails with the package to install.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfidantError } from '../../../shared/index.ts';
import { withClient } from '../../testing/app-fixture.ts';
import { startPostgresCluster, type PostgresCluster } from '../../testing/postgres-cluster.ts';
import { expectUploaderForgotten, registeredTherapist } from '../conformance/_fixture.ts';
import { storeConformance } from '../conformance/index.ts';
import { BLOB_ID_LEN, type Account } from '../types.ts';
import { BLOB_CHUNK_SIZE, LATEST_VERSION, MIGRATIONS, migrate, openPostgresStore, type PostgresStores } from './index.ts';
import { LISTENER_APPLICATION_NAME } from './notifier.ts';
import { postgresLifecycle } from './sweep.ts';

const T0 = 1_750_000_000_000;
const DAY = 86_400_000;
const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

let cluster: PostgresCluster;
/** One database for the conformance suite and most focused tests; each store gets a schema. */
let sharedUrl: string;
let admin: pg.Client;
let schemas = 0;
let databases = 0;

beforeAll(async () => {
  cluster = await startPostgresCluster();
  sharedUrl = await cluster.createDatabase('shared');
  admin = new pg.Client({ connectionString: sharedUrl });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await cluster?.stop();
});

/**
 * A new, empty schema in the shared database and the URL of a store confined to it (its
 * search_path set in the URL's startup options). Migrations run when a store opens on it.
 */
const newSchema = async (): Promise<{ schema: string; url: string }> => {
  const schema = `s${(schemas += 1)}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  return { schema, url: `${sharedUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}` };
};

/** A fresh database (for tests that change database-level settings or kill its connections). */
const freshDatabase = (): Promise<string> => cluster.createDatabase(`own_${(databases += 1)}`);

const wipe = async (schema: string): Promise<void> => {
  const { rows } = await admin.query<{ t: string }>(
    `SELECT quote_ident(table_name) AS t FROM information_schema.tables
      WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> 'schema_version'`,
    [schema],
  );
  await admin.query('BEGIN');
  try {
    await admin.query('SET LOCAL session_replication_role = replica');
    for (const { t } of rows) await admin.query(`DELETE FROM ${schema}.${t}`);
    await admin.query('COMMIT');
  } catch (err) {
    await admin.query('ROLLBACK');
    throw err;
  }
};

/** Every row of every table in `schema` but schema_version, as arrays (BYTEA as Uint8Array). */
const tableRows = async (schema: string): Promise<Record<string, unknown[][]>> => {
  const { rows } = await admin.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables
      WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> 'schema_version' ORDER BY 1`,
    [schema],
  );
  const out: Record<string, unknown[][]> = {};
  for (const { t } of rows) {
    const result = await admin.query({ text: `SELECT * FROM ${schema}.${pg.escapeIdentifier(t)}`, rowMode: 'array' });
    out[t] = (result.rows as unknown[][]).map((row) => row.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v)));
  }
  return out;
};

/** Migrated schemas whose tables are empty again, for the next conformance test. */
const emptySchemas: { schema: string; url: string }[] = [];

storeConformance('postgres', async () => {
  const slot = emptySchemas.pop() ?? (await newSchema());
  const { store, blobs } = await openPostgresStore(slot.url);
  return {
    store,
    blobs,
    tables: () => tableRows(slot.schema),
    cleanup: async () => {
      await store.close();
      await wipe(slot.schema);
      emptySchemas.push(slot);
    },
  };
});

/** Two adapters on one database: two relay instances, each with its own pools and listener. */
const twoInstances = async (url?: string): Promise<{ a: PostgresStores; b: PostgresStores; url: string; close: () => Promise<void> }> => {
  url ??= (await newSchema()).url;
  const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
  return { a, b, url, close: async () => void (await Promise.all([a.store.close(), b.store.close()])) };
};

describe('postgres migrations', () => {
  it('applies every migration once when several instances start at the same moment', async () => {
    const url = (await newSchema()).url;
    const pools = Array.from({ length: 6 }, () => new pg.Pool({ connectionString: url, max: 1 }));
    try {
      const applied = await Promise.all(pools.map((p) => migrate(p)));
      const all = Array.from({ length: LATEST_VERSION }, (_, i) => i + 1);
      expect(applied.filter((v) => v.length > 0)).toEqual([all]);
      expect(applied.filter((v) => v.length === 0)).toHaveLength(5);
      const rows = await pools[0]!.query('SELECT version FROM schema_version ORDER BY version');
      expect(rows.rows.map((r: { version: number }) => r.version)).toEqual(all);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('is idempotent: a later start applies nothing and keeps the data', async () => {
    const url = (await newSchema()).url;
    const first = await openPostgresStore(url);
    const account = await registeredTherapist(first.store);
    await first.store.close();
    const second = await openPostgresStore(url);
    try {
      expect(await migrate(second.store.pool)).toEqual([]);
      expect(await second.store.getAccount(account.signingKey)).toEqual(account);
    } finally {
      await second.store.close();
    }
  });

  it('refuses a database whose schema is newer than this build, changing nothing', async () => {
    const url = (await newSchema()).url;
    const { store } = await openPostgresStore(url);
    try {
      await store.pool.query("INSERT INTO schema_version (version, name, applied_at) VALUES ($1, 'from the future', 0)", [
        LATEST_VERSION + 1,
      ]);
      await expect(store.migrate()).rejects.toThrow(/newer than this relay/);
      await expect(openPostgresStore(url)).rejects.toThrow(/newer than this relay/);
      expect(await store.ping()).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('v4 and v6 convert a v2 schema: blob rows keep nothing of the uploader (such a row can only expire), limit rows naming two accounts are dropped', async () => {
    const { schema, url } = await newSchema();
    const owner = rnd(32);
    const requester = rnd(32);
    const blobId = rnd(BLOB_ID_LEN);
    await withClient(url, async (c) => {
      await c.query('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      for (const m of MIGRATIONS.slice(0, 2)) {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_version VALUES ($1, $2, 0)', [m.version, m.name]);
      }
      await c.query("INSERT INTO accounts VALUES ($1, $2, $3, 'therapist', $4)", [owner, rnd(32), rnd(129), T0]);
      await c.query('INSERT INTO blobs (blob_id, owner, size, complete, created_at, expires_at) VALUES ($1, $2, 7, true, $3, $4)', [blobId, owner, T0, T0 + DAY]);
      await c.query('INSERT INTO prekey_grants VALUES ($1, $2, 1, $3)', [requester, owner, T0 + DAY]);
    });
    const { store } = await openPostgresStore(url);
    try {
      // v6: no delete token was ever handed out for the blob, so nothing deletes it early.
      await expectUploaderForgotten(store, await tableRows(schema), { owner, requester, blobId });
    } finally {
      await store.close();
    }
  });

  it('has autovacuum visit the message and blob tables (and their TOAST) at the next round after any row died, whatever their size', async () => {
    const url = (await newSchema()).url;
    const { store } = await openPostgresStore(url);
    try {
      const { rows } = await store.pool.query<{ relname: string; main: string[] | null; toast: string[] | null }>(
        `SELECT c.relname, c.reloptions AS main, t.reloptions AS toast FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
          WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ('messages', 'blob_chunks', 'blob_data', 'acked_messages')
          ORDER BY c.relname`,
      );
      const want = ['autovacuum_vacuum_scale_factor=0', 'autovacuum_vacuum_threshold=0'];
      expect(rows.map((r) => r.relname)).toEqual(['acked_messages', 'blob_chunks', 'blob_data', 'messages']);
      for (const r of rows) expect(r.main, r.relname).toEqual(expect.arrayContaining(want));
      for (const r of rows.filter((x) => x.relname === 'messages' || x.relname === 'blob_chunks')) {
        expect(r.toast, r.relname).toEqual(expect.arrayContaining(want));
      }
    } finally {
      await store.close();
    }
  });

  it('rolls a failing migration back whole', async () => {
    const { schema, url } = await newSchema();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      // A table that migration 1 also creates makes it fail part way.
      await pool.query('CREATE TABLE blob_chunks (x INTEGER)');
      await expect(migrate(pool)).rejects.toThrow(/already exists/);
      const tables = await pool.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema]);
      expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(['blob_chunks']);
    } finally {
      await pool.end();
    }
  });
});

describe('postgres durability', () => {
  it('runs every pooled session with synchronous_commit on, even when the database default is off', async () => {
    const url = await freshDatabase();
    const dbName = new URL(url).pathname.slice(1);
    await withClient(url, (c) => c.query(`ALTER DATABASE ${dbName} SET synchronous_commit = off`));
    // The control: a plain session on that database runs with it off.
    expect((await withClient(url, (c) => c.query('SHOW synchronous_commit'))).rows[0].synchronous_commit).toBe('off');

    const { store, blobs } = await openPostgresStore(url);
    try {
      for (const pool of [store.pool, blobs.pool]) {
        // Several sessions at once, so more than one connection is checked.
        const clients = await Promise.all(Array.from({ length: 4 }, () => pool.connect()));
        try {
          for (const client of clients) {
            expect((await client.query('SHOW synchronous_commit')).rows[0].synchronous_commit).toBe('on');
          }
        } finally {
          for (const client of clients) client.release();
        }
      }
      // And the very connection putMessage takes from the pool, checked as it is handed over.
      const owner = await registeredTherapist(store);
      const mailboxId = rnd(16);
      await store.createMailbox(mailboxId, owner.signingKey, T0);
      const spy = vi.spyOn(store.pool, 'connect');
      const seen: string[] = [];
      spy.mockImplementation(async () => {
        spy.mockRestore();
        const client = await store.pool.connect();
        seen.push((await client.query('SHOW synchronous_commit')).rows[0].synchronous_commit);
        return client;
      });
      const result = await store.putMessage(
        { mailboxId, messageId: rnd(16), envelope: rnd(100), receivedAt: T0, expiresAt: T0 + DAY },
        { maxMessages: 10, maxBytes: 1 << 20 },
      );
      expect(result.status).toBe('stored');
      expect(seen).toEqual(['on']);
    } finally {
      await store.close();
    }
  });
});

describe('postgres concurrency across two instances', () => {
  it('hands each one-time prekey to exactly one of many parallel fetches on two pools', async () => {
    const { a, b, close } = await twoInstances();
    try {
      const account = await registeredTherapist(a.store);
      await a.store.setSignedPreKey(account.signingKey, { id: 1, publicKey: rnd(32), signature: rnd(64) }, T0);
      await a.store.setKemPreKey(account.signingKey, { id: 1, publicKey: rnd(1184), signature: rnd(64) }, T0);
      const ids = Array.from({ length: 100 }, (_, i) => i + 1);
      await a.store.addOneTimePreKeys(account.signingKey, ids.map((id) => ({ id, publicKey: rnd(32) })));
      const bundles = await Promise.all(
        Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? a : b).store.takeBundle(account.signingKey)),
      );
      const taken = bundles.map((x) => x?.oneTimePreKey?.id).filter((id): id is number => id !== undefined);
      expect(taken.sort((x, y) => x - y)).toEqual(ids);
      expect(bundles.filter((x) => x !== undefined && x.oneTimePreKey === undefined)).toHaveLength(50);
      // The low-prekey signal is exact even across instances: each count 0..99 reported once.
      const left = bundles.filter((x) => x?.oneTimePreKey).map((x) => x!.oneTimePreKeysLeft);
      expect(new Set(left).size).toBe(100);
      expect(await b.store.countOneTimePreKeys(account.signingKey)).toBe(0);
    } finally {
      await close();
    }
  });

  it('keeps parallel sends from two instances within the quota, with seq in commit order', async () => {
    const { a, b, close } = await twoInstances();
    try {
      const owner = await registeredTherapist(a.store);
      const mailboxId = rnd(16);
      await a.store.createMailbox(mailboxId, owner.signingKey, T0);
      const quota = { maxMessages: 1000, maxBytes: 10 * 1000 };
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? a : b).store.putMessage(
            { mailboxId, messageId: rnd(16), envelope: rnd(1000), receivedAt: T0, expiresAt: T0 + DAY },
            quota,
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'stored')).toHaveLength(10);
      expect(results.filter((r) => r.status === 'quota')).toHaveLength(30);
      const listed = await b.store.listMessages(mailboxId, { after: 0, limit: 100, now: T0 });
      expect(listed.map((m) => m.seq)).toEqual(
        results.flatMap((r) => (r.status === 'stored' ? [r.seq] : [])).sort((x, y) => x - y),
      );
    } finally {
      await close();
    }
  });

  it('answers parallel retries of one send from two instances with one stored and the rest duplicate', async () => {
    const { a, b, close } = await twoInstances();
    try {
      const owner = await registeredTherapist(a.store);
      const mailboxId = rnd(16);
      await a.store.createMailbox(mailboxId, owner.signingKey, T0);
      const msg = { mailboxId, messageId: rnd(16), envelope: rnd(500), receivedAt: T0, expiresAt: T0 + DAY };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).store.putMessage(msg, { maxMessages: 10, maxBytes: 1 << 20 })),
      );
      const stored = results.filter((r) => r.status === 'stored');
      expect(stored).toHaveLength(1);
      expect(results.filter((r) => r.status === 'duplicate')).toEqual(Array(19).fill({ status: 'duplicate', seq: (stored[0] as { seq: number }).seq }));
    } finally {
      await close();
    }
  });

  it('registers one account once when two instances race with two valid codes, consuming one code', async () => {
    const { a, b, close } = await twoInstances();
    try {
      const codes = [rnd(32), rnd(32)];
      for (const code of codes) await a.store.addRegistrationCode(code, T0, T0 + DAY);
      const account: Account = { signingKey: rnd(32), agreementKey: rnd(32), identity: rnd(129), kind: 'therapist', createdAt: T0 };
      const results = await Promise.all([a.store.registerTherapist(account, codes[0]!, T0), b.store.registerTherapist(account, codes[1]!, T0)]);
      expect(results.sort()).toEqual(['created', 'exists']);
      const used = await a.store.pool.query('SELECT count(*)::int AS n FROM registration_codes WHERE used_at IS NOT NULL');
      expect(used.rows[0].n).toBe(1);
    } finally {
      await close();
    }
  });
});

describe('postgres LISTEN/NOTIFY', () => {
  const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

  it('delivers a publish on instance B to a subscriber on instance A, and only to that mailbox', async () => {
    const { a, b, close } = await twoInstances();
    try {
      const owner = await registeredTherapist(a.store);
      const mailboxId = rnd(16);
      await a.store.createMailbox(mailboxId, owner.signingKey, T0);
      const onA = vi.fn();
      const onB = vi.fn();
      const otherOnA = vi.fn();
      const stopA = a.store.notifier.subscribe(mailboxId, onA);
      b.store.notifier.subscribe(mailboxId, onB);
      a.store.notifier.subscribe(rnd(16), otherOnA);

      const put = await b.store.putMessage(
        { mailboxId, messageId: rnd(16), envelope: rnd(100), receivedAt: T0, expiresAt: T0 + DAY },
        { maxMessages: 10, maxBytes: 1 << 20 },
      );
      if (put.status !== 'stored') throw new Error(put.status);
      await b.store.notifier.publish(mailboxId, put.seq);
      await waitFor(() => expect(onA).toHaveBeenCalledWith(put.seq));
      await waitFor(() => expect(onB).toHaveBeenCalledWith(put.seq));
      expect(onA).toHaveBeenCalledTimes(1);
      expect(otherOnA).not.toHaveBeenCalled();

      // The listener fetches through its own instance and sees the committed message.
      const listed = await a.store.listMessages(mailboxId, { after: put.seq - 1, limit: 10, now: T0 });
      expect(listed.map((m) => m.seq)).toEqual([put.seq]);

      stopA();
      await b.store.notifier.publish(mailboxId, put.seq + 1);
      await waitFor(() => expect(onB).toHaveBeenCalledWith(put.seq + 1));
      expect(onA).toHaveBeenCalledTimes(1);
    } finally {
      await close();
    }
  });

  it('survives the loss of its listener connection: no crash, reconnects, delivers again', async () => {
    // Its own database: the test kills every listener connection on it.
    const { a, b, url, close } = await twoInstances(await freshDatabase());
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const mailboxId = rnd(16);
      const heard = vi.fn();
      a.store.notifier.subscribe(mailboxId, heard);
      const killed = await withClient(url, (c) =>
        c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [
          LISTENER_APPLICATION_NAME,
        ]),
      );
      expect(killed.rowCount).toBe(2); // both instances' listeners
      await waitFor(() => expect(a.store.notifier.listening).toBe(false));
      await a.store.notifier.ready();
      await b.store.notifier.ready();
      expect(a.store.notifier.listening).toBe(true);
      await b.store.notifier.publish(mailboxId, 7);
      await waitFor(() => expect(heard).toHaveBeenCalledWith(7));
      expect(errors).toHaveBeenCalledWith(expect.stringMatching(/notifier connection lost/));
    } finally {
      errors.mockRestore();
      await close();
    }
  });

  it('refuses a seq that is not a non-negative safe integer', async () => {
    const { a, close } = await twoInstances();
    try {
      await expect(a.store.notifier.publish(rnd(16), -1)).rejects.toThrow(RangeError);
      await expect(a.store.notifier.publish(rnd(16), 1.5)).rejects.toThrow(RangeError);
    } finally {
      await close();
    }
  });
});

describe('postgres blob store', () => {
  /** `total` random bytes in pieces of `piece` bytes, pulled lazily; records the high-water mark of bytes handed out. */
  const lazySource = (total: number, piece: number) => {
    const hash = createHash('sha256');
    let produced = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= total) return controller.close();
        const part = rnd(Math.min(piece, total - produced));
        hash.update(part);
        produced += part.length;
        controller.enqueue(part);
      },
      cancel() {
        cancelled = true;
      },
    });
    return { stream, produced: () => produced, cancelled: () => cancelled, digest: () => hash.digest('hex') };
  };

  let stores: PostgresStores;
  let url: string;
  beforeAll(async () => {
    url = (await newSchema()).url;
    stores = await openPostgresStore(url);
  });
  afterAll(async () => {
    await stores?.store.close();
  });

  it('streams 5 MB into 256 KiB chunk rows and back out chunk by chunk, unchanged', async () => {
    const total = 5 * 1024 * 1024 + 12_345;
    const blobId = rnd(BLOB_ID_LEN);
    const src = lazySource(total, 100_003); // pieces that straddle chunk boundaries
    expect(await stores.blobs.write(blobId, src.stream, 8 * 1024 * 1024)).toBe(total);

    const rows = await stores.store.pool.query(
      'SELECT n, octet_length(data) AS len FROM blob_chunks WHERE blob_id = $1 ORDER BY n',
      [Buffer.from(blobId)],
    );
    const chunks = Math.ceil(total / BLOB_CHUNK_SIZE);
    expect(rows.rows).toHaveLength(chunks);
    expect(rows.rows.slice(0, -1).every((r: { len: number }) => r.len === BLOB_CHUNK_SIZE)).toBe(true);
    expect(rows.rows.at(-1).len).toBe(total - (chunks - 1) * BLOB_CHUNK_SIZE);

    const hash = createHash('sha256');
    let read = 0;
    let pieces = 0;
    for await (const part of (await stores.blobs.read(blobId)) as unknown as AsyncIterable<Uint8Array>) {
      expect(part.length).toBeLessThanOrEqual(BLOB_CHUNK_SIZE);
      hash.update(part);
      read += part.length;
      pieces += 1;
    }
    expect(read).toBe(total);
    expect(pieces).toBe(chunks);
    expect(hash.digest('hex')).toBe(src.digest());
  });

  it('stops at maxBytes while streaming: too_large, source cancelled, nothing stored, earlier bytes kept', async () => {
    const blobId = rnd(BLOB_ID_LEN);
    const before = lazySource(300_000, 50_000);
    await stores.blobs.write(blobId, before.stream, 1 << 20);

    const src = lazySource(64 * 1024 * 1024, 64 * 1024); // would be 64 MiB; refused at 1 MiB
    const error = await stores.blobs.write(blobId, src.stream, 1024 * 1024).catch((e: unknown) => e);
    expect(ConfidantError.is(error, 'too_large')).toBe(true);
    expect(src.cancelled()).toBe(true);
    // It read only up to the limit, never the whole source: the piece that crossed it, plus
    // one the source stream had queued ahead (its default highWaterMark).
    expect(src.produced()).toBeLessThanOrEqual(1024 * 1024 + 2 * 64 * 1024);

    const hash = createHash('sha256');
    for await (const part of (await stores.blobs.read(blobId)) as unknown as AsyncIterable<Uint8Array>) hash.update(part);
    expect(hash.digest('hex')).toBe(before.digest());
    const chunks = await stores.store.pool.query('SELECT count(*)::int AS n FROM blob_chunks WHERE blob_id = $1', [Buffer.from(blobId)]);
    expect(chunks.rows[0].n).toBe(Math.ceil(300_000 / BLOB_CHUNK_SIZE));
  });

  it('fails a download whose blob is rewritten under it instead of splicing two versions', async () => {
    const blobId = rnd(BLOB_ID_LEN);
    await stores.blobs.write(blobId, lazySource(3 * BLOB_CHUNK_SIZE, 64 * 1024).stream, 1 << 22);
    const reader = (await stores.blobs.read(blobId))!.getReader();
    expect((await reader.read()).value).toHaveLength(BLOB_CHUNK_SIZE);
    await stores.blobs.write(blobId, lazySource(3 * BLOB_CHUNK_SIZE, 64 * 1024).stream, 1 << 22);
    await expect((async () => {
      for (;;) if ((await reader.read()).done) return;
    })()).rejects.toThrow(/changed or was deleted/);
  });

  it('serializes two uploads of one id: the later one wins whole', async () => {
    const blobId = rnd(BLOB_ID_LEN);
    const first = lazySource(700_000, 30_000);
    const second = lazySource(600_000, 30_000);
    await Promise.all([stores.blobs.write(blobId, first.stream, 1 << 20), stores.blobs.write(blobId, second.stream, 1 << 20)]);
    const hash = createHash('sha256');
    for await (const part of (await stores.blobs.read(blobId)) as unknown as AsyncIterable<Uint8Array>) hash.update(part);
    expect([first.digest(), second.digest()]).toContain(hash.digest('hex'));
    const size = await stores.blobs.size(blobId);
    expect([700_000, 600_000]).toContain(size);
  });

  it('refuses blob ids of the wrong length or type with invalid_argument', async () => {
    for (const bad of [rnd(15), rnd(17), 'a'.repeat(16)]) {
      const id = bad as Uint8Array;
      await expect(stores.blobs.read(id)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
      await expect(stores.blobs.delete(id)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
      await expect(stores.blobs.write(id, lazySource(1, 1).stream, 10)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
    }
  });
});

describe('postgres store inputs', () => {
  it('refuses a string where bytes belong, instead of storing text', async () => {
    const { store } = await openPostgresStore((await newSchema()).url);
    try {
      await expect(store.getAccount('not bytes' as unknown as Uint8Array)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
      await expect(store.addRegistrationCode(rnd(32), 1.5, T0)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
    } finally {
      await store.close();
    }
  });

  it('answers ping false, without throwing, when the server is unreachable', async () => {
    const { store } = await openPostgresStore((await newSchema()).url);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const port = cluster.port;
      // A pool pointed at a closed port: connection refused, answered as false.
      const unreachable = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port === 1 ? 2 : 1}/x` });
      const probe = postgresLifecycle({ pool: unreachable }, store.notifier, () => unreachable.end());
      expect(await probe.ping()).toBe(false);
      await unreachable.end();
      expect(await store.ping()).toBe(true);
    } finally {
      errors.mockRestore();
      await store.close();
    }
  });
});
