import { describe, expect, it } from 'vitest';
import { deriveIdentity, generateRootSecret } from './keys.ts';
import { generateKemPreKey, generateSignedPreKey, verifySignedPreKey } from './prekeys.ts';

describe('verifySignedPreKey', () => {
  it('accepts the owner signature for the right kind and id only', async () => {
    const id = await deriveIdentity(generateRootSecret());
    const other = await deriveIdentity(generateRootSecret());
    const spk = await generateSignedPreKey(id, 7);
    const kem = await generateKemPreKey(id, 9);
    const spkRow = { id: spk.id, publicKey: spk.keyPair.publicKey, signature: spk.signature };
    const kemRow = { id: kem.id, publicKey: kem.publicKey, signature: kem.signature };
    const key = id.publicIdentity.signingKey;
    expect(await verifySignedPreKey(key, 'signed', spkRow)).toBe(true);
    expect(await verifySignedPreKey(key, 'kem', kemRow)).toBe(true);
    expect(await verifySignedPreKey(key, 'signed', { ...spkRow, id: 8 })).toBe(false);
    expect(await verifySignedPreKey(other.publicIdentity.signingKey, 'signed', spkRow)).toBe(false);
    const flipped = spkRow.publicKey.slice();
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(await verifySignedPreKey(key, 'signed', { ...spkRow, publicKey: flipped })).toBe(false);
    // A KEM signature is never accepted as a signed-prekey one (labels differ); lengths are checked.
    await expect(verifySignedPreKey(key, 'signed', kemRow)).rejects.toThrow(/publicKey/);
  });
});
