import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import type { Invite } from '../../shared/invite.ts';
import { openInvite, parseShortInvite, sealInvite } from '../../shared/short-invite.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret } from '../../shared/keys.ts';
import { createApp } from '../app.ts';
import { appFixture, FIXTURE_NOW, type AppFixture } from '../testing/app-fixture.ts';
import { INVITE_TTL_MS } from '../limits.ts';

let fx: AppFixture;
beforeEach(async () => {
  fx = await appFixture();
});
afterEach(async () => fx.close());

const inviteBody = () => JSON.stringify({ inviteHash: toBase64url(randomBytes(32)) });

describe('POST /v1/invites', () => {
  it('stores an invite hash for a therapist, valid 7 days', async () => {
    const t = await fx.therapist();
    const res = await fx.send(t, 'POST', '/v1/invites', { body: inviteBody() });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ expiresAt: FIXTURE_NOW + INVITE_TTL_MS });
  });

  it('refuses a client account with 403 and stores nothing', async () => {
    const c = await fx.client(await fx.therapist());
    const before = fx.counts();
    const res = await fx.send(c, 'POST', '/v1/invites', { body: inviteBody() });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(fx.counts()).toEqual(before);
  });

  it('answers the same invite hash twice with 409', async () => {
    const t = await fx.therapist();
    const body = inviteBody();
    expect((await fx.send(t, 'POST', '/v1/invites', { body })).status).toBe(201);
    const before = fx.counts();
    expect((await fx.send(t, 'POST', '/v1/invites', { body })).status).toBe(409);
    expect(fx.counts()).toEqual(before);
  });
});

describe('POST /v1/invites/check', () => {
  const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

  /** A therapist's invite registered through the route; returns its secret (b64url) and expiry. */
  async function invite(): Promise<{ secret: string; expiresAt: number }> {
    const t = await fx.therapist();
    const secret = randomBytes(32);
    const res = await fx.send(t, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: toBase64url(sha256(secret)) }) });
    expect(res.status).toBe(201);
    return { secret: toBase64url(secret), ...((await res.json()) as { expiresAt: number }) };
  }

  const check = (secret: string) => fx.send(undefined, 'POST', '/v1/invites/check', { body: JSON.stringify({ invite: secret }) });

  async function register(secret: string): Promise<number> {
    const id = await deriveIdentity(generateRootSecret());
    const res = await fx.send(id, 'POST', '/v1/accounts/client', {
      body: JSON.stringify({ identity: toBase64url(encodePublicIdentity(id.publicIdentity)), invite: secret }),
    });
    return res.status;
  }

  const notFound = async (res: Response) => {
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  };

  it('answers 200 { valid, expiresAt } for an unused invite, unauthenticated, and consumes nothing', async () => {
    const { secret, expiresAt } = await invite();
    const before = fx.counts();
    for (let i = 0; i < 3; i++) {
      const res = await check(secret);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ valid: true, expiresAt });
    }
    expect(fx.counts()).toEqual(before);
    // Checking did not use it up: the holder can still register with it, once.
    expect(await register(secret)).toBe(201);
  });

  it('answers a used, an expired and an unknown invite alike: 404 not_found', async () => {
    const used = await invite();
    expect(await register(used.secret)).toBe(201);
    await notFound(await check(used.secret));

    const late = await invite();
    fx.now = late.expiresAt;
    await notFound(await check(late.secret));
    fx.now = late.expiresAt - 1;
    expect((await check(late.secret)).status).toBe(200);

    await notFound(await check(toBase64url(randomBytes(32))));
  });

  it('is not a lookup by hash: the invite hash itself (what a therapist registered) is unknown as a secret', async () => {
    const t = await fx.therapist();
    const secret = randomBytes(32);
    const hash = toBase64url(sha256(secret));
    expect((await fx.send(t, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: hash }) })).status).toBe(201);
    await notFound(await check(hash));
    expect((await check(toBase64url(secret))).status).toBe(200);
  });

  it.each([
    ['a short secret', JSON.stringify({ invite: toBase64url(new Uint8Array(31)) })],
    ['a long secret', JSON.stringify({ invite: toBase64url(new Uint8Array(33)) })],
    ['the hash field instead', JSON.stringify({ inviteHash: toBase64url(new Uint8Array(32)) })],
    ['not JSON', '{"invite":'],
  ])('refuses %s with 400 bad_request', async (_, body) => {
    const res = await fx.send(undefined, 'POST', '/v1/invites/check', { body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
  });

  it('refuses a body that is not JSON with 415 and an oversized one with 413', async () => {
    const { secret } = await invite();
    const form = await fx.send(undefined, 'POST', '/v1/invites/check', { body: JSON.stringify({ invite: secret }), contentType: 'text/plain' });
    expect(form.status).toBe(415);
    const big = await fx.send(undefined, 'POST', '/v1/invites/check', { body: JSON.stringify({ invite: secret, pad: 'x'.repeat(9000) }) });
    expect(big.status).toBe(413);
  });

  it('is limited by address like other unauthenticated routes (429 with Retry-After)', async () => {
    const { secret } = await invite();
    fx.app = createApp({ store: fx.store, blobs: fx.blobs, now: () => fx.now, rateLimit: { capacity: 3, refillPerSecond: 1 } });
    for (let i = 0; i < 3; i++) expect((await check(toBase64url(randomBytes(32)))).status).toBe(404);
    const limited = await check(secret);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    fx.now += 1000;
    expect((await check(secret)).status).toBe(200);
  });
});

describe('short invites: POST /v1/invites with a body, GET /v1/invites/:id, POST /v1/invites/revoke', () => {
  const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

  /** A real short invite sealed as the therapist's device does (shared/short-invite.ts). */
  async function sealed(therapistId: Awaited<ReturnType<typeof fx.therapist>>) {
    const secret = new Uint8Array(randomBytes(32));
    const invite: Invite = {
      therapist: therapistId.publicIdentity,
      mailboxId: new Uint8Array(randomBytes(16)),
      capability: new Uint8Array(randomBytes(32)),
      secret,
      practiceName: 'Harbour Counselling',
      consentText: 'Messages are for practical matters between sessions.',
      emergencyNotice: 'In an emergency call your local emergency number.',
      expiresAt: FIXTURE_NOW + INVITE_TTL_MS,
    };
    const s = sealInvite(invite);
    return { invite, ...s, hash: toBase64url(sha256(secret)), secretText: toBase64url(secret) };
  }

  const store = (t: Awaited<ReturnType<typeof fx.therapist>>, s: Awaited<ReturnType<typeof sealed>>) =>
    fx.send(t, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: s.hash, id: toBase64url(s.id), body: toBase64url(s.body) }) });
  const fetchBody = (id: string) => fx.send(undefined, 'GET', `/v1/invites/${id}`);
  const revoke = (t: Awaited<ReturnType<typeof fx.therapist>>, hash: string) =>
    fx.send(t, 'POST', '/v1/invites/revoke', { body: JSON.stringify({ inviteHash: hash }) });
  const register = async (secret: string) => {
    const id = await deriveIdentity(generateRootSecret());
    return (
      await fx.send(id, 'POST', '/v1/accounts/client', {
        body: JSON.stringify({ identity: toBase64url(encodePublicIdentity(id.publicIdentity)), invite: secret }),
      })
    ).status;
  };
  const notFound = async (res: Response) => {
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  };

  it('stores the body with the invite and serves it unauthenticated by id; the client opens it', async () => {
    const t = await fx.therapist();
    const s = await sealed(t);
    const res = await store(t, s);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ expiresAt: FIXTURE_NOW + INVITE_TTL_MS });
    const before = fx.counts();
    const got = await fetchBody(toBase64url(s.id));
    expect(got.status).toBe(200);
    const json = (await got.json()) as { body: string; expiresAt: number };
    expect(json.expiresAt).toBe(FIXTURE_NOW + INVITE_TTL_MS);
    expect(await openInvite(parseShortInvite(s.encoded), fromBase64url(json.body))).toEqual(s.invite);
    expect(fx.counts()).toEqual(before);
    // The body's secret registers a client once; then the body is no longer served.
    expect(await register(s.secretText)).toBe(201);
    await notFound(await fetchBody(toBase64url(s.id)));
  });

  it('revokes: the body is gone and the invite no longer registers or checks', async () => {
    const t = await fx.therapist();
    const s = await sealed(t);
    expect((await store(t, s)).status).toBe(201);
    const res = await revoke(t, s.hash);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ revoked: true });
    await notFound(await fetchBody(toBase64url(s.id)));
    await notFound(await fx.send(undefined, 'POST', '/v1/invites/check', { body: JSON.stringify({ invite: s.secretText }) }));
    expect(await register(s.secretText)).toBe(403);
    await notFound(await revoke(t, s.hash));
  });

  it('revokes an invite registered without a body (a version 1 link) too', async () => {
    const t = await fx.therapist();
    const secret = new Uint8Array(randomBytes(32));
    const hash = toBase64url(sha256(secret));
    expect((await fx.send(t, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: hash }) })).status).toBe(201);
    expect((await revoke(t, hash)).status).toBe(200);
    expect(await register(toBase64url(secret))).toBe(403);
  });

  it('answers an expired body 404 like an unknown one, and the sweeper deletes it', async () => {
    const t = await fx.therapist();
    const s = await sealed(t);
    expect((await store(t, s)).status).toBe(201);
    fx.now = FIXTURE_NOW + INVITE_TTL_MS - 1;
    expect((await fetchBody(toBase64url(s.id))).status).toBe(200);
    fx.now = FIXTURE_NOW + INVITE_TTL_MS;
    await notFound(await fetchBody(toBase64url(s.id)));
    await notFound(await fetchBody(toBase64url(randomBytes(16))));
    expect((await fx.store.sweep(fx.now)).invites).toBe(1);
    expect(fx.counts()['invites']).toBe(0);
  });
});
