/**
 * PostgreSQL-specific route behaviour: a code used twice, a duplicate invite (the store's
 * `exists` becomes 409, never a 500) and concurrent bundle fetches over pooled
 * connections. Runs in the `postgres` project only (vitest.config.ts), where `appFixture` gives
 * a fresh database in the run's cluster; every other route test file runs on both stores, and
 * the store behaviour itself is the conformance suite's.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import { generateKemPreKey, generateOneTimePreKeys, generateSignedPreKey } from '../../shared/prekeys.ts';
import { appFixture, identityB64, type AppFixture } from '../testing/app-fixture.ts';

let fx: AppFixture;
beforeAll(async () => {
  fx = await appFixture();
  // Structural, not a skip: this file belongs to the postgres project; elsewhere it must fail loudly.
  if (fx.store.kind !== 'postgres') throw new Error(`postgres.test.ts ran on ${fx.store.kind}: it belongs to the postgres project only`);
});
afterAll(async () => fx?.close());

describe('routes on PostgreSQL', () => {
  it('registers a therapist and a client, and refuses a code used twice with 403', async () => {
    const therapist = await fx.therapist();
    const client = await fx.client(therapist);
    expect((await fx.store.getAccount(client.publicIdentity.signingKey))?.kind).toBe('client');
    const code = await fx.mintCode();
    const a = await fx.newIdentity();
    const b = await fx.newIdentity();
    expect((await fx.send(a, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(a), registrationCode: code }) })).status).toBe(201);
    expect((await fx.send(b, 'POST', '/v1/accounts/therapist', { body: JSON.stringify({ identity: identityB64(b), registrationCode: code }) })).status).toBe(403);
    expect(await fx.store.getAccount(b.publicIdentity.signingKey)).toBeUndefined();
  });

  it('answers a duplicate invite hash with 409', async () => {
    const therapist = await fx.therapist();
    const body = JSON.stringify({ inviteHash: toBase64url(randomBytes(32)) });
    expect((await fx.send(therapist, 'POST', '/v1/invites', { body })).status).toBe(201);
    expect((await fx.send(therapist, 'POST', '/v1/invites', { body })).status).toBe(409);
  });

  it('never hands the same one-time prekey to concurrent fetches', async () => {
    const t = await fx.therapist();
    // Seven requesters may take 21 keys in all (3 each, routes/bundles.ts): more than the 20 published.
    const requesters = await Promise.all(Array.from({ length: 7 }, () => fx.client(t)));
    const spk = await generateSignedPreKey(t, 1);
    const kem = await generateKemPreKey(t, 1);
    const put = async (path: string, body: unknown) => expect((await fx.send(t, 'PUT', path, { body: JSON.stringify(body) })).status).toBe(200);
    await put('/v1/prekeys/signed', { id: 1, publicKey: toBase64url(spk.keyPair.publicKey), signature: toBase64url(spk.signature) });
    await put('/v1/prekeys/kem', { id: 1, publicKey: toBase64url(kem.publicKey), signature: toBase64url(kem.signature) });
    const keys = await generateOneTimePreKeys(0, 20);
    const up = await fx.send(t, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify({ preKeys: keys.map((k) => ({ id: k.id, publicKey: toBase64url(k.keyPair.publicKey) })) }) });
    expect(await up.json()).toEqual({ count: 20 });
    const path = `/v1/bundles/${toBase64url(t.publicIdentity.signingKey)}`;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fx.send(requesters[i % 7]!, 'GET', path)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { oneTimePreKey?: { id: number } }[];
    const ids = bodies.flatMap((x) => (x.oneTimePreKey ? [x.oneTimePreKey.id] : []));
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  });
});
