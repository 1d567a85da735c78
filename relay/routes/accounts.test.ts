import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import { encodePublicIdentity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import { identityB64, sha256 } from '../testing/app-fixture.ts';
import { errorCode, useAppFixture } from '../testing/use-app-fixture.ts';

const fx = useAppFixture({ each: true });

describe('POST /v1/accounts/therapist', () => {
  it('creates a therapist account with a fresh code, signed by the new identity', async () => {
    const id = await fx.newIdentity();
    const res = await fx.send(id, 'POST', '/v1/accounts/therapist', {
      body: JSON.stringify({ identity: identityB64(id), registrationCode: await fx.mintCode() }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ kind: 'therapist' });
    const account = await fx.store.getAccount(id.publicIdentity.signingKey);
    expect(account?.kind).toBe('therapist');
    expect(account?.identity).toEqual(encodePublicIdentity(id.publicIdentity));
  });

  it('refuses a code used twice with 403, creating nothing the second time', async () => {
    const code = await fx.mintCode();
    const first = await fx.newIdentity();
    const second = await fx.newIdentity();
    expect((await fx.send(first, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(first), registrationCode: code }) })).status).toBe(201);
    const before = fx.counts();
    const res = await fx.send(second, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(second), registrationCode: code }) });
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('forbidden');
    expect(fx.counts()).toEqual(before);
  });

  it('answers unknown and expired codes with the same 403', async () => {
    const expired = await fx.mintCode(1000);
    fx.now += 1000;
    for (const code of [expired, toBase64url(randomBytes(32))]) {
      const id = await fx.newIdentity();
      const before = fx.counts();
      const res = await fx.send(id, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(id), registrationCode: code }) });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Registration code unknown, used or expired');
      expect(fx.counts()).toEqual(before);
    }
  });

  it('answers an existing account with 409 and leaves the new code unused', async () => {
    const id = await fx.therapist();
    const before = fx.counts();
    const code = await fx.mintCode();
    const res = await fx.send(id, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(id), registrationCode: code }) });
    expect(res.status).toBe(409);
    expect(fx.counts()).toEqual({ ...before, registration_codes: before['registration_codes']! + 1 });
  });

  it('refuses a request signed by another key than the identity registered (401)', async () => {
    const id = await fx.newIdentity();
    const other = await fx.newIdentity();
    const before = fx.counts();
    const res = await fx.send(other, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(id), registrationCode: await fx.mintCode() }) });
    expect(res.status).toBe(401);
    expect(fx.counts()).toEqual({ ...before, registration_codes: before['registration_codes']! + 1 });
  });

  it('refuses an identity whose certificate does not verify (400)', async () => {
    const id = await fx.newIdentity();
    const bytes = encodePublicIdentity(id.publicIdentity);
    bytes[bytes.length - 1]! ^= 1;
    const res = await fx.send(id, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: toBase64url(bytes), registrationCode: await fx.mintCode() }) });
    expect(res.status).toBe(400);
    expect(await fx.store.getAccount(id.publicIdentity.signingKey)).toBeUndefined();
  });

  it('refuses an unsigned registration (401)', async () => {
    const id = await fx.newIdentity();
    const res = await fx.send(id, 'POST', '/v1/accounts/therapist', { unsigned: true, body: JSON.stringify({ identity: identityB64(id), registrationCode: await fx.mintCode() }) });
    expect(res.status).toBe(401);
  });
});

describe('POST /v1/accounts/client', () => {
  it('creates a client account with an invite secret whose hash a therapist stored', async () => {
    const therapist = await fx.therapist();
    const client = await fx.client(therapist);
    expect((await fx.store.getAccount(client.publicIdentity.signingKey))?.kind).toBe('client');
  });

  it('refuses an invite used twice, unknown or expired with 403, creating nothing', async () => {
    const therapist = await fx.therapist();
    const secret = randomBytes(32);
    expect((await fx.send(therapist, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: toBase64url(sha256(secret)) }) })).status).toBe(201);
    const a = await fx.newIdentity();
    expect((await fx.send(a, 'POST', '/v1/accounts/client', { body: JSON.stringify({ identity: identityB64(a), invite: toBase64url(secret) }) })).status).toBe(201);
    const before = fx.counts();
    for (const invite of [secret, randomBytes(32)]) {
      const b = await fx.newIdentity();
      const res = await fx.send(b, 'POST', '/v1/accounts/client', { body: JSON.stringify({ identity: identityB64(b), invite: toBase64url(invite) }) });
      expect(res.status).toBe(403);
    }
    const late = randomBytes(32);
    expect((await fx.send(therapist, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: toBase64url(sha256(late)) }) })).status).toBe(201);
    fx.now += 7 * 24 * 60 * 60 * 1000;
    const c = await fx.newIdentity();
    const res = await fx.send(c, 'POST', '/v1/accounts/client', { body: JSON.stringify({ identity: identityB64(c), invite: toBase64url(late) }) });
    expect(res.status).toBe(403);
    expect(fx.counts()).toEqual({ ...before, invites: before['invites']! + 1 });
  });

  it('answers an existing account with 409', async () => {
    const therapist = await fx.therapist();
    const secret = randomBytes(32);
    await fx.send(therapist, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: toBase64url(sha256(secret)) }) });
    const res = await fx.send(therapist, 'POST', '/v1/accounts/client', { body: JSON.stringify({ identity: identityB64(therapist), invite: toBase64url(secret) }) });
    expect(res.status).toBe(409);
  });
});

describe('registration and the nonce table', () => {
  /** Nonce rows now, read by sweeping them all (the store has no other count; it clears them). */
  const sweptNonces = async () => (await fx.store.sweep(Number.MAX_SAFE_INTEGER)).nonces;

  it('remembers no nonce for a refused registration (unknown code, unknown invite, existing account)', async () => {
    const therapist = await fx.therapist();
    await sweptNonces();
    const before = fx.counts();
    const a = await fx.newIdentity();
    const b = await fx.newIdentity();
    expect((await fx.send(a, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(a), registrationCode: toBase64url(randomBytes(32)) }) })).status).toBe(403);
    expect((await fx.send(b, 'POST', '/v1/accounts/client', { body: JSON.stringify({ identity: identityB64(b), invite: toBase64url(randomBytes(32)) }) })).status).toBe(403);
    expect((await fx.send(therapist, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(therapist), registrationCode: toBase64url(randomBytes(32)) }) })).status).toBe(409);
    expect(fx.counts()).toEqual(before);
    expect(await sweptNonces()).toBe(0);
  });

  it('remembers the nonce of a registration that succeeded: the same request again is 401, not 409', async () => {
    const id = await fx.newIdentity();
    const path = '/v1/accounts/therapist';
    const body = JSON.stringify({ identity: identityB64(id), registrationCode: await fx.mintCode() });
    const headers = { 'content-type': 'application/json', ...(await signRequest(id, { method: 'POST', path, body: new TextEncoder().encode(body) }, { now: fx.now })) };
    expect((await fx.app.request(path, { method: 'POST', headers, body })).status).toBe(201);
    const again = await fx.app.request(path, { method: 'POST', headers, body });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/replay/i);
  });

  it('lets a refused registration be replayed: it does only what its signer signed, once', async () => {
    // Why no nonce is needed before success: a replay carries the same identity and code, and
    // the account check comes first, so it can only create that account, at most once.
    const id = await fx.newIdentity();
    const code = randomBytes(32);
    const path = '/v1/accounts/therapist';
    const body = JSON.stringify({ identity: identityB64(id), registrationCode: toBase64url(code) });
    const headers = { 'content-type': 'application/json', ...(await signRequest(id, { method: 'POST', path, body: new TextEncoder().encode(body) }, { now: fx.now })) };
    expect((await fx.app.request(path, { method: 'POST', headers, body })).status).toBe(403);
    await fx.store.addRegistrationCode(sha256(code), fx.now, fx.now + 60_000);
    expect((await fx.app.request(path, { method: 'POST', headers, body })).status).toBe(201);
    expect((await fx.app.request(path, { method: 'POST', headers, body })).status).toBe(401);
    expect((await fx.store.getAccount(id.publicIdentity.signingKey))?.kind).toBe('therapist');
  });
});
