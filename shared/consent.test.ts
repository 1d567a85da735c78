/**
 * Consent statements (consent.ts, PROTOCOL.md §9.2): the canonical bytes, a frozen signature,
 * and that changing anything the signature covers (any byte of the message or the signature,
 * the version, the text, the therapist, the time, the action, the signer) fails verification.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from './_bytes.ts';
import { checkConsent, consentMessage, consentTextDigest, signConsent, verifyConsent, type ConsentStatement } from './consent.ts';
import { MAX_CONSENT_VERSION } from './consts.ts';
import { toHex } from './encoding.ts';
import { ConfidantError } from './errors.ts';
import { deriveIdentity, generateRootSecret } from './keys.ts';
import { getProvider } from './provider.ts';

const client = await deriveIdentity(new Uint8Array(32).fill(7));
const therapist = await deriveIdentity(new Uint8Array(32).fill(9));
const TEXT = 'Messaging with your therapist\n\n• Not for emergencies.';

const statement = (over: Partial<ConsentStatement> = {}): ConsentStatement => ({
  action: 'accept',
  version: 2,
  digest: consentTextDigest(TEXT),
  therapist: therapist.publicIdentity.signingKey,
  at: 1_764_000_000_000,
  ...over,
});

const flip = (b: Uint8Array, i: number): Uint8Array => {
  const out = b.slice();
  out[i] = out[i]! ^ 1;
  return out;
};

describe('consentMessage', () => {
  it('is label || 0x00 || version (u32) || digest || therapist key || at (u64), big-endian', () => {
    const m = consentMessage(statement());
    const label = utf8.encode('Confidant v1 consent accept');
    expect(m.length).toBe(label.length + 1 + 4 + 32 + 32 + 8);
    expect(m.subarray(0, label.length)).toEqual(label);
    expect(m[label.length]).toBe(0);
    expect(toHex(m.subarray(label.length + 1, label.length + 5))).toBe('00000002');
    expect(m.subarray(label.length + 5, label.length + 37)).toEqual(consentTextDigest(TEXT));
    expect(m.subarray(label.length + 37, label.length + 69)).toEqual(therapist.publicIdentity.signingKey);
    expect(toHex(m.subarray(label.length + 69))).toBe((1_764_000_000_000).toString(16).padStart(16, '0'));
  });

  it('a withdrawal has its own label, so an acceptance is never a withdrawal', () => {
    const accept = consentMessage(statement());
    const withdraw = consentMessage(statement({ action: 'withdraw' }));
    expect(utf8.decode(withdraw.subarray(0, withdraw.indexOf(0)))).toBe('Confidant v1 consent withdraw');
    expect(withdraw).not.toEqual(accept);
  });

  it('refuses a version, time, length or action out of range with invalid_argument', () => {
    for (const bad of [
      { version: 0 },
      { version: 1.5 },
      { version: MAX_CONSENT_VERSION + 1 },
      { at: -1 },
      { at: Number.NaN },
      { digest: new Uint8Array(31) },
      { therapist: new Uint8Array(33) },
      { action: 'offer' as never },
    ]) {
      expect(() => consentMessage(statement(bad)), JSON.stringify(Object.keys(bad))).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
    expect(consentMessage(statement({ version: MAX_CONSENT_VERSION })).length).toBeGreaterThan(0);
  });
});

describe('signConsent / verifyConsent', () => {
  it('a frozen vector: the client of root secret 07…07 accepting version 2 for the therapist of 09…09', async () => {
    const signature = await signConsent(client, statement());
    // Ed25519 is deterministic (RFC 8032 §5.1.6): these bytes change only if the statement's layout does.
    expect(toHex(signature)).toMatchInlineSnapshot(`"6f312cacf6509ff38f632d7c6fa33f95371cc90475bdfb3e8a4e3b85c648abecd6c358c0f6d97483d06bf6c82a9d987cee70c972961dedbc2f539beeadb15a04"`);
    expect(await verifyConsent(client.publicIdentity.signingKey, statement(), signature)).toBe(true);
  });

  it('flipping any byte of the signed message or of the signature fails verification', async () => {
    const s = statement();
    const signature = await signConsent(client, s);
    const message = consentMessage(s);
    const provider = await getProvider();
    for (let i = 0; i < message.length; i++) expect(await provider.ed25519Verify(client.publicIdentity.signingKey, flip(message, i), signature), `message byte ${i}`).toBe(false);
    for (let i = 0; i < signature.length; i++) expect(await verifyConsent(client.publicIdentity.signingKey, s, flip(signature, i)), `signature byte ${i}`).toBe(false);
  });

  it('is bound to the version, the exact text, the therapist, the time, the action and the signer', async () => {
    const signature = await signConsent(client, statement());
    const other = await deriveIdentity(generateRootSecret());
    const key = client.publicIdentity.signingKey;
    expect(await verifyConsent(key, statement({ version: 3 }), signature)).toBe(false);
    expect(await verifyConsent(key, statement({ digest: consentTextDigest(`${TEXT} `) }), signature)).toBe(false);
    expect(await verifyConsent(key, statement({ therapist: other.publicIdentity.signingKey }), signature)).toBe(false);
    expect(await verifyConsent(key, statement({ at: statement().at + 1 }), signature)).toBe(false);
    expect(await verifyConsent(key, statement({ action: 'withdraw' }), signature)).toBe(false);
    expect(await verifyConsent(other.publicIdentity.signingKey, statement(), signature)).toBe(false);
  });

  it('checkConsent throws bad_signature for a statement that does not verify, and passes one that does', async () => {
    const signature = await signConsent(client, statement());
    await expect(checkConsent(client.publicIdentity.signingKey, statement(), signature)).resolves.toBeUndefined();
    const thrown = await checkConsent(client.publicIdentity.signingKey, statement({ version: 1 }), signature).catch((e: unknown) => e);
    expect(ConfidantError.is(thrown, 'bad_signature')).toBe(true);
  });

  it('round-trips for any version, text and time (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: MAX_CONSENT_VERSION }), fc.string(), fc.integer({ min: 0, max: 2 ** 48 }), fc.constantFrom('accept', 'withdraw' as const), async (version, text, at, action) => {
        const s = statement({ version, digest: consentTextDigest(text), at, action });
        expect(await verifyConsent(client.publicIdentity.signingKey, s, await signConsent(client, s))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('verifyConsent checks the lengths of the signer and the signature', async () => {
    await expect(verifyConsent(new Uint8Array(31), statement(), new Uint8Array(64))).rejects.toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    await expect(verifyConsent(client.publicIdentity.signingKey, statement(), new Uint8Array(63))).rejects.toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});
