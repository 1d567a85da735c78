import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from './_bytes.ts';
import { fromBase64url, toBase64url } from './encoding.ts';
import { ConfidantError } from './errors.ts';
import { MAX_CONSENT_TEXT, MAX_INVITE_JSON } from './consts.ts';
import { decodeInvite, encodeInvite, isInviteExpired, type Invite } from './invite.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret } from './keys.ts';
import { randomBytes } from './provider.ts';

const therapist = (await deriveIdentity(generateRootSecret())).publicIdentity;

const CONSENT = `I understand that messages here are not monitored around the clock and that my therapist
replies within two working days. I will not use messages for emergencies. Messages are part of my
clinical record and are kept as the law requires. I can withdraw this consent at any time.`;

const invite = (over: Partial<Invite> = {}): Invite => ({
  therapist,
  mailboxId: randomBytes(16),
  capability: randomBytes(32),
  secret: randomBytes(32),
  practiceName: 'Harbour Counselling — Dr. Åsa Lind',
  consentText: CONSENT,
  emergencyNotice: 'Not monitored around the clock. In an emergency call 112 or go to the nearest emergency department.',
  expiresAt: 1_800_000_000_000,
  ...over,
});

const deflate = async (bytes: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer());

const code = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e instanceof ConfidantError ? e.code : `not a ConfidantError: ${String(e)}`;
  }
};

describe('invites', () => {
  it('round-trips every field, and the therapist identity keeps its verified certificate', async () => {
    const original = invite();
    const decoded = await decodeInvite(await encodeInvite(original));
    expect(decoded).toEqual(original);
    expect(encodePublicIdentity(decoded.therapist)).toEqual(encodePublicIdentity(therapist));
  });

  it('stays small enough for a scannable QR code with a realistic consent text', async () => {
    const encoded = await encodeInvite(invite());
    // A version-40 QR code in byte mode at error correction level L holds 2,953 bytes; the
    // link adds its origin and "/#/join/".
    expect(encoded.length).toBeLessThan(1_500);
    expect(encoded).toMatch(/^1[A-Za-z0-9_-]+$/);
  });

  it('round-trips arbitrary texts within the limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 80 }),
        fc.string({ minLength: 1, maxLength: 2000, unit: 'grapheme' }),
        fc.string({ minLength: 1, maxLength: 600 }),
        fc.integer({ min: 0, max: 8.64e15 }),
        async (practiceName, consentText, emergencyNotice, expiresAt) => {
          fc.pre([...consentText].length <= MAX_CONSENT_TEXT && consentText.length <= MAX_CONSENT_TEXT);
          const original = invite({ practiceName, consentText, emergencyNotice, expiresAt });
          expect(await decodeInvite(await encodeInvite(original))).toEqual(original);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses texts over the limits when encoding', async () => {
    expect(await code(encodeInvite(invite({ practiceName: '' })))).toBe('schema');
    expect(await code(encodeInvite(invite({ consentText: 'x'.repeat(MAX_CONSENT_TEXT + 1) })))).toBe('schema');
  });

  it('says which is which: not an invite, a later version, corrupted, tampered fields', async () => {
    const good = await encodeInvite(invite());
    expect(await code(decodeInvite(''))).toBe('malformed');
    expect(await code(decodeInvite('hello'))).toBe('malformed');
    expect(await code(decodeInvite(`2${good.slice(1)}`))).toBe('unsupported_version');
    expect(await code(decodeInvite(`${good.slice(0, -6)}`))).toBe('malformed');
    expect(await code(decodeInvite(`1${'!'.repeat(20)}`))).toBe('malformed');

    const json = JSON.parse(utf8.decode(await new Response(new Blob([fromBase64url(good.slice(1)) as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text().then((t) => utf8.encode(t))));
    const repack = async (o: unknown) => `1${toBase64url(await deflate(utf8.encode(JSON.stringify(o))))}`;
    expect(await decodeInvite(await repack(json))).toEqual(await decodeInvite(good));
    // A flipped bit in the therapist's identity breaks its self-signed certificate.
    const identity = fromBase64url(json.therapist);
    identity[40]! ^= 1;
    expect(await code(decodeInvite(await repack({ ...json, therapist: toBase64url(identity) })))).toBe('malformed');
    expect(await code(decodeInvite(await repack({ ...json, capability: toBase64url(randomBytes(31)) })))).toBe('malformed');
    expect(await code(decodeInvite(await repack({ ...json, extra: 1 })))).toBe('malformed');
    expect(await code(decodeInvite(await repack({ ...json, expiresAt: -1 })))).toBe('malformed');
  });

  it('stops a compressed bomb at the size limit instead of inflating it', async () => {
    const bomb = await deflate(new Uint8Array(64 * MAX_INVITE_JSON).fill(0x20));
    expect(bomb.length).toBeLessThan(2 * MAX_INVITE_JSON);
    expect(await code(decodeInvite(`1${toBase64url(bomb)}`))).toBe('too_large');
  });

  it('tells expiry by the clock given', () => {
    expect(isInviteExpired({ expiresAt: 1000 }, 999)).toBe(false);
    expect(isInviteExpired({ expiresAt: 1000 }, 1000)).toBe(true);
  });
});

describe('invite consent version', () => {
  it('carries the consent text version when given, absent (read as 1) when not, and refuses 0', async () => {
    expect((await decodeInvite(await encodeInvite(invite({ consentVersion: 3 })))).consentVersion).toBe(3);
    expect('consentVersion' in (await decodeInvite(await encodeInvite(invite())))).toBe(false);
    expect(await code(encodeInvite(invite({ consentVersion: 0 })))).toBe('schema');
  });
});
