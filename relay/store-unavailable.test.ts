/**
 * A store that cannot be reached answers 503 `unavailable` with `Retry-After` on every route,
 * never 500 `internal` (issue 9, item 5), and the relay serves again once the store is back.
 *
 * PostgreSQL: a cluster of this file's own (relay/testing/postgres-cluster.ts), stopped mid-run
 * and started again, so the run's shared cluster is never touched. SQLite: a second connection
 * holds the write lock past the store's busy timeout. Either way the real store fails for real.
 * This file opens both stores itself, so it runs once (the `sqlite` project).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from './storage/sqlite/index.ts';
import { appFixture, identityB64, type AppFixture } from './testing/app-fixture.ts';
import { deliver, mailboxWithCapability, seal, type TestMailbox } from './testing/mailbox-helpers.ts';
import { startPostgresCluster, type PostgresCluster } from './testing/postgres-cluster.ts';
import WebSocket from 'ws';
import { fromBase64url, toBase64url } from '../shared/encoding.ts';
import { AUTH_HEADERS, signRequest } from '../shared/request-auth.ts';
import { liveSocketServer } from './routes/live.ts';
import { listenRelay, type ListeningRelay } from './testing/raw-http.ts';
import type { Identity } from '../shared/keys.ts';

/** The 503 every route must give while the store is away. */
async function expectUnavailable(res: Response, what: string): Promise<void> {
  expect(res.status, what).toBe(503);
  expect(Number(res.headers.get('retry-after')), what).toBeGreaterThanOrEqual(1);
  expect(res.headers.get('cache-control'), what).toBe('no-store');
  expect(await res.json(), what).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
}

const send = (fx: AppFixture, sender: Identity, mailbox: TestMailbox): Promise<Response> =>
  seal(sender, mailbox.owner, mailbox.id, new Uint8Array(64)).then((envelope) => deliver(fx, envelope, { capability: mailbox.capability }));

describe('PostgreSQL down mid-run', () => {
  let cluster: PostgresCluster;
  let fx: AppFixture;
  let relay: ListeningRelay;
  beforeAll(async () => {
    cluster = await startPostgresCluster({ maxConnections: 30 });
    fx = await appFixture({ databaseUrl: await cluster.createDatabase('relay') });
    relay = await listenRelay(fx.app, { server: liveSocketServer() });
  });
  afterAll(async () => {
    await relay?.close();
    await fx?.close();
    await cluster?.stop();
  });

  /** Opens a live socket, answers its challenge with a valid auth frame, and returns the close code. */
  const liveAuthClose = (who: Identity): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/v1/live`);
      ws.on('error', reject);
      ws.on('close', (code) => resolve(code));
      ws.once('message', (data) => {
        const { nonce } = JSON.parse(String(data)) as { nonce: string };
        void signRequest(who, { method: 'GET', path: '/v1/live', body: fromBase64url(nonce) }, { now: fx.now }).then((h) =>
          ws.send(JSON.stringify({ type: 'auth', key: h[AUTH_HEADERS.key], time: h[AUTH_HEADERS.time], nonce: h[AUTH_HEADERS.nonce], signature: h[AUTH_HEADERS.signature] })),
        );
      });
    });

  it('answers a send, a signed read, a registration and /healthz with 503 + Retry-After, then serves again after restart', async () => {
    const therapist = await fx.therapist();
    const mailbox = await mailboxWithCapability(fx, therapist);
    expect((await send(fx, therapist, mailbox)).status).toBe(201);

    await cluster.pause();
    await expectUnavailable(await send(fx, therapist, mailbox), 'send');
    await expectUnavailable(await fx.send(therapist, 'GET', `/v1/mailboxes/${mailbox.idB64}/messages`), 'signed read');
    await expectUnavailable(await fx.send(therapist, 'GET', '/v1/prekeys/count'), 'signed count');
    const stranger = await fx.newIdentity();
    await expectUnavailable(await fx.send(stranger, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(stranger), registrationCode: toBase64url(randomBytes(32)) }) }), 'registration');
    await expectUnavailable(await fx.app.request(`/v1/blobs/${'A'.repeat(22)}`), 'blob download');
    await expectUnavailable(await fx.app.request('/healthz'), 'healthz');
    // The live socket: its auth needs the store, so it is closed with 1013 "try again later",
    // not 1011 "internal error".
    expect(await liveAuthClose(therapist)).toBe(1013);

    await cluster.restart();
    // The pool reconnects on the next checkout; /healthz says when (a bounded number of tries).
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = (await fx.app.request('/healthz')).status === 200;
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    expect(healthy).toBe(true);
    expect((await send(fx, therapist, mailbox)).status).toBe(201);
    const read = await fx.send(therapist, 'GET', `/v1/mailboxes/${mailbox.idB64}/messages`);
    expect(read.status).toBe(200);
    // Nothing lost: the message sent before the stop and the one after.
    expect(((await read.json()) as { messages: unknown[] }).messages).toHaveLength(2);
  });
});

describe('SQLite locked past its busy timeout', () => {
  let fx: AppFixture;
  beforeAll(async () => {
    fx = await appFixture();
    if (fx.store.kind !== 'sqlite') throw new Error('store-unavailable.test.ts: the SQLite part needs the sqlite project');
  });
  afterAll(async () => fx?.close());

  it('answers a send with 503 + Retry-After while another connection holds the write lock, then serves again', async () => {
    const therapist = await fx.therapist();
    const mailbox = await mailboxWithCapability(fx, therapist);
    const other = new Database(join(fx.dataDir, SQLITE_FILE));
    try {
      other.exec('BEGIN IMMEDIATE');
      await expectUnavailable(await send(fx, therapist, mailbox), 'send while locked');
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect((await send(fx, therapist, mailbox)).status).toBe(201);
  });
});
