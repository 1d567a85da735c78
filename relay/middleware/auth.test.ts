import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_MAX_SKEW_MS } from '../../shared/consts.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret, type Identity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import type { RelayEnv } from '../context.ts';
import { notFound, onError, RelayError } from '../errors.ts';
import type { Store } from '../storage/types.ts';
import { appFixture, type AppFixture } from '../testing/app-fixture.ts';
import { requireAuth, requireSignature } from './auth.ts';
import { bodyLimit } from './body-limit.ts';

const NOW = 1_800_000_000_000;
let fx: AppFixture;
let store: Store;
let alice: Identity;
let stranger: Identity;
let app: Hono<RelayEnv>;

beforeAll(async () => {
  // The store of the vitest project (SQLite, or PostgreSQL in the postgres project); the app is ours.
  fx = await appFixture();
  store = fx.store;
  alice = await deriveIdentity(generateRootSecret());
  stranger = await deriveIdentity(generateRootSecret());
  const code = new Uint8Array(32).fill(1);
  await store.addRegistrationCode(code, NOW, NOW + 1000);
  const p = alice.publicIdentity;
  await store.registerTherapist(
    { signingKey: p.signingKey, agreementKey: p.agreementKey, identity: encodePublicIdentity(p), kind: 'therapist', createdAt: NOW },
    code,
    NOW,
  );
  app = new Hono<RelayEnv>();
  const deps = { store, now: () => NOW };
  app.post('/who', bodyLimit(1000), requireAuth(deps), (c) => c.json({ kind: c.get('account').kind }));
  app.post('/new', bodyLimit(1000), requireSignature(deps), (c) => c.json({ ok: c.get('signer').length }));
  app.post('/new-refused', bodyLimit(1000), requireSignature(deps), () => {
    throw new RelayError('forbidden', 'Refused');
  });
  app.notFound(notFound);
  app.onError(onError);
});

afterAll(async () => fx.close());

const enc = new TextEncoder();

async function send(
  who: Identity,
  opts: { path?: string; signedPath?: string; body?: string; sentBody?: string; time?: number; headers?: (h: Record<string, string>) => Record<string, string> } = {},
) {
  const path = opts.path ?? '/who';
  const body = opts.body ?? '{"a":1}';
  let headers: Record<string, string> = await signRequest(
    who,
    { method: 'POST', path: opts.signedPath ?? path, body: enc.encode(body) },
    { now: opts.time ?? NOW },
  );
  if (opts.headers) headers = opts.headers(headers);
  const res = await app.request(path, { method: 'POST', body: opts.sentBody ?? body, headers });
  return { res, headers, body: (await res.json()) as { kind?: string; error?: { code: string; message: string } } };
}

describe('requireAuth', () => {
  it('lets a signed request from an existing account through with its account', async () => {
    const { res, body } = await send(alice);
    expect(res.status).toBe(200);
    expect(body.kind).toBe('therapist');
  });

  it('refuses missing headers with 401 unauthorized', async () => {
    const res = await app.request('/who', { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('refuses a replayed request', async () => {
    const first = await send(alice);
    expect(first.res.status).toBe(200);
    const again = await app.request('/who', { method: 'POST', body: '{"a":1}', headers: first.headers });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/replay/i);
  });

  it('refuses a stale or future time', async () => {
    expect((await send(alice, { time: NOW - REQUEST_MAX_SKEW_MS - 1 })).res.status).toBe(401);
    expect((await send(alice, { time: NOW + REQUEST_MAX_SKEW_MS + 1 })).res.status).toBe(401);
  });

  it('refuses a body changed after signing', async () => {
    expect((await send(alice, { sentBody: '{"a":2}' })).res.status).toBe(401);
  });

  it('refuses a signature over another path or query', async () => {
    expect((await send(alice, { signedPath: '/who?x=1' })).res.status).toBe(401);
  });

  it('refuses a signature by another key presented under the account key', async () => {
    const forged = await signRequest(stranger, { method: 'POST', path: '/who', body: enc.encode('{}') }, { now: NOW });
    const real = await signRequest(alice, { method: 'POST', path: '/who', body: enc.encode('{}') }, { now: NOW });
    const res = await app.request('/who', {
      method: 'POST',
      body: '{}',
      headers: { ...forged, 'confidant-key': real['confidant-key'] },
    });
    expect(res.status).toBe(401);
  });

  it('refuses a valid signature from a key without an account, remembering nothing', async () => {
    const { res, body } = await send(stranger);
    expect(res.status).toBe(401);
    expect(body.error?.message).toMatch(/unknown account/i);
  });

  it('requireSignature accepts a key without an account but still refuses replays', async () => {
    const first = await send(stranger, { path: '/new' });
    expect(first.res.status).toBe(200);
    const again = await app.request('/new', { method: 'POST', body: '{"a":1}', headers: first.headers });
    expect(again.status).toBe(401);
  });

  it('requireSignature remembers no nonce when the handler refuses: no row, the same request is refused again by the handler', async () => {
    const key = stranger.publicIdentity.signingKey;
    const first = await send(stranger, { path: '/new-refused' });
    expect(first.res.status).toBe(403);
    const nonce = Buffer.from(first.headers['confidant-nonce']!, 'base64url');
    expect(await store.hasNonce(key, nonce)).toBe(false);
    const again = await app.request('/new-refused', { method: 'POST', body: '{"a":1}', headers: first.headers });
    expect(again.status).toBe(403);
    expect(await store.hasNonce(key, nonce)).toBe(false);
  });
});
