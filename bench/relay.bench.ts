/**
 * Relay benchmarks (issue 4, "Benchmarks"): the real relay app (`createApp` over the SQLite
 * store in a temp DATA_DIR) served by `@hono/node-server` on a loopback port, loaded by
 * autocannon, against a bare Hono app on another port doing only the storage work with
 * better-sqlite3 (WAL, synchronous=FULL, secure_delete, like ours) and no auth or validation;
 * blobs against a raw 64 MiB file copy on the same disk. Both servers run in this process, as
 * does the load generator, so all three share the same cores on both sides.
 *
 * The `relay_pg_*` lines run the same workloads with the relay on PostgreSQL (DATABASE_URL of a
 * throwaway cluster from relay/testing/postgres-cluster.ts, on loopback, fsync on) against a
 * bare Hono app doing the same statements with `pg` in another database of that cluster.
 *
 * Note on `relay_send_1k`: a send is authorised by a delivery capability (one SHA-256 and a
 * DB lookup; sealed sender, so no signature), not by a device signature.
 *
 * `relay_fetch_ack` / `relay_pg_fetch_ack`: an account fetches a page of PAGE messages with a
 * signed GET (`after` cursor) and acks exactly those with a signed POST; the rate is messages
 * acknowledged (deleted, as the ack answers count them) per second. The mailbox is filled
 * before each run straight through SQL (untimed, one transaction), requests are signed ahead
 * (the client's cost, one nonce each), and each side does a fixed number of pages sized from
 * its own warm-up run to last about FETCH_ACK_SECONDS.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import pg from 'pg';
import { fromBase64url, toBase64url } from '../shared/encoding.ts';
import type { Identity } from '../shared/keys.ts';
import { signRequest } from '../shared/request-auth.ts';
import { openDatabase } from '../relay/storage/sqlite/database.ts';
import { SQLITE_FILE } from '../relay/storage/sqlite/index.ts';
import { appFixture, onRealClock, type AppFixture } from '../relay/testing/app-fixture.ts';
import { deliver, mailboxWithCapability, seal, type TestMailbox } from '../relay/testing/mailbox-helpers.ts';
import { startPostgresCluster, type PostgresCluster } from '../relay/testing/postgres-cluster.ts';
import { log, type Comparison } from './_harness.ts';
import { cannon, cannonRun, LOAD, serveLoopback, type Served } from './_relay.ts';

const ENVELOPE_BYTES = 1024;
const BLOB_BYTES = 64 * 1024 * 1024;
const MiB = 1024 * 1024;
/**
 * Messages per fetched page; signed requests made ahead per run (one nonce each; the run fails
 * loudly with 401s if the relay ever outpaces FETCH_SIGNED / FETCH_SECONDS req/s); seconds per run.
 */
const FETCH_PAGE = 10;
const FETCH_SIGNED = 8000;
const FETCH_SECONDS = 4;
/**
 * fetch+ack: messages per page; target seconds per run; pages in the calibrating warm-up run;
 * most pages per run (ours signs two requests a page, ~0.5 ms each, before each run).
 */
const ACK_PAGE = 10;
const FETCH_ACK_SECONDS = 3;
const FETCH_ACK_CALIBRATE = 200;
const FETCH_ACK_MAX_PAGES = { ours: 3000, theirs: 8000 } as const;
const TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Every benchmark this file can produce (run.ts asks for them by filter). */
export const RELAY_NAMES = [
  'relay_send_1k',
  'relay_signed_fetch',
  'relay_fetch_ack',
  'relay_blob_upload_64m',
  'relay_blob_download_64m',
  'relay_pg_send_1k',
  'relay_pg_fetch_ack',
] as const;

export interface RelayBenches {
  readonly comparisons: Comparison[];
  close(): Promise<void>;
}

/** The relay with its limits out of the way (rate limit and mailbox quota), on a real clock. */
async function relay(databaseUrl?: string): Promise<{ fx: AppFixture; served: Served }> {
  const fx = onRealClock(await appFixture({ ...(databaseUrl === undefined ? {} : { databaseUrl }) }), {
    mailboxQuota: { maxMessages: 1e9, maxBytes: 1e15 },
  });
  return { fx, served: await serveLoopback(fx.app.fetch) };
}

/** One stored message as a fetch+ack run needs it: its seq (for the cursor) and id (for the ack). */
interface Filled {
  readonly seq: number;
  readonly id: string;
}

/**
 * A bare Hono app doing only the storage work of the relay's routes, no auth, no validation:
 * POST /messages inserts the body; GET /mailboxes/:id/messages?after&limit selects a page as
 * JSON (base64url envelopes, like ours); POST /mailboxes/:id/ack deletes the JSON-listed ids.
 */
interface Anchor {
  readonly served: Served;
  /** Store `count` copies of `body` in `mailbox` (untimed setup), in seq order. */
  fill(mailbox: string, count: number, body: Uint8Array): Promise<Filled[]>;
  close(): Promise<void>;
}

/** The anchor over better-sqlite3 with our store's pragmas (WAL, synchronous=FULL, secure_delete). */
async function bare(): Promise<Anchor> {
  const dir = await mkdtemp(join(tmpdir(), 'confidant-bench-bare-'));
  const db = new Database(join(dir, 'bare.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.exec('CREATE TABLE messages (seq INTEGER PRIMARY KEY, message_id TEXT, body BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO messages (message_id, body) VALUES (?, ?)');
  db.exec('CREATE TABLE stored (seq INTEGER PRIMARY KEY, mailbox TEXT NOT NULL, message_id TEXT NOT NULL, body BLOB NOT NULL)');
  db.exec('CREATE INDEX stored_mailbox ON stored (mailbox, seq)');
  db.exec('CREATE UNIQUE INDEX stored_id ON stored (mailbox, message_id)');
  const store = db.prepare('INSERT INTO stored (mailbox, message_id, body) VALUES (?, ?, ?)');
  const list = db.prepare('SELECT seq, message_id, body FROM stored WHERE mailbox = ? AND seq > ? ORDER BY seq LIMIT ?');
  const remove = db.prepare('DELETE FROM stored WHERE mailbox = ? AND message_id = ?');
  const ack = db.transaction((mailbox: string, ids: string[]) => ids.reduce((n, id) => n + remove.run(mailbox, id).changes, 0));
  const app = new Hono()
    .post('/messages', async (c) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      const { lastInsertRowid } = insert.run(c.req.header('confidant-message-id') ?? null, body);
      return c.json({ seq: Number(lastInsertRowid) }, 201);
    })
    .get('/mailboxes/:id/messages', (c) => {
      const limit = Number(c.req.query('limit') ?? 50);
      const rows = list.all(c.req.param('id'), Number(c.req.query('after') ?? 0), limit + 1) as { seq: number; message_id: string; body: Buffer }[];
      return c.json({
        messages: rows.slice(0, limit).map((r) => ({ seq: r.seq, messageId: r.message_id, envelope: toBase64url(r.body) })),
        more: rows.length > limit,
      });
    })
    .post('/mailboxes/:id/ack', async (c) => {
      const { messageIds } = (await c.req.json()) as { messageIds: string[] };
      return c.json({ deleted: ack.immediate(c.req.param('id'), messageIds) });
    });
  const served = await serveLoopback(app.fetch);
  const fillTx = db.transaction((mailbox: string, count: number, body: Uint8Array) => {
    const next = messageIds();
    const out: Filled[] = [];
    for (let i = 0; i < count; i++) {
      const id = next();
      out.push({ seq: Number(store.run(mailbox, id, body).lastInsertRowid), id });
    }
    return out;
  });
  return {
    served,
    fill: async (mailbox, count, body) => fillTx.immediate(mailbox, count, body),
    async close() {
      await served.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The same anchor over `pg` (a pool of LOAD.connections), in its own database of the cluster. */
async function barePg(databaseUrl: string): Promise<Anchor> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: LOAD.connections });
  await pool.query(`
    CREATE TABLE messages (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_id TEXT, body BYTEA NOT NULL);
    CREATE TABLE stored (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, mailbox TEXT NOT NULL, message_id TEXT NOT NULL, body BYTEA NOT NULL);
    CREATE INDEX stored_mailbox ON stored (mailbox, seq);
    CREATE UNIQUE INDEX stored_id ON stored (mailbox, message_id);`);
  const app = new Hono()
    .post('/messages', async (c) => {
      const body = Buffer.from(await c.req.arrayBuffer());
      const { rows } = await pool.query<{ seq: string }>('INSERT INTO messages (message_id, body) VALUES ($1, $2) RETURNING seq', [
        c.req.header('confidant-message-id') ?? null,
        body,
      ]);
      return c.json({ seq: Number(rows[0]!.seq) }, 201);
    })
    .get('/mailboxes/:id/messages', async (c) => {
      const limit = Number(c.req.query('limit') ?? 50);
      const { rows } = await pool.query<{ seq: string; message_id: string; body: Buffer }>(
        'SELECT seq, message_id, body FROM stored WHERE mailbox = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [c.req.param('id'), Number(c.req.query('after') ?? 0), limit + 1],
      );
      return c.json({
        messages: rows.slice(0, limit).map((r) => ({ seq: Number(r.seq), messageId: r.message_id, envelope: toBase64url(r.body) })),
        more: rows.length > limit,
      });
    })
    .post('/mailboxes/:id/ack', async (c) => {
      const { messageIds } = (await c.req.json()) as { messageIds: string[] };
      const r = await pool.query('DELETE FROM stored WHERE mailbox = $1 AND message_id = ANY($2::text[])', [c.req.param('id'), messageIds]);
      return c.json({ deleted: r.rowCount ?? 0 });
    });
  const served = await serveLoopback(app.fetch);
  return {
    served,
    async fill(mailbox, count, body) {
      const next = messageIds();
      const ids = Array.from({ length: count }, () => next());
      const { rows } = await pool.query<{ seq: string; message_id: string }>(
        `INSERT INTO stored (mailbox, message_id, body) SELECT $1, id, $3 FROM unnest($2::text[]) WITH ORDINALITY AS t (id, n)
         ORDER BY n RETURNING seq, message_id`,
        [mailbox, ids, Buffer.from(body)],
      );
      return rows.map((r) => ({ seq: Number(r.seq), id: r.message_id })).sort((a, b) => a.seq - b.seq);
    },
    async close() {
      await served.close();
      await pool.end();
    },
  };
}

/**
 * Messages straight into the relay's own tables (untimed setup for fetch+ack; the relay's
 * routes would pay one fsync per message): one transaction, the columns `putMessage` writes.
 */
async function fillOurs(fx: AppFixture, databaseUrl: string | undefined, mailbox: Uint8Array, count: number, envelope: Uint8Array): Promise<Filled[]> {
  const next = messageIds();
  const ids = Array.from({ length: count }, () => next());
  const now = Date.now();
  if (databaseUrl === undefined) {
    const db = openDatabase(join(fx.dataDir, SQLITE_FILE));
    try {
      const insert = db.prepare(
        'INSERT INTO messages (mailbox_id, message_id, size, received_at, expires_at, envelope) VALUES (?, ?, ?, ?, ?, ?)',
      );
      return db.transaction(() => ids.map((id) => ({ seq: Number(insert.run(mailbox, fromBase64url(id), envelope.length, now, now + TTL_MS, envelope).lastInsertRowid), id }))).immediate();
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ seq: string; message_id: Buffer }>(
      `INSERT INTO messages (mailbox_id, message_id, size, received_at, expires_at, envelope)
       SELECT $1, id, $3, $4, $5, $6 FROM unnest($2::bytea[]) WITH ORDINALITY AS t (id, n) ORDER BY n RETURNING seq, message_id`,
      [Buffer.from(mailbox), ids.map((id) => Buffer.from(fromBase64url(id))), envelope.length, now, now + TTL_MS, Buffer.from(envelope)],
    );
    return rows.map((r) => ({ seq: Number(r.seq), id: toBase64url(r.message_id) })).sort((a, b) => a.seq - b.seq);
  } finally {
    await client.end();
  }
}

/** One page of a fetch+ack run: the GET (cursor `after`) and the ack of exactly its ids. */
interface Page {
  readonly getPath: string;
  readonly getHeaders: Record<string, string>;
  readonly ackPath: string;
  readonly ackHeaders: Record<string, string>;
  readonly ackBody: string;
}

/** Pages of ACK_PAGE messages over `filled` (in seq order); `sign` adds ours' signature headers. */
async function pagesOf(
  filled: readonly Filled[],
  paths: { get: (after: number) => string; ack: string },
  sign?: (method: string, path: string, body: Uint8Array) => Promise<Record<string, string>>,
): Promise<Page[]> {
  const enc = new TextEncoder();
  const pages: Page[] = [];
  for (let i = 0; i + ACK_PAGE <= filled.length; i += ACK_PAGE) {
    const after = i === 0 ? filled[0]!.seq - 1 : filled[i - 1]!.seq;
    const getPath = paths.get(after);
    const ackBody = JSON.stringify({ messageIds: filled.slice(i, i + ACK_PAGE).map((m) => m.id) });
    const json = { 'content-type': 'application/json' };
    pages.push({
      getPath,
      getHeaders: sign ? await sign('GET', getPath, new Uint8Array(0)) : {},
      ackPath: paths.ack,
      ackHeaders: sign ? { ...json, ...(await sign('POST', paths.ack, enc.encode(ackBody))) } : json,
      ackBody,
    });
  }
  return pages;
}

/**
 * Runs `count` fetch+ack pairs over LOAD.connections (each connection alternates a GET
 * of the next free page and the ack of that page) and returns acknowledged messages per second.
 * Throws if a page came back short or an ack deleted fewer than asked.
 */
async function fetchAck(url: string, pages: readonly Page[], count: number): Promise<number> {
  if (count % LOAD.connections !== 0) throw new RangeError('fetchAck: count must be a multiple of the connections');
  // autocannon builds a connection's next request before it knows the run is over: those pages
  // are taken but never sent, so there must be spare ones (a reused page would be a replay: 401).
  if (pages.length < count + LOAD.connections) throw new RangeError('fetchAck: too few spare pages');
  let next = 0;
  let deleted = 0;
  let short = 0;
  let acks = 0;
  // A full page is ACK_PAGE envelopes of ~1 KiB as base64url: well over 1,300 characters each.
  const minPage = ACK_PAGE * 1300;
  const { seconds } = await cannonRun(
    url,
    [
      {
        method: 'GET',
        setupRequest: (req, context) => {
          // Past the end (autocannon builds one request ahead) the last page is reused, never sent.
          const page = pages[Math.min(next++, pages.length - 1)]!;
          context['page'] = page;
          return { ...req, path: page.getPath, headers: page.getHeaders };
        },
        onResponse: (status, body) => {
          if (status === 200 && body.length < minPage) short++;
        },
      },
      {
        method: 'POST',
        setupRequest: (req, context) => {
          const page = context['page'] as Page;
          return { ...req, path: page.ackPath, headers: page.ackHeaders, body: page.ackBody };
        },
        onResponse: (status, body) => {
          if (status !== 200) return;
          acks++;
          deleted += (JSON.parse(body) as { deleted: number }).deleted;
        },
      },
    ],
    { amount: 2 * count },
  );
  if (short > 0 || deleted !== acks * ACK_PAGE) {
    throw new Error(`bench: fetch+ack at ${url}: ${short} short pages, ${deleted} deleted by ${acks} acks of ${ACK_PAGE}`);
  }
  return deleted / seconds;
}

/**
 * One side of a fetch+ack comparison: fills and (for ours) signs before each run, untimed. The
 * warm-up run (round < 0) does FETCH_ACK_CALIBRATE pages and sizes the later runs from its rate.
 */
function fetchAckSide(maxPages: number, prepare: (pages: number) => Promise<{ url: string; pages: Page[] }>): (round: number) => Promise<number> {
  let pages = FETCH_ACK_CALIBRATE;
  return async (round) => {
    const work = await prepare(pages + LOAD.connections);
    const rate = await fetchAck(work.url, work.pages, pages);
    if (round < 0) {
      const wanted = Math.ceil((rate / ACK_PAGE) * FETCH_ACK_SECONDS / LOAD.connections) * LOAD.connections;
      pages = Math.max(LOAD.connections, Math.min(maxPages, wanted));
    }
    return rate;
  };
}

/** Unique 16-byte message ids: a random prefix per run, then a counter. */
function messageIds(): () => string {
  const id = randomBytes(16);
  randomBytes(8).copy(id, 0);
  let n = 0;
  return () => {
    id.writeBigUInt64BE(BigInt(++n), 8);
    return toBase64url(id);
  };
}

/** A real sealed envelope padded (by its inner message) to about 1 KiB. */
async function envelope1k(fx: AppFixture, mailbox: TestMailbox): Promise<Uint8Array> {
  const sender = await fx.newIdentity();
  const empty = await seal(sender, mailbox.owner, mailbox.id, new Uint8Array(0));
  const overhead = empty.length;
  const env = await seal(sender, mailbox.owner, mailbox.id, randomBytes(Math.max(0, ENVELOPE_BYTES - overhead)));
  return env;
}

/** relay_send_1k against `served` (ours) and `anchor`, on one mailbox that grows through the runs. */
async function sendComparison(name: string, fx: AppFixture, served: Served, anchor: Anchor, anchorText: string, rounds: number): Promise<Comparison> {
  const owner = await fx.therapist();
  const mailbox = await mailboxWithCapability(fx, owner);
  const env = Buffer.from(await envelope1k(fx, mailbox));
  const run = (url: string, path: string, headers: Record<string, string>, duration?: number): Promise<number> => {
    const next = messageIds();
    return cannon(
      url,
      [{ method: 'POST', path, headers, body: env, setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'confidant-message-id': next() } }) }],
      duration,
    );
  };
  const oursHeaders = { 'content-type': 'application/octet-stream', 'confidant-capability': mailbox.capability };
  const theirsHeaders = { 'content-type': 'application/octet-stream' };
  // A short untimed run of each side (JIT, page cache, file growth) instead of a full warmup round.
  await run(served.url, '/v1/messages', oursHeaders, 1);
  await run(anchor.served.url, '/messages', theirsHeaders, 1);
  return {
    name,
    unit: 'req/s',
    anchor: `${anchorText}, no auth; ours authorises by delivery capability (SHA-256 + lookup), not signature; ${env.length} B body, autocannon ${LOAD.connections} conns x ${LOAD.duration} s, loopback`,
    ours: () => run(served.url, '/v1/messages', oursHeaders),
    theirs: () => run(anchor.served.url, '/messages', theirsHeaders),
    rounds,
    warmup: 0,
  };
}

/** relay_fetch_ack against `served` (ours, on SQLite or at `databaseUrl`) and `anchor`. */
async function fetchAckComparison(
  name: string,
  fx: AppFixture,
  databaseUrl: string | undefined,
  served: Served,
  anchor: Anchor,
  anchorText: string,
  rounds: number,
): Promise<Comparison> {
  const owner = await fx.therapist();
  const mailbox = await mailboxWithCapability(fx, owner);
  const env = await envelope1k(fx, mailbox);
  const sign = (method: string, path: string, body: Uint8Array): Promise<Record<string, string>> =>
    signRequest(owner, { method, path, body }, { now: Date.now() });
  const oursPaths = {
    get: (after: number) => `/v1/mailboxes/${mailbox.idB64}/messages?after=${after}&limit=${ACK_PAGE}`,
    ack: `/v1/mailboxes/${mailbox.idB64}/ack`,
  };
  const theirsPaths = {
    get: (after: number) => `/mailboxes/${mailbox.idB64}/messages?after=${after}&limit=${ACK_PAGE}`,
    ack: `/mailboxes/${mailbox.idB64}/ack`,
  };
  return {
    name,
    unit: 'messages/s',
    anchor: `${anchorText}: GET of ${ACK_PAGE} x ${env.length} B rows as JSON then DELETE of those ids, no auth; ours verifies an Ed25519 signature (+ nonce insert) on both requests and checks mailbox ownership; autocannon ${LOAD.connections} conns, ~${FETCH_ACK_SECONDS} s of pages, loopback`,
    ours: fetchAckSide(FETCH_ACK_MAX_PAGES.ours, async (pages) => {
      const filled = await fillOurs(fx, databaseUrl, mailbox.id, pages * ACK_PAGE, env);
      return { url: served.url, pages: await pagesOf(filled, oursPaths, sign) };
    }),
    theirs: fetchAckSide(FETCH_ACK_MAX_PAGES.theirs, async (pages) => {
      const filled = await anchor.fill(mailbox.idB64, pages * ACK_PAGE, env);
      return { url: anchor.served.url, pages: await pagesOf(filled, theirsPaths) };
    }),
    rounds,
    warmup: 1,
  };
}

export async function relayBenches(rounds: number, wanted: (name: string) => boolean): Promise<RelayBenches> {
  const { fx, served } = await relay();
  const anchor = await bare();
  const blobDir = await mkdtemp(join(fx.dataDir, 'raw-copy-'));
  const comparisons: Comparison[] = [];
  /** Run in order by close(), before the SQLite side's own. */
  const closers: (() => Promise<void>)[] = [];

  if (wanted('relay_send_1k')) {
    comparisons.push(await sendComparison('relay_send_1k', fx, served, anchor, 'bare Hono POST inserting into better-sqlite3 (WAL, synchronous=FULL)', rounds));
  }

  if (wanted('relay_fetch_ack')) {
    const text = 'bare Hono over better-sqlite3 (WAL, synchronous=FULL, secure_delete)';
    comparisons.push(await fetchAckComparison('relay_fetch_ack', fx, undefined, served, anchor, text, rounds));
  }

  if (wanted('relay_pg_send_1k') || wanted('relay_pg_fetch_ack')) {
    log('  starting a throwaway PostgreSQL cluster...');
    const cluster: PostgresCluster = await startPostgresCluster();
    closers.push(() => cluster.stop());
    try {
      const databaseUrl = await cluster.createDatabase('relay_bench');
      const pgRelay = await relay(databaseUrl);
      closers.unshift(async () => {
        await pgRelay.served.close();
        await pgRelay.fx.close();
      });
      const pgAnchor = await barePg(await cluster.createDatabase('bare_bench'));
      closers.unshift(() => pgAnchor.close());
      const text = `bare Hono over pg (pool of ${LOAD.connections}) in the same PostgreSQL ${cluster.version} cluster (loopback, fsync on, synchronous_commit on)`;
      if (wanted('relay_pg_send_1k')) {
        comparisons.push(await sendComparison('relay_pg_send_1k', pgRelay.fx, pgRelay.served, pgAnchor, `${text}, POST inserting one row`, rounds));
      }
      if (wanted('relay_pg_fetch_ack')) {
        comparisons.push(await fetchAckComparison('relay_pg_fetch_ack', pgRelay.fx, databaseUrl, pgRelay.served, pgAnchor, text, rounds));
      }
    } catch (e) {
      for (const close of closers) await close().catch(() => {});
      throw e;
    }
  }

  if (wanted('relay_signed_fetch')) {
    const owner = await fx.therapist();
    const mailbox = await mailboxWithCapability(fx, owner);
    const env = await envelope1k(fx, mailbox);
    const ids = messageIds();
    for (let i = 0; i < FETCH_PAGE; i++) {
      const res = await deliver(fx, env, { capability: mailbox.capability, messageId: ids() });
      if (res.status !== 201) throw new Error(`bench: delivery answered ${res.status}`);
    }
    await anchor.fill(mailbox.idB64, FETCH_PAGE, env);
    const path = `/v1/mailboxes/${mailbox.idB64}/messages?limit=${FETCH_PAGE}`;
    // Signed ahead (the client's cost, not the relay's): each request needs a fresh nonce.
    const ours = async (): Promise<number> => {
      const signed: Record<string, string>[] = [];
      for (let i = 0; i < FETCH_SIGNED; i++) {
        signed.push(await signRequest(owner, { method: 'GET', path, body: new Uint8Array(0) }, { now: Date.now() }));
      }
      let i = 0;
      return cannon(served.url, [{ method: 'GET', path, setupRequest: (req) => ({ ...req, headers: signed[Math.min(i++, FETCH_SIGNED - 1)]! }) }], FETCH_SECONDS);
    };
    const theirs = (): Promise<number> =>
      cannon(anchor.served.url, [{ method: 'GET', path: `/mailboxes/${mailbox.idB64}/messages?limit=${FETCH_PAGE}` }], FETCH_SECONDS);
    comparisons.push({
      name: 'relay_signed_fetch',
      unit: 'req/s',
      anchor: `bare Hono GET selecting the same ${FETCH_PAGE} x ${env.length} B rows from better-sqlite3 as JSON, no auth; ours verifies an Ed25519 request signature (+ nonce insert); autocannon 10 conns x ${FETCH_SECONDS} s, loopback`,
      ours,
      theirs,
      rounds,
      warmup: 1,
    });
  }

  if (wanted('relay_blob_upload_64m') || wanted('relay_blob_download_64m')) {
    const owner = await fx.therapist();
    const data = randomBytes(BLOB_BYTES);
    const source = join(blobDir, 'source');
    await writeFile(source, data);
    let k = 0;
    const rawCopy = async (): Promise<number> => {
      const target = join(blobDir, `copy-${k++}`);
      const t0 = performance.now();
      await copyFile(source, target);
      const mbps = BLOB_BYTES / MiB / ((performance.now() - t0) / 1000);
      await unlink(target);
      return mbps;
    };
    const upload = async (): Promise<{ blobId: string; deleteToken: string; mbps: number }> => {
      const headers = {
        'content-type': 'application/octet-stream',
        'content-length': String(BLOB_BYTES),
        ...(await signRequest(owner, { method: 'POST', path: '/v1/blobs', body: new Uint8Array(0) }, { now: Date.now() })),
      };
      const t0 = performance.now();
      const res = await fetch(`${served.url}/v1/blobs`, { method: 'POST', headers, body: data });
      const json = (await res.json()) as { blobId: string; size: number; deleteToken: string };
      const mbps = BLOB_BYTES / MiB / ((performance.now() - t0) / 1000);
      if (res.status !== 201 || json.size !== BLOB_BYTES) throw new Error(`bench: blob upload answered ${res.status}`);
      return { blobId: json.blobId, deleteToken: json.deleteToken, mbps };
    };
    // Deleting takes the token the upload answered (no account: docs/API.md).
    const remove = async ({ blobId, deleteToken }: { blobId: string; deleteToken: string }): Promise<void> => {
      const res = await fetch(`${served.url}/v1/blobs/${blobId}`, { method: 'DELETE', headers: { 'confidant-delete-token': deleteToken } });
      if (res.status !== 204) throw new Error(`bench: blob delete answered ${res.status}`);
    };
    if (wanted('relay_blob_upload_64m')) {
      comparisons.push({
        name: 'relay_blob_upload_64m',
        unit: 'MB/s',
        anchor: 'fs.copyFile of 64 MiB on the same disk',
        ours: async () => {
          const { mbps, ...stored } = await upload();
          await remove(stored);
          return mbps;
        },
        theirs: rawCopy,
        rounds,
      });
    }
    if (wanted('relay_blob_download_64m')) {
      let blobId: string | undefined;
      comparisons.push({
        name: 'relay_blob_download_64m',
        unit: 'MB/s',
        anchor: 'fs.copyFile of 64 MiB on the same disk',
        ours: async () => {
          blobId ??= (await upload()).blobId;
          const t0 = performance.now();
          const res = await fetch(`${served.url}/v1/blobs/${blobId}`);
          if (res.status !== 200 || !res.body) throw new Error(`bench: blob download answered ${res.status}`);
          let n = 0;
          const reader = res.body.getReader();
          for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.length;
          const mbps = n / MiB / ((performance.now() - t0) / 1000);
          if (n !== BLOB_BYTES) throw new Error(`bench: blob download gave ${n} bytes`);
          return mbps;
        },
        theirs: rawCopy,
        rounds,
      });
    }
  }

  return {
    comparisons,
    async close() {
      for (const close of closers) await close();
      await served.close();
      await anchor.close();
      await fx.close();
    },
  };
}
