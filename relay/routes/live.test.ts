import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { fromBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { AUTH_HEADERS, signRequest } from '../../shared/request-auth.ts';
import { LIVE_CLOSE } from '../../shared/live.ts';
import { createApp } from '../app.ts';
import { appFixture, type AppFixture } from '../testing/app-fixture.ts';
import { deliver, mailboxWithCapability, seal } from '../testing/mailbox-helpers.ts';
import { LIVE_DEFAULT_MAX_SOCKETS_PER_ACCOUNT, LIVE_MAX_FRAME_BYTES } from '../limits.ts';
import { liveSocketServer } from './live.ts';

const ALLOWED_ORIGIN = 'https://app.confidant.example';

let fx: AppFixture;
let server: Server;
let base: string;
const sockets: (WebSocket | Socket)[] = [];

beforeEach(async () => {
  fx = await appFixture();
  fx.app = createApp({ store: fx.store, blobs: fx.blobs, now: () => fx.now, live: { origins: [ALLOWED_ORIGIN], authTimeoutMs: 300, maxSocketsPerAccount: 3 } });
  const wss = liveSocketServer();
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: fx.app.fetch, port: 0, hostname: '127.0.0.1', websocket: { server: wss } }, () => resolve(s as Server));
  });
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s instanceof WebSocket ? s.terminate() : s.destroy();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await fx.close();
});

interface Client {
  ws: WebSocket;
  /** Frames received, parsed. */
  next(): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

function open(headers: Record<string, string> = {}): Promise<Client> {
  const ws = new WebSocket(`ws://${base}/v1/live`, { headers });
  sockets.push(ws);
  const queue: Record<string, unknown>[] = [];
  const waiters: ((f: Record<string, unknown>) => void)[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    const w = waiters.shift();
    if (w) w(frame);
    else queue.push(frame);
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))),
        closed,
      }),
    );
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}

async function authFrame(who: Identity, nonce: string, options: { body?: Uint8Array; path?: string } = {}): Promise<string> {
  const h = await signRequest(who, { method: 'GET', path: options.path ?? '/v1/live', body: options.body ?? fromBase64url(nonce) }, { now: fx.now });
  return JSON.stringify({ type: 'auth', key: h[AUTH_HEADERS.key], time: h[AUTH_HEADERS.time], nonce: h[AUTH_HEADERS.nonce], signature: h[AUTH_HEADERS.signature] });
}

/** Connect and authenticate as `who`. */
async function authed(who: Identity): Promise<Client> {
  const c = await open();
  const challenge = await c.next();
  expect(challenge.type).toBe('challenge');
  expect(fromBase64url(challenge.nonce as string)).toHaveLength(32);
  c.ws.send(await authFrame(who, challenge.nonce as string));
  return c;
}

describe('GET /v1/live', () => {
  it('pushes { message, mailboxId, seq } for each envelope stored in a subscribed mailbox', async () => {
    const therapist = await fx.therapist();
    const client = await fx.client(therapist);
    const box = await mailboxWithCapability(fx, client);
    const c = await authed(client);
    c.ws.send(JSON.stringify({ type: 'subscribe', mailboxIds: [box.idB64] }));
    expect(await c.next()).toEqual({ type: 'subscribed', mailboxIds: [box.idB64] });
    for (const byte of [1, 2]) {
      const res = await deliver(fx, await seal(therapist, client, box.id, new Uint8Array([byte])), { capability: box.capability });
      expect(res.status).toBe(201);
      const { seq } = (await res.json()) as { seq: number };
      expect(await c.next()).toEqual({ type: 'message', mailboxId: box.idB64, seq });
    }
    c.ws.close();
    await c.closed;
  });
  it('unsubscribes every mailbox when the client closes', async () => {
    const therapist = await fx.therapist();
    const boxes = [await mailboxWithCapability(fx, therapist), await mailboxWithCapability(fx, therapist)];
    const live = new Set<string>();
    const subscribe = fx.store.notifier.subscribe.bind(fx.store.notifier);
    vi.spyOn(fx.store.notifier, 'subscribe').mockImplementation((id, listener) => {
      const key = String(id);
      live.add(key);
      const off = subscribe(id, listener);
      return () => {
        live.delete(key);
        off();
      };
    });
    const c = await authed(therapist);
    c.ws.send(JSON.stringify({ type: 'subscribe', mailboxIds: boxes.map((b) => b.idB64) }));
    expect((await c.next()).type).toBe('subscribed');
    expect(live.size).toBe(2);
    c.ws.close();
    await c.closed;
    await vi.waitFor(() => expect(live.size).toBe(0));
  });

  it('accepts an allow-listed Origin and a same-origin one', async () => {
    const therapist = await fx.therapist();
    for (const origin of [ALLOWED_ORIGIN, `http://${base}`]) {
      const c = await open({ origin });
      expect((await c.next()).type).toBe('challenge');
      c.ws.close();
    }
    expect(therapist).toBeDefined();
  });

  it('refuses a foreign Origin with 403 and does not upgrade', async () => {
    for (const origin of ['https://evil.example', 'null']) {
      await expect(open({ origin })).rejects.toThrow('status 403');
    }
    const plain = await fetch(`http://${base}/v1/live`, { headers: { origin: 'https://evil.example' } });
    expect(plain.status).toBe(403);
    expect(await plain.json()).toEqual({ error: { code: 'forbidden', message: 'Origin not allowed' } });
  });

  it('answers 400 to GET without an upgrade', async () => {
    const res = await fetch(`http://${base}/v1/live`);
    expect(res.status).toBe(400);
  });

  it('closes 4401 on a signature over the wrong challenge, path or by an unknown account', async () => {
    const therapist = await fx.therapist();
    const stranger = await fx.newIdentity();
    const cases: ((nonce: string) => Promise<string>)[] = [
      (nonce) => authFrame(therapist, nonce, { body: new Uint8Array(32) }),
      (nonce) => authFrame(therapist, nonce, { path: '/v1/other' }),
      (nonce) => authFrame(stranger, nonce),
      async (nonce) => (await authFrame(therapist, nonce)).replace(/"signature":"./, '"signature":"A'),
    ];
    for (const make of cases) {
      const c = await open();
      const { nonce } = await c.next();
      c.ws.send(await make(nonce as string));
      expect(await c.closed).toEqual({ code: LIVE_CLOSE.unauthorized, reason: 'unauthorized' });
    }
  });

  it('takes the auth frame\'s time as a string of digits only: the same time as a JSON number closes 4400 (docs/API.md)', async () => {
    const therapist = await fx.therapist();
    const c = await open();
    const challenge = await c.next();
    const frame = JSON.parse(await authFrame(therapist, challenge.nonce as string)) as Record<string, unknown>;
    expect(frame.time).toMatch(/^\d+$/);
    c.ws.send(JSON.stringify({ ...frame, time: Number(frame.time) }));
    expect((await c.closed).code).toBe(LIVE_CLOSE.bad_request);
  });

  it('closes 4401 on a replayed auth frame', async () => {
    const therapist = await fx.therapist();
    // Before the socket opens: the store work must not eat into the 300 ms auth timeout.
    const box = await mailboxWithCapability(fx, therapist);
    const a = await open();
    const { nonce } = await a.next();
    const frame = await authFrame(therapist, nonce as string);
    a.ws.send(frame);
    a.ws.send(JSON.stringify({ type: 'subscribe', mailboxIds: [box.idB64] }));
    expect((await a.next()).type).toBe('subscribed');
    a.ws.send(frame);
    // The second frame is not an auth frame any more: after auth it must be a subscribe.
    expect((await a.closed).code).toBe(LIVE_CLOSE.bad_request);
    const b = await open();
    await b.next();
    b.ws.send(frame);
    expect((await b.closed).code).toBe(LIVE_CLOSE.unauthorized);
  });

  it("closes 4403 on a subscribe to another account's mailbox", async () => {
    const therapist = await fx.therapist();
    const other = await fx.client(therapist);
    const foreign = await mailboxWithCapability(fx, other);
    const c = await authed(therapist);
    c.ws.send(JSON.stringify({ type: 'subscribe', mailboxIds: [foreign.idB64] }));
    expect(await c.closed).toEqual({ code: LIVE_CLOSE.forbidden, reason: 'forbidden' });
  });

  it('closes 4400 on a subscribe before auth, bad JSON, an unknown type or a binary frame', async () => {
    const therapist = await fx.therapist();
    const box = await mailboxWithCapability(fx, therapist);
    for (const frame of [JSON.stringify({ type: 'subscribe', mailboxIds: [box.idB64] }), '{', JSON.stringify({ type: 'hello' }), Buffer.from('{}')]) {
      const c = await open();
      await c.next();
      c.ws.send(frame);
      expect(await c.closed).toEqual({ code: LIVE_CLOSE.bad_request, reason: 'bad request' });
    }
  });

  it('closes 4413 on a frame over 16 KiB and 4408 when auth does not come in time', async () => {
    const big = await open();
    await big.next();
    big.ws.send('x'.repeat(LIVE_MAX_FRAME_BYTES + 1));
    expect((await big.closed).code).toBe(LIVE_CLOSE.too_large);
    const slow = await open();
    await slow.next();
    expect(await slow.closed).toEqual({ code: LIVE_CLOSE.timeout, reason: 'timeout' });
  });

  it('keeps at most maxSocketsPerAccount authenticated sockets per account: the oldest is closed 4429, other accounts untouched', async () => {
    expect(LIVE_DEFAULT_MAX_SOCKETS_PER_ACCOUNT).toBe(5);
    const therapist = await fx.therapist();
    const client = await fx.client(therapist);
    const box = await mailboxWithCapability(fx, therapist);
    const other = await mailboxWithCapability(fx, client);
    /** An authenticated socket, known to be authenticated once `subscribed` came back. */
    const live = async (who: Identity, idB64: string) => {
      const c = await authed(who);
      c.ws.send(JSON.stringify({ type: 'subscribe', mailboxIds: [idB64] }));
      expect((await c.next()).type).toBe('subscribed');
      return c;
    };
    /** The next frame, or how the socket closed if it closes first. */
    const nextOrClose = (c: Client) => Promise.race([c.next(), c.closed.then((closed) => ({ closed }))]);

    const mine = [await live(therapist, box.idB64), await live(therapist, box.idB64), await live(therapist, box.idB64)];
    const theirs = await live(client, other.idB64);
    mine.push(await live(therapist, box.idB64));
    expect(await mine[0]!.closed).toEqual({ code: LIVE_CLOSE.too_many, reason: 'too many sockets' });

    const sent = await deliver(fx, await seal(client, therapist, box.id, new Uint8Array([1])), { capability: box.capability });
    const { seq } = (await sent.json()) as { seq: number };
    for (const c of mine.slice(1)) expect(await nextOrClose(c)).toEqual({ type: 'message', mailboxId: box.idB64, seq });
    const toClient = await deliver(fx, await seal(therapist, client, other.id, new Uint8Array([2])), { capability: other.capability });
    expect(await nextOrClose(theirs)).toEqual({ type: 'message', mailboxId: other.idB64, seq: ((await toClient.json()) as { seq: number }).seq });

    // A closed socket frees its place: a new one closes nobody.
    mine[1]!.ws.close();
    await mine[1]!.closed;
    mine.push(await live(therapist, box.idB64));
    const again = await deliver(fx, await seal(client, therapist, box.id, new Uint8Array([3])), { capability: box.capability });
    const seq2 = ((await again.json()) as { seq: number }).seq;
    for (const c of [mine[2]!, mine[3]!, mine[4]!]) expect(await nextOrClose(c)).toEqual({ type: 'message', mailboxId: box.idB64, seq: seq2 });
  });

  it('refuses a maxSocketsPerAccount that is not an integer >= 1 when the app is built', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createApp({ store: fx.store, blobs: fx.blobs, live: { maxSocketsPerAccount: bad } }), String(bad)).toThrow(RangeError);
    }
  });

  it('stays healthy after a client resets mid-upgrade', async () => {
    for (const partial of [
      'GET /v1/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n',
      'GET /v1/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ]) {
      const [host, port] = base.split(':');
      const s = connect(Number(port), host);
      sockets.push(s);
      s.on('error', () => {});
      await new Promise<void>((resolve) => s.once('connect', () => resolve()));
      s.write(partial);
      s.resetAndDestroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    const res = await fetch(`http://${base}/healthz`);
    expect(res.status).toBe(200);
    const c = await open();
    expect((await c.next()).type).toBe('challenge');
  });
});
