import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfidantError } from './errors.ts';
import { decodePublicIdentity, deriveIdentity, encodePublicIdentity, generateRootSecret, identitiesEqual, phraseToRootSecret, rootSecretToPhrase, verifyPublicIdentity } from './keys.ts';
import { detectProvider, nobleProvider } from './provider.ts';

describe('identity from a root secret', () => {
  it('a 24-word phrase round-trips to the same root secret and the same keys', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (root) => {
        const phrase = rootSecretToPhrase(root);
        expect(phrase.split(' ')).toHaveLength(24);
        const back = phraseToRootSecret(phrase);
        expect(back).toEqual(root);
        const [a, b] = await Promise.all([deriveIdentity(root), deriveIdentity(back)]);
        expect(identitiesEqual(a.publicIdentity, b.publicIdentity)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('tolerates case and spacing a person types, but not a wrong word or checksum', () => {
    const root = generateRootSecret();
    const phrase = rootSecretToPhrase(root);
    expect(phraseToRootSecret(`  ${phrase.toUpperCase().split(' ').join('   ')}\n`)).toEqual(root);
    const words = phrase.split(' ');
    const swapped = [...words.slice(0, 23), words[23] === 'abandon' ? 'ability' : 'abandon'].join(' ');
    expect(() => phraseToRootSecret(swapped)).toThrow(ConfidantError);
    expect(() => phraseToRootSecret(words.slice(0, 12).join(' '))).toThrow(/24 words/);
    expect(() => phraseToRootSecret([...words.slice(0, 23), 'notaword'].join(' '))).toThrow(ConfidantError);
  });

  it('derives identical keys with WebCrypto and noble', async () => {
    const root = generateRootSecret();
    const [native, noble] = await Promise.all([deriveIdentity(root, await detectProvider()), deriveIdentity(root, nobleProvider)]);
    expect(encodePublicIdentity(native.publicIdentity)).toEqual(encodePublicIdentity(noble.publicIdentity));
    expect(native.signing.secretKey).toEqual(noble.signing.secretKey);
  });

  it('signing and agreement keys are independent (domain-separated labels)', async () => {
    const id = await deriveIdentity(generateRootSecret());
    expect(id.signing.secretKey).not.toEqual(id.agreement.secretKey);
  });

  it('rejects root secrets of the wrong length', async () => {
    await expect(deriveIdentity(new Uint8Array(31))).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(() => rootSecretToPhrase(new Uint8Array(16))).toThrow(/32 bytes/);
  });
});

describe('public identity certificate', () => {
  it('round-trips through its encoding and verifies', async () => {
    const id = (await deriveIdentity(generateRootSecret())).publicIdentity;
    const decoded = decodePublicIdentity(encodePublicIdentity(id));
    expect(identitiesEqual(decoded, id)).toBe(true);
    await verifyPublicIdentity(decoded);
  });

  it('rejects a swapped agreement key (identity-key substitution)', async () => {
    const a = (await deriveIdentity(generateRootSecret())).publicIdentity;
    const b = (await deriveIdentity(generateRootSecret())).publicIdentity;
    await expect(verifyPublicIdentity({ ...a, agreementKey: b.agreementKey })).rejects.toMatchObject({ code: 'bad_signature' });
    await expect(verifyPublicIdentity({ ...a, certificate: b.certificate })).rejects.toMatchObject({ code: 'bad_signature' });
  });

  it('rejects truncated, extended and unknown-version encodings', async () => {
    const bytes = encodePublicIdentity((await deriveIdentity(generateRootSecret())).publicIdentity);
    expect(() => decodePublicIdentity(bytes.subarray(0, 128))).toThrow(expect.objectContaining({ code: 'malformed' }));
    const longer = new Uint8Array(130);
    longer.set(bytes);
    expect(() => decodePublicIdentity(longer)).toThrow(expect.objectContaining({ code: 'malformed' }));
    const v2 = bytes.slice();
    v2[0] = 2;
    expect(() => decodePublicIdentity(v2)).toThrow(expect.objectContaining({ code: 'unsupported_version' }));
  });
});
