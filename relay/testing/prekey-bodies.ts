/**
 * Test helpers: prekey request bodies signed by an identity, and publishing a full set through
 * the real routes.
 * @module
 */
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { generateKemPreKey, generateOneTimePreKeys, generateSignedPreKey } from '../../shared/prekeys.ts';
import type { AppFixture } from './app-fixture.ts';

const expectOk = async (res: Promise<Response>): Promise<void> => {
  const r = await res;
  if (r.status !== 200) throw new Error(`prekey upload answered ${r.status}`);
};

export async function signedPreKeyBody(id: Identity, keyId = 1) {
  const spk = await generateSignedPreKey(id, keyId);
  return { id: spk.id, publicKey: toBase64url(spk.keyPair.publicKey), signature: toBase64url(spk.signature) };
}
export async function kemPreKeyBody(id: Identity, keyId = 1) {
  const kem = await generateKemPreKey(id, keyId);
  return { id: kem.id, publicKey: toBase64url(kem.publicKey), signature: toBase64url(kem.signature) };
}
export async function oneTimeBody(first: number, count: number) {
  const keys = await generateOneTimePreKeys(first, count);
  return { preKeys: keys.map((k) => ({ id: k.id, publicKey: toBase64url(k.keyPair.publicKey) })) };
}

/** Publish a full set for `id`: signed, KEM and `oneTime` one-time prekeys. */
export async function publish(fx: AppFixture, id: Identity, oneTime: number) {
  await expectOk(fx.send(id, 'PUT', '/v1/prekeys/signed', { body: JSON.stringify(await signedPreKeyBody(id)) }));
  await expectOk(fx.send(id, 'PUT', '/v1/prekeys/kem', { body: JSON.stringify(await kemPreKeyBody(id)) }));
  for (let first = 0; first < oneTime; first += 100) {
    await expectOk(fx.send(id, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify(await oneTimeBody(first, Math.min(100, oneTime - first))) }));
  }
}
