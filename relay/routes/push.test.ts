/**
 * Push notifications over the real app and store (runs on SQLite and PostgreSQL,
 * vitest.config.ts), against a push receiver on loopback (relay/testing/push-receiver.ts) that
 * checks each push's VAPID signature and decrypts its body with the subscription's own keys.
 * The relay runs with the development setting that admits loopback endpoints, except where a
 * test checks the endpoint rules themselves.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PUSH_MARKER } from '../../shared/consts.ts';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { PUSH_THROTTLE_MS, PUSH_TTL_SECONDS } from '../limits.ts';
import { createPushSender, type PushSender } from '../push/sender.ts';
import { generateVapidKeys, loadVapidKeys, VAPID_FILE, type VapidKeys } from '../push/vapid.ts';
import type { PostgresStore } from '../storage/postgres/index.ts';
import { SQLITE_FILE } from '../storage/sqlite/index.ts';
import { appFixture, type AppFixture } from '../testing/app-fixture.ts';
import { deliver, mailboxWithCapability, seal, type TestMailbox } from '../testing/mailbox-helpers.ts';
import { decryptPush, startPushReceiver, verifyVapid, type PushReceiver, type TestSubscription } from '../testing/push-receiver.ts';

const SUBJECT = 'mailto:operator@relay.example.org';
const MINUTE = 60_000;

let fx: AppFixture;
let receiver: PushReceiver;
let push: PushSender;
let vapid: VapidKeys;
let logs: string[];
let therapist: Identity;
let client: Identity;
let mailbox: TestMailbox;

/** A fixture whose relay pushes; `allowPrivate` is the development setting (on unless said). */
async function pushFixture(allowPrivate = true): Promise<AppFixture> {
  return appFixture({
    push: (store, now) => (push = createPushSender({ store, vapid, subject: SUBJECT, allowPrivateEndpoints: allowPrivate, now, log: (l) => logs.push(l) })),
  });
}

const register = (who: Identity, body: unknown): Promise<Response> =>
  fx.send(who, 'PUT', '/v1/push/subscription', { body: JSON.stringify(body) });

/** The client writes one message to the therapist's mailbox; resolves once every push it caused is done. */
async function clientWrites(): Promise<void> {
  const envelope = await seal(client, therapist, mailbox.id, new Uint8Array(48).fill(7));
  const res = await deliver(fx, envelope, { capability: mailbox.capability });
  expect(res.status).toBe(201);
  await push.idle();
}

beforeEach(async () => {
  vapid = generateVapidKeys();
  logs = [];
  receiver = await startPushReceiver();
  fx = await pushFixture();
  therapist = await fx.therapist();
  client = await fx.client(therapist);
  mailbox = await mailboxWithCapability(fx, therapist);
});

afterEach(async () => {
  await push.idle();
  await receiver.close();
  await fx.close();
});

describe('GET /v1/push/key', () => {
  it('answers the relay\'s VAPID public key, unsigned', async () => {
    const res = await fx.send(undefined, 'GET', '/v1/push/key');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ publicKey: vapid.publicKey });
  });

  it('answers 404 in the JSON error shape when the relay has no push sender', async () => {
    const plain = await appFixture();
    try {
      const res = await plain.send(undefined, 'GET', '/v1/push/key');
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'Push notifications are not enabled on this relay' } });
    } finally {
      await plain.close();
    }
  });
});

describe('PUT and DELETE /v1/push/subscription', () => {
  it('registers a subscription (201), replaces it (200), and removes it (204, then 404)', async () => {
    const sub = receiver.subscription();
    expect((await register(therapist, sub.json)).status).toBe(201);
    expect((await register(therapist, { ...sub.json, expirationTime: null })).status).toBe(200);
    expect(await fx.store.listPushSubscriptions(therapist.publicIdentity.signingKey)).toHaveLength(1);
    const del = (): Promise<Response> => fx.send(therapist, 'DELETE', '/v1/push/subscription', { body: JSON.stringify({ endpoint: sub.endpoint }) });
    expect((await del()).status).toBe(204);
    const again = await del();
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: { code: 'not_found', message: 'No such push subscription' } });
  });

  it('refuses an unsigned registration (401) and keys that are not a P-256 point or a 16-byte secret (400)', async () => {
    const sub = receiver.subscription();
    expect((await fx.send(therapist, 'PUT', '/v1/push/subscription', { body: JSON.stringify(sub.json), unsigned: true })).status).toBe(401);
    const notAPoint = { ...sub.json, keys: { ...sub.json.keys, p256dh: toBase64url(new Uint8Array(65).fill(4)) } };
    const res = await register(therapist, notAPoint);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'bad_request', message: 'Invalid field keys.p256dh (expected an uncompressed P-256 public key)' } });
    const shortAuth = await register(therapist, { ...sub.json, keys: { ...sub.json.keys, auth: toBase64url(new Uint8Array(8)) } });
    expect(shortAuth.status).toBe(400);
    expect(((await shortAuth.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid field keys\.auth/);
    expect(await fx.store.listPushSubscriptions(therapist.publicIdentity.signingKey)).toEqual([]);
  });
});

describe('a stored message pushes to the mailbox owner\'s devices', () => {
  let sub: TestSubscription;
  beforeEach(async () => {
    sub = receiver.subscription();
    expect((await register(therapist, sub.json)).status).toBe(201);
  });

  it('sends one push, signed with the relay\'s VAPID key for the receiver\'s origin, whose plaintext is the marker and nothing else', async () => {
    await clientWrites();
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(got.path).toBe(new URL(sub.endpoint).pathname);
    const claims = verifyVapid(got.headers.authorization, vapid.publicKey);
    expect(claims.aud).toBe(receiver.origin);
    expect(claims.sub).toBe(SUBJECT);
    // exp: in the future and at most 24 hours ahead (RFC 8292 §2); web-push signs with the wall clock.
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(claims.exp).toBeGreaterThan(nowSeconds);
    expect(claims.exp).toBeLessThanOrEqual(nowSeconds + 24 * 60 * 60);
    expect(got.headers['content-encoding']).toBe('aes128gcm');
    expect(got.headers['ttl']).toBe(String(PUSH_TTL_SECONDS));
    expect(got.headers['urgency']).toBe('normal');
    expect(got.headers['topic']).toBeUndefined();
    expect(decryptPush(got.body, sub).toString('utf8')).toBe(PUSH_MARKER);
    // Nothing of the message, mailbox or sender anywhere in the request.
    const everything = JSON.stringify(got.headers) + got.path + got.body.toString('latin1');
    for (const secret of [mailbox.idB64, toBase64url(therapist.publicIdentity.signingKey), toBase64url(client.publicIdentity.signingKey), mailbox.capability]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('sends no push for a send marked quiet (a receipt), and the message is stored all the same', async () => {
    const envelope = await seal(client, therapist, mailbox.id, new Uint8Array(48).fill(3));
    const res = await deliver(fx, envelope, { capability: mailbox.capability, headers: { 'confidant-push': 'quiet' } });
    expect(res.status).toBe(201);
    await push.idle();
    expect(receiver.received).toEqual([]);
    await clientWrites();
    expect(receiver.received).toHaveLength(1);
  });

  it('pushes to every device of the owner, and to no one else\'s', async () => {
    const second = receiver.subscription();
    expect((await register(therapist, second.json)).status).toBe(201);
    const stranger = receiver.subscription();
    expect((await register(client, stranger.json)).status).toBe(201);
    await clientWrites();
    expect(receiver.received.map((r) => r.path).sort()).toEqual([sub, second].map((s) => new URL(s.endpoint).pathname).sort());
  });

  it('throttles each device to one push per interval, and pushes again once it has passed', async () => {
    await clientWrites();
    fx.now += MINUTE;
    await clientWrites();
    fx.now += PUSH_THROTTLE_MS - MINUTE - 1;
    await clientWrites();
    expect(receiver.received).toHaveLength(1);
    fx.now += 1;
    await clientWrites();
    expect(receiver.received).toHaveLength(2);
    expect(decryptPush(receiver.received[1]!.body, sub).toString('utf8')).toBe(PUSH_MARKER);
  });

  it.each([410, 404])('deletes the subscription when the push service answers %i, and pushes no more', async (status) => {
    receiver.status = status;
    await clientWrites();
    expect(receiver.received).toHaveLength(1);
    expect(await fx.store.listPushSubscriptions(therapist.publicIdentity.signingKey)).toEqual([]);
    expect(logs.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual({ event: 'push', host: '127.0.0.1', status, outcome: 'subscription_gone' });
    fx.now += PUSH_THROTTLE_MS;
    await clientWrites();
    expect(receiver.received).toHaveLength(1);
  });

  it('keeps the subscription when the push service fails (500) and logs no endpoint path', async () => {
    receiver.status = 500;
    await clientWrites();
    expect(await fx.store.listPushSubscriptions(therapist.publicIdentity.signingKey)).toHaveLength(1);
    expect(logs).toEqual([JSON.stringify({ event: 'push', host: '127.0.0.1', status: 500, outcome: 'refused' })]);
    expect(logs.join('\n')).not.toContain(new URL(sub.endpoint).pathname);
  });

  it('answers the send before the push service answers the push: a slow push never holds up a message', async () => {
    receiver.hold = true;
    const envelope = await seal(client, therapist, mailbox.id, new Uint8Array(48).fill(9));
    const res = await deliver(fx, envelope, { capability: mailbox.capability });
    expect(res.status).toBe(201);
    await receiver.arrived(1);
    receiver.release();
    await push.idle();
  });

  it('stores and answers the send when the push service cannot be reached', async () => {
    await receiver.close();
    await clientWrites();
    expect(logs.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual({ event: 'push', host: '127.0.0.1', outcome: 'failed', error: 'ECONNREFUSED' });
    expect(await fx.store.listPushSubscriptions(therapist.publicIdentity.signingKey)).toHaveLength(1);
  });
});

describe('endpoint rules (no development setting)', () => {
  beforeEach(async () => {
    await fx.close();
    fx = await pushFixture(false);
    therapist = await fx.therapist();
  });

  const PUBLIC_HOST = 'Push endpoint must be on a public host, not a loopback, private, link-local or reserved address';
  const PUBLIC_NAME = 'Push endpoint must be on a public host name';
  const HOSTILE: readonly (readonly [string, string, string])[] = [
    ['plain http', 'http://push.example.com/send/1', 'Push endpoint must be an https URL'],
    ['another scheme', 'ftp://push.example.com/send/1', 'Push endpoint must be an https URL'],
    ['a file URL', 'file:///etc/passwd', 'Push endpoint must be an https URL'],
    ['not a URL', 'push.example.com/send/1', 'Push endpoint is not a URL'],
    ['credentials', 'https://user:secret@push.example.com/send/1', 'Push endpoint must not carry a user name or password'],
    ['a user name alone', 'https://user@push.example.com/send/1', 'Push endpoint must not carry a user name or password'],
    ['a port', 'https://push.example.com:8443/send/1', 'Push endpoint must use the default https port'],
    ['a fragment', 'https://push.example.com/send/1#x', 'Push endpoint must not have a fragment'],
    ['IPv4 loopback', 'https://127.0.0.1/send', PUBLIC_HOST],
    ['IPv4 loopback, short form', 'https://127.1/send', PUBLIC_HOST],
    ['IPv4 loopback as a decimal number', 'https://2130706433/send', PUBLIC_HOST],
    ['IPv4 loopback in hex', 'https://0x7f.0x0.0x0.0x1/send', PUBLIC_HOST],
    ['IPv4 loopback in mixed hex', 'https://0x7f.1/send', PUBLIC_HOST],
    ['IPv4 loopback in octal', 'https://017700000001/send', PUBLIC_HOST],
    ['the unspecified IPv4 address', 'https://0.0.0.0/send', PUBLIC_HOST],
    ['zero, which is 0.0.0.0', 'https://0/send', PUBLIC_HOST],
    ['private 10/8', 'https://10.1.2.3/send', PUBLIC_HOST],
    ['private 172.16/12', 'https://172.31.255.1/send', PUBLIC_HOST],
    ['private 192.168/16', 'https://192.168.0.1/send', PUBLIC_HOST],
    ['carrier-grade NAT 100.64/10', 'https://100.100.0.1/send', PUBLIC_HOST],
    ['link-local, cloud metadata', 'https://169.254.169.254/latest/meta-data', PUBLIC_HOST],
    ['IPv4 multicast', 'https://224.0.0.251/send', PUBLIC_HOST],
    ['IPv4 broadcast', 'https://255.255.255.255/send', PUBLIC_HOST],
    ['IPv4 documentation', 'https://192.0.2.10/send', PUBLIC_HOST],
    ['IPv6 loopback', 'https://[::1]/send', PUBLIC_HOST],
    ['the unspecified IPv6 address', 'https://[::]/send', PUBLIC_HOST],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/send', PUBLIC_HOST],
    ['IPv4-mapped IPv6 private, in hex', 'https://[::ffff:a00:1]/send', PUBLIC_HOST],
    ['IPv4-mapped metadata address', 'https://[::ffff:169.254.169.254]/send', PUBLIC_HOST],
    ['NAT64 of loopback', 'https://[64:ff9b::7f00:1]/send', PUBLIC_HOST],
    ['6to4 of loopback', 'https://[2002:7f00:1::1]/send', PUBLIC_HOST],
    ['IPv6 link-local', 'https://[fe80::1]/send', PUBLIC_HOST],
    ['IPv6 unique local', 'https://[fd12:3456:789a::1]/send', PUBLIC_HOST],
    ['IPv6 multicast', 'https://[ff02::1]/send', PUBLIC_HOST],
    ['IPv6 documentation', 'https://[2001:db8::1]/send', PUBLIC_HOST],
    ['localhost', 'https://localhost/send', PUBLIC_NAME],
    ['localhost with a trailing dot', 'https://localhost./send', PUBLIC_NAME],
    ['a .localhost name', 'https://relay.localhost/send', PUBLIC_NAME],
    ['an mDNS name', 'https://printer.local/send', PUBLIC_NAME],
    ['an .internal name', 'https://metadata.google.internal/computeMetadata/v1/', PUBLIC_NAME],
    ['a home.arpa name', 'https://nas.home.arpa/send', PUBLIC_NAME],
    ['a single-label name', 'https://intranet/send', PUBLIC_NAME],
  ];

  it.each(HOSTILE)('refuses %s with 400 and a message saying why', async (_what, endpoint, message) => {
    const res = await register(therapist, { ...receiver.subscription().json, endpoint });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'bad_request', message } });
    expect(await fx.store.listPushSubscriptions(therapist.publicIdentity.signingKey)).toEqual([]);
  });

  it('refuses an endpoint over 1,024 characters, and the receiver on loopback', async () => {
    const long = await register(therapist, { ...receiver.subscription().json, endpoint: `https://push.example.com/${'a'.repeat(1024)}` });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid field endpoint/);
    const loopback = await register(therapist, receiver.subscription().json);
    expect(loopback.status).toBe(400);
    expect(await loopback.json()).toEqual({ error: { code: 'bad_request', message: 'Push endpoint must be an https URL' } });
  });

  it('accepts the push services\' own endpoints', async () => {
    for (const endpoint of [
      'https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk',
      'https://web.push.apple.com/QGuQyavXutnMH',
    ]) {
      expect((await register(therapist, { ...receiver.subscription().json, endpoint })).status).toBe(201);
    }
    expect(await fx.store.listPushSubscriptions(therapist.publicIdentity.signingKey)).toHaveLength(3);
  });
});

describe('the account goes, its subscriptions go', () => {
  it('deleting an account deletes its push subscriptions (ON DELETE CASCADE), on either store', async () => {
    const owner = await fx.therapist();
    expect((await register(owner, receiver.subscription().json)).status).toBe(201);
    expect((await register(owner, receiver.subscription().json)).status).toBe(201);
    const key = Buffer.from(owner.publicIdentity.signingKey);
    if (fx.store.kind === 'postgres') {
      await (fx.store as PostgresStore).pool.query('DELETE FROM accounts WHERE signing_key = $1', [key]);
    } else {
      const db = new Database(join(fx.dataDir, SQLITE_FILE));
      try {
        db.pragma('foreign_keys = ON');
        db.prepare('DELETE FROM accounts WHERE signing_key = ?').run(key);
      } finally {
        db.close();
      }
    }
    expect(await fx.store.listPushSubscriptions(owner.publicIdentity.signingKey)).toEqual([]);
    expect(fx.counts()['push_subscriptions']).toBe(0);
  });
});

describe('the VAPID key pair', () => {
  it('is made once and read back the same (SQLite: a 0600 file in DATA_DIR; PostgreSQL: one row all instances share)', async () => {
    const first = await loadVapidKeys({ store: fx.store, dataDir: fx.dataDir, env: {} });
    const second = await loadVapidKeys({ store: fx.store, dataDir: fx.dataDir, env: {} });
    expect(second.keys).toEqual(first.keys);
    if (fx.store.kind === 'sqlite') {
      expect(first.source).toBe('file');
      expect((await stat(join(fx.dataDir, VAPID_FILE))).mode & 0o777).toBe(0o600);
    } else {
      expect(first.source).toBe('database');
    }
  });

  it('comes from VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY when both are set, and refuses one alone or a mismatched pair', async () => {
    const env = { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey };
    expect(await loadVapidKeys({ store: fx.store, dataDir: fx.dataDir, env })).toEqual({ keys: vapid, source: 'environment' });
    await expect(loadVapidKeys({ store: fx.store, dataDir: fx.dataDir, env: { VAPID_PUBLIC_KEY: vapid.publicKey } })).rejects.toThrow(/both/);
    const other = generateVapidKeys();
    await expect(loadVapidKeys({ store: fx.store, dataDir: fx.dataDir, env: { ...env, VAPID_PRIVATE_KEY: other.privateKey } })).rejects.toThrow(/not a P-256 key pair/);
  });
});
