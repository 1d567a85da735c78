// @vitest-environment node
/**
 * The live channel against the real relay on a loopback port (ws's WebSocket stands in for the
 * browser's): it authenticates, subscribes, tells of new messages, and when the relay closes it
 * for "too many sockets" (4429) it waits instead of pushing another of the account's sockets out.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ConfidantError } from '../../shared/errors.ts';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { LIVE_DEFAULT_MAX_SOCKETS_PER_ACCOUNT } from '../../relay/limits.ts';
import { liveSocketServer } from '../../relay/routes/live.ts';
import { appFixture, type AppFixture } from '../../relay/testing/app-fixture.ts';
import { deliver, mailboxWithCapability, seal, type TestMailbox } from '../../relay/testing/mailbox-helpers.ts';
import { LiveChannel, type LiveState } from './live.ts';

let fx: AppFixture;
let server: Server;
let url: string;
let wss: ReturnType<typeof liveSocketServer>;
const channels: LiveChannel[] = [];

beforeEach(async () => {
  fx = await appFixture();
  wss = liveSocketServer();
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: fx.app.fetch, port: 0, hostname: '127.0.0.1', websocket: { server: wss } }, () => resolve(s as Server));
  });
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/live`;
});

afterEach(async () => {
  for (const c of channels.splice(0)) c.stop();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await fx.close();
});

/** A started channel for `identity` on `box`, with its states and notices recorded. */
function channel(identity: Identity, box: TestMailbox) {
  const states: LiveState[] = [];
  let notices = 0;
  const waiters: { until: () => boolean; resolve: () => void }[] = [];
  const poke = () => {
    for (const w of [...waiters]) if (w.until()) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
  };
  const live = new LiveChannel({
    url,
    identity,
    mailboxId: box.id,
    WebSocket: WebSocket as unknown as new (url: string) => globalThis.WebSocket,
    onNotice: () => {
      notices++;
      poke();
    },
    onState: (s) => {
      states.push(s);
      poke();
    },
  });
  channels.push(live);
  live.start();
  const when = (until: () => boolean) => (until() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ until, resolve })));
  return { live, states, notices: () => notices, when };
}

describe('LiveChannel', () => {
  it('authenticates, subscribes, and tells of each new message', async () => {
    // The relay clock: real time, so the signed auth frame is fresh.
    fx.now = Date.now();
    const therapist = await fx.therapist();
    const client = await fx.client(therapist);
    const box = await mailboxWithCapability(fx, client);
    const c = channel(client, box);
    await c.when(() => c.states.at(-1) === 'live');
    const before = c.notices(); // one notice on subscribing: pull what came before
    expect(before).toBe(1);
    const res = await deliver(fx, await seal(therapist, client, box.id, new Uint8Array([1])), { capability: box.capability });
    expect(res.status).toBe(201);
    await c.when(() => c.notices() === before + 1);
    expect(c.live.retryPending).toBe(false);
  });

  it('closed for too many sockets (4429), waits instead of reconnecting; reconnectNow takes a place again', async () => {
    fx.now = Date.now();
    const therapist = await fx.therapist();
    const client = await fx.client(therapist);
    const box = await mailboxWithCapability(fx, client);
    const all = [];
    for (let i = 0; i < LIVE_DEFAULT_MAX_SOCKETS_PER_ACCOUNT; i++) {
      const c = channel(client, box);
      await c.when(() => c.states.at(-1) === 'live');
      all.push(c);
    }
    const oldest = all[0]!;
    // One more tab: the relay closes the account's oldest socket with 4429.
    const extra = channel(client, box);
    await extra.when(() => extra.states.at(-1) === 'live');
    await oldest.when(() => oldest.states.at(-1) === 'offline');
    expect(oldest.live.retryPending).toBe(false);
    for (const c of all.slice(1)) expect(c.states.at(-1)).toBe('live');

    // Looked at again (or back online): it connects, and the relay pushes out the next oldest,
    // which in turn waits.
    oldest.live.reconnectNow();
    await oldest.when(() => oldest.states.at(-1) === 'live');
    const second = all[1]!;
    await second.when(() => second.states.at(-1) === 'offline');
    expect(second.live.retryPending).toBe(false);
  });

  it('after any other close it schedules a reconnect', async () => {
    fx.now = Date.now();
    const therapist = await fx.therapist();
    const box = await mailboxWithCapability(fx, therapist);
    const c = channel(therapist, box);
    await c.when(() => c.states.at(-1) === 'live');
    // The connection drops (a relay restart, a network change): no close code of the relay's.
    for (const socket of wss.clients) socket.terminate();
    await c.when(() => c.states.at(-1) === 'offline');
    expect(c.live.retryPending).toBe(true);
  });

  it('a bad frame from the relay is reported as a typed error and ignored; the channel goes on', async () => {
    const therapist = await fx.therapist();
    const box = await mailboxWithCapability(fx, therapist);
    // A relay that answers the socket with broken frames, then a good one.
    const bad = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => bad.once('listening', () => resolve()));
    bad.on('connection', (socket) => {
      socket.send('{"type":');
      socket.send(Buffer.from('binary'));
      socket.send(JSON.stringify({ type: 'challenge', nonce: 5 }));
      socket.send(JSON.stringify({ type: 'challenge', nonce: toBase64url(new Uint8Array(31)) }));
      socket.send(JSON.stringify({ type: 'news' }));
      socket.send(JSON.stringify({ type: 'message', mailboxId: toBase64url(box.id), seq: 1 }));
    });
    const errors: unknown[] = [];
    let notices = 0;
    const live = new LiveChannel({
      url: `ws://127.0.0.1:${(bad.address() as AddressInfo).port}/v1/live`,
      identity: therapist,
      mailboxId: box.id,
      WebSocket: WebSocket as unknown as new (url: string) => globalThis.WebSocket,
      onNotice: () => notices++,
      onError: (e) => errors.push(e),
    });
    channels.push(live);
    try {
      live.start();
      await vi.waitUntil(() => notices === 1);
      expect(errors.map((e) => e instanceof ConfidantError && e.code)).toEqual(['malformed', 'malformed', 'schema', 'schema', 'schema']);
    } finally {
      live.stop();
      await new Promise<void>((resolve) => bad.close(() => resolve()));
    }
  });
});
