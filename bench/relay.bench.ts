/**
 * Relay benchmarks (issue 4, "Benchmarks"): the real relay app (`createApp` over the SQLite
 * store in a temp DATA_DIR) served by `@hono/node-server` on a loopback port, loaded by
 * autocannon, against a bare Hono app on another port doing only the storage work with
 * better-sqlite3 (WAL, synchronous=FULL, like ours) and no auth or validation; blobs against a
 * raw 64 MiB file copy on the same disk. Both servers run in this process, as does the load
 * generator, so all three share the same cores on both sides.
 *
 * Note on `relay_send_1k`: a send is authorised by a delivery capability (one SHA-256 and a
 * DB lookup; sealed sender, so no signature), not by a device signature.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { toBase64url } from '../shared/encoding.ts';
import { signRequest } from '../shared/request-auth.ts';
import { createApp } from '../relay/app.ts';
import { appFixture, type AppFixture } from '../relay/testing/app-fixture.ts';
import { deliver, mailboxWithCapability, seal, type TestMailbox } from '../relay/testing/mailbox-helpers.ts';
import type { Comparison } from './_harness.ts';
import { cannon, serveLoopback, type Served } from './_relay.ts';

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

/** Every benchmark this file can produce (run.ts asks for them by filter). */
export const RELAY_NAMES = ['relay_send_1k', 'relay_signed_fetch', 'relay_blob_upload_64m', 'relay_blob_download_64m'] as const;

export interface RelayBenches {
  readonly comparisons: Comparison[];
  close(): Promise<void>;
}

/** The relay with its limits out of the way (rate limit and mailbox quota), on a real clock. */
async function relay(): Promise<{ fx: AppFixture; served: Served }> {
  const fx = await appFixture();
  fx.now = Date.now();
  fx.app = createApp({
    store: fx.store,
    blobs: fx.blobs,
    now: () => Date.now(),
    rateLimit: { capacity: 1e9, refillPerSecond: 1e9 },
    mailboxQuota: { maxMessages: 1e9, maxBytes: 1e15 },
  });
  return { fx, served: await serveLoopback(fx.app.fetch) };
}

/** A bare Hono app over better-sqlite3 (same pragmas as our store), no auth, no validation. */
async function bare(): Promise<{ served: Served; fill(mailbox: string, messageId: string, body: Uint8Array): void; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'confidant-bench-bare-'));
  const db = new Database(join(dir, 'bare.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE messages (seq INTEGER PRIMARY KEY, message_id TEXT, body BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO messages (message_id, body) VALUES (?, ?)');
  db.exec('CREATE TABLE stored (seq INTEGER PRIMARY KEY, mailbox TEXT NOT NULL, message_id TEXT, body BLOB NOT NULL)');
  db.exec('CREATE INDEX stored_mailbox ON stored (mailbox, seq)');
  const store = db.prepare('INSERT INTO stored (mailbox, message_id, body) VALUES (?, ?, ?)');
  const list = db.prepare('SELECT seq, message_id, body FROM stored WHERE mailbox = ? AND seq > ? ORDER BY seq LIMIT ?');
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
    });
  const served = await serveLoopback(app.fetch);
  return {
    served,
    fill: (mailbox: string, messageId: string, body: Uint8Array) => void store.run(mailbox, messageId, body),
    async close() {
      await served.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
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

export async function relayBenches(rounds: number, wanted: (name: string) => boolean): Promise<RelayBenches> {
  const { fx, served } = await relay();
  const anchor = await bare();
  const blobDir = await mkdtemp(join(fx.dataDir, 'raw-copy-'));
  const comparisons: Comparison[] = [];

  if (wanted('relay_send_1k')) {
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
    const ours = (): Promise<number> => run(served.url, '/v1/messages', oursHeaders);
    const theirs = (): Promise<number> => run(anchor.served.url, '/messages', theirsHeaders);
    // A short untimed run of each side (JIT, page cache, SQLite file growth) instead of a full warmup round.
    await run(served.url, '/v1/messages', oursHeaders, 1);
    await run(anchor.served.url, '/messages', theirsHeaders, 1);
    comparisons.push({
      name: 'relay_send_1k',
      unit: 'req/s',
      anchor: `bare Hono POST inserting into better-sqlite3 (WAL, synchronous=FULL), no auth; ours authorises by delivery capability (SHA-256 + lookup), not signature; ${env.length} B body, autocannon 10 conns x 5 s, loopback`,
      ours,
      theirs,
      rounds,
      warmup: 0,
    });
  }

  if (wanted('relay_signed_fetch')) {
    const owner = await fx.therapist();
    const mailbox = await mailboxWithCapability(fx, owner);
    const env = await envelope1k(fx, mailbox);
    const ids = messageIds();
    for (let i = 0; i < FETCH_PAGE; i++) {
      const id = ids();
      const res = await deliver(fx, env, { capability: mailbox.capability, messageId: id });
      if (res.status !== 201) throw new Error(`bench: delivery answered ${res.status}`);
      anchor.fill(mailbox.idB64, id, env);
    }
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
    const upload = async (): Promise<{ blobId: string; mbps: number }> => {
      const headers = {
        'content-type': 'application/octet-stream',
        'content-length': String(BLOB_BYTES),
        ...(await signRequest(owner, { method: 'POST', path: '/v1/blobs', body: new Uint8Array(0) }, { now: Date.now() })),
      };
      const t0 = performance.now();
      const res = await fetch(`${served.url}/v1/blobs`, { method: 'POST', headers, body: data });
      const json = (await res.json()) as { blobId: string; size: number };
      const mbps = BLOB_BYTES / MiB / ((performance.now() - t0) / 1000);
      if (res.status !== 201 || json.size !== BLOB_BYTES) throw new Error(`bench: blob upload answered ${res.status}`);
      return { blobId: json.blobId, mbps };
    };
    const remove = async (blobId: string): Promise<void> => {
      const path = `/v1/blobs/${blobId}`;
      const headers = await signRequest(owner, { method: 'DELETE', path, body: new Uint8Array(0) }, { now: Date.now() });
      const res = await fetch(`${served.url}${path}`, { method: 'DELETE', headers });
      if (res.status !== 204) throw new Error(`bench: blob delete answered ${res.status}`);
    };
    if (wanted('relay_blob_upload_64m')) {
      comparisons.push({
        name: 'relay_blob_upload_64m',
        unit: 'MB/s',
        anchor: 'fs.copyFile of 64 MiB on the same disk',
        ours: async () => {
          const { blobId, mbps } = await upload();
          await remove(blobId);
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
      await served.close();
      await anchor.close();
      await fx.close();
    },
  };
}
