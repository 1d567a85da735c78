import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { bundleFromJson } from '../../shared/schemas.ts';
import { generateKemPreKey, generateOneTimePreKeys, generateSignedPreKey, verifyBundle } from '../../shared/prekeys.ts';
import { appFixture, type AppFixture } from '../testing/app-fixture.ts';

let fx: AppFixture;
beforeEach(async () => {
  fx = await appFixture();
});
afterEach(async () => fx.close());

const json = async <T>(res: Response) => (await res.json()) as T;

async function signedPreKeyBody(id: Identity, keyId = 1) {
  const spk = await generateSignedPreKey(id, keyId);
  return { id: spk.id, publicKey: toBase64url(spk.keyPair.publicKey), signature: toBase64url(spk.signature) };
}
async function kemPreKeyBody(id: Identity, keyId = 1) {
  const kem = await generateKemPreKey(id, keyId);
  return { id: kem.id, publicKey: toBase64url(kem.publicKey), signature: toBase64url(kem.signature) };
}
async function oneTimeBody(first: number, count: number) {
  const keys = await generateOneTimePreKeys(first, count);
  return { preKeys: keys.map((k) => ({ id: k.id, publicKey: toBase64url(k.keyPair.publicKey) })) };
}

/** Publish a full set for `id`: signed, KEM and `oneTime` one-time prekeys. */
async function publish(id: Identity, oneTime: number) {
  expect((await fx.send(id, 'PUT', '/v1/prekeys/signed', { body: JSON.stringify(await signedPreKeyBody(id)) })).status).toBe(200);
  expect((await fx.send(id, 'PUT', '/v1/prekeys/kem', { body: JSON.stringify(await kemPreKeyBody(id)) })).status).toBe(200);
  for (let first = 0; first < oneTime; first += 100) {
    const res = await fx.send(id, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify(await oneTimeBody(first, Math.min(100, oneTime - first))) });
    expect(res.status).toBe(200);
  }
}

describe('prekey upload', () => {
  it('stores signed, KEM and one-time prekeys and counts them', async () => {
    const t = await fx.therapist();
    const res = await fx.send(t, 'PUT', '/v1/prekeys/signed', { body: JSON.stringify(await signedPreKeyBody(t, 5)) });
    expect(await json(res)).toEqual({ id: 5 });
    expect((await fx.send(t, 'PUT', '/v1/prekeys/kem', { body: JSON.stringify(await kemPreKeyBody(t, 6)) })).status).toBe(200);
    const up = await fx.send(t, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify(await oneTimeBody(0, 100)) });
    expect(await json(up)).toEqual({ count: 100 });
    const again = await fx.send(t, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify(await oneTimeBody(90, 20)) });
    expect(await json(again)).toEqual({ count: 110 });
    expect(await json(await fx.send(t, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 110 });
  });

  it('lets a client publish prekeys too', async () => {
    const c = await fx.client(await fx.therapist());
    await publish(c, 3);
    expect(await json(await fx.send(c, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 3 });
  });

  it('refuses a signed or KEM prekey signed by another key, or for another id, storing nothing', async () => {
    const t = await fx.therapist();
    const other = await fx.newIdentity();
    const before = fx.counts();
    const foreign = await fx.send(t, 'PUT', '/v1/prekeys/signed', { body: JSON.stringify(await signedPreKeyBody(other)) });
    expect(foreign.status).toBe(400);
    expect((await json<{ error: { code: string } }>(foreign)).error.code).toBe('bad_request');
    const wrongId = { ...(await signedPreKeyBody(t, 1)), id: 2 };
    expect((await fx.send(t, 'PUT', '/v1/prekeys/signed', { body: JSON.stringify(wrongId) })).status).toBe(400);
    expect((await fx.send(t, 'PUT', '/v1/prekeys/kem', { body: JSON.stringify(await kemPreKeyBody(other)) })).status).toBe(400);
    expect(fx.counts()).toEqual(before);
  });

  it('refuses more than 100 one-time prekeys in one request, storing nothing', async () => {
    const t = await fx.therapist();
    const before = fx.counts();
    const res = await fx.send(t, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify(await oneTimeBody(0, 101)) });
    expect(res.status).toBe(400);
    expect(fx.counts()).toEqual(before);
  });
});

describe('GET /v1/bundles/:key', () => {
  it('hands out a bundle that verifies, consuming one one-time prekey and reporting how many are left', async () => {
    const t = await fx.therapist();
    const c = await fx.client(t);
    await publish(t, 2);
    const path = `/v1/bundles/${toBase64url(t.publicIdentity.signingKey)}`;
    const first = await json<Record<string, unknown>>(await fx.send(c, 'GET', path));
    expect(first['oneTimePreKeysLeft']).toBe(1);
    const bundle = bundleFromJson(first);
    await verifyBundle(bundle, t.publicIdentity);
    expect(bundle.oneTimePreKey).toBeDefined();
    const second = await json<Record<string, unknown>>(await fx.send(c, 'GET', path));
    expect(second['oneTimePreKeysLeft']).toBe(0);
    const third = await json<Record<string, unknown>>(await fx.send(c, 'GET', path));
    expect(third['oneTimePreKey']).toBeUndefined();
    expect(third['oneTimePreKeysLeft']).toBe(0);
    await verifyBundle(bundleFromJson(third), t.publicIdentity);
  });

  it('answers 404 for an unknown key or an account without prekeys, 400 for a malformed key', async () => {
    const t = await fx.therapist();
    const stranger = await fx.newIdentity();
    expect((await fx.send(t, 'GET', `/v1/bundles/${toBase64url(stranger.publicIdentity.signingKey)}`)).status).toBe(404);
    expect((await fx.send(t, 'GET', `/v1/bundles/${toBase64url(t.publicIdentity.signingKey)}`)).status).toBe(404);
    expect((await fx.send(t, 'GET', '/v1/bundles/not-a-key')).status).toBe(400);
  });

  it('never hands the same one-time prekey to concurrent fetches', async () => {
    const t = await fx.therapist();
    const c = await fx.client(t);
    await publish(t, 20);
    const path = `/v1/bundles/${toBase64url(t.publicIdentity.signingKey)}`;
    const answers = await Promise.all(Array.from({ length: 30 }, () => fx.send(c, 'GET', path)));
    const bodies = await Promise.all(answers.map((r) => json<{ oneTimePreKey?: { id: number } }>(r)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const ids = bodies.flatMap((b) => (b.oneTimePreKey ? [b.oneTimePreKey.id] : []));
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(await json(await fx.send(t, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 0 });
  });
});
