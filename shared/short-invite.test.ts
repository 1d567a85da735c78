import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_CONSENT_TEXT, MAX_INVITE_BODY, MAX_INVITE_JSON } from './consts.ts';
import { fromHex, toBase64url } from './encoding.ts';
import { ConfidantError } from './errors.ts';
import { encodeInvite, type Invite } from './invite.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret } from './keys.ts';
import { paddedLength } from './padding.ts';
import { randomBytes } from './provider.ts';
import { openInvite, parseShortInvite, readInviteLink, sealInvite, shortInviteKeys } from './short-invite.ts';
import { computeShortInviteVectors, vectorInvite } from './vectors/short-invite.ts';

const vectorsFile = new URL('./vectors/short-invite-v2.json', import.meta.url);
// Regenerate only on purpose: a changed file is a wire-format change (PROTOCOL.md §14, vectors/README.md).
if (process.env.UPDATE_VECTORS === '1') writeFileSync(vectorsFile, JSON.stringify(await computeShortInviteVectors(), null, 2) + '\n');
const vectors = JSON.parse(readFileSync(vectorsFile, 'utf8')) as Record<string, string>;

const therapist = (await deriveIdentity(generateRootSecret())).publicIdentity;

const invite = (over: Partial<Invite> = {}): Invite => ({
  therapist,
  mailboxId: randomBytes(16),
  capability: randomBytes(32),
  secret: randomBytes(32),
  practiceName: 'Harbour Counselling — Dr. Åsa Lind',
  consentText: 'I understand that messages here are not monitored around the clock. '.repeat(20),
  emergencyNotice: 'In an emergency call 112 or go to the nearest emergency department.',
  expiresAt: 1_800_000_000_000,
  ...over,
});

const code = async (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> => {
  try {
    await (typeof p === 'function' ? p() : p);
    return undefined;
  } catch (e) {
    return e instanceof ConfidantError ? e.code : `not a ConfidantError: ${String(e)}`;
  }
};

describe('short invites (link version 2)', () => {
  it('round-trips every field through the relay-stored body', async () => {
    const original = invite();
    const sealed = sealInvite(original);
    const keys = parseShortInvite(sealed.encoded);
    expect(keys.id).toEqual(sealed.id);
    expect(await openInvite(keys, sealed.body)).toEqual(original);
  });

  it('makes a link of 44 characters after #/join/, under 100 with an origin', () => {
    const { encoded } = sealInvite(invite());
    expect(encoded).toMatch(/^2[A-Za-z0-9_-]{43}$/);
    expect(`https://confidant.example-practice.org/#/join/${encoded}`.length).toBeLessThan(100);
  });

  it('pads the body to a §7 bucket, so its size says little about the consent text', () => {
    const a = sealInvite(invite({ consentText: 'x'.repeat(1100) }));
    const b = sealInvite(invite({ consentText: 'x'.repeat(1120) }));
    expect(a.body.length).toBe(b.body.length);
    expect(a.body.length - 16).toBe(paddedLength(a.body.length - 16 - 1));
  });

  it('derives a fresh id and key for every invite: the id alone does not open the body', () => {
    const one = sealInvite(invite());
    const two = sealInvite(invite());
    expect(one.id).not.toEqual(two.id);
    expect(one.encoded).not.toEqual(two.encoded);
  });

  it('refuses a body with any byte changed, another link\'s key, or another id as bad_mac', async () => {
    const sealed = sealInvite(invite());
    const keys = parseShortInvite(sealed.encoded);
    for (const at of [0, 17, sealed.body.length - 1]) {
      const tampered = sealed.body.slice();
      tampered[at]! ^= 1;
      expect(await code(openInvite(keys, tampered))).toBe('bad_mac');
    }
    const other = parseShortInvite(sealInvite(invite()).encoded);
    expect(await code(openInvite(other, sealed.body))).toBe('bad_mac');
    expect(await code(openInvite({ ...keys, id: other.id }, sealed.body))).toBe('bad_mac');
    expect(await code(openInvite(keys, sealed.body.slice(0, 10)))).toBe('bad_mac');
    expect(await code(openInvite(keys, sealed.body.slice(0, -1)))).toBe('bad_mac');
  });

  it('refuses an oversize body before decrypting, and an invite whose JSON is over the limit when sealing', async () => {
    const keys = parseShortInvite(sealInvite(invite()).encoded);
    expect(await code(openInvite(keys, new Uint8Array(MAX_INVITE_BODY + 1)))).toBe('too_large');
    // 8000 characters of three UTF-8 bytes each: within the schema, over MAX_INVITE_JSON bytes.
    expect(await code(() => sealInvite(invite({ consentText: '€'.repeat(MAX_CONSENT_TEXT) })))).toBe('too_large');
    expect(await code(() => sealInvite(invite({ practiceName: '' })))).toBe('schema');
    // The largest body that seals is within MAX_INVITE_BODY.
    const big = sealInvite(invite({ consentText: 'a'.repeat(MAX_CONSENT_TEXT) }));
    expect(big.body.length).toBeLessThanOrEqual(MAX_INVITE_BODY);
    expect(MAX_INVITE_BODY).toBe(paddedLength(MAX_INVITE_JSON) + 16);
  });

  it('refuses a sealed body whose JSON breaks the schema or whose identity does not verify, as malformed', async () => {
    const secret = randomBytes(32);
    const keys = shortInviteKeys(secret);
    const sealRaw = (json: unknown) => {
      const bytes = new TextEncoder().encode(JSON.stringify(json));
      const padded = new Uint8Array(paddedLength(bytes.length));
      padded.set(bytes);
      padded[bytes.length] = 0x80;
      return chacha20poly1305(keys.key, keys.nonce, keys.id).encrypt(padded);
    };
    const good = JSON.parse(vectors.inviteJson!) as Record<string, unknown>;
    const identity = fromHex(vectors.therapistIdentity!);
    expect(await code(openInvite(keys, sealRaw(good)))).toBeUndefined();
    identity[40]! ^= 1;
    expect(await code(openInvite(keys, sealRaw({ ...good, therapist: toBase64url(identity) })))).toBe('malformed');
    expect(await code(openInvite(keys, sealRaw({ ...good, extra: 1 })))).toBe('malformed');
    expect(await code(openInvite(keys, sealRaw({ ...good, capability: toBase64url(randomBytes(31)) })))).toBe('malformed');
    expect(await code(openInvite(keys, chacha20poly1305(keys.key, keys.nonce, keys.id).encrypt(new Uint8Array(300))))).toBe('malformed');
  });

  it('says which is which: not an invite, a damaged short link, a later version', async () => {
    const { encoded } = sealInvite(invite());
    expect(await code(readInviteLink(''))).toBe('malformed');
    expect(await code(readInviteLink('hello'))).toBe('malformed');
    expect(await code(readInviteLink(encoded.slice(0, -1)))).toBe('malformed');
    expect(await code(readInviteLink(`${encoded}A`))).toBe('malformed');
    expect(await code(readInviteLink(`2${'!'.repeat(43)}`))).toBe('malformed');
    expect(await code(readInviteLink(`3${encoded.slice(1)}`))).toBe('unsupported_version');
    const read = await readInviteLink(` ${encoded} `);
    expect(read.version === 2 && read.keys.id).toEqual(parseShortInvite(encoded).id);
  });

  it('still reads a version 1 link (the whole invite in the fragment)', async () => {
    const original = invite();
    expect(await readInviteLink(await encodeInvite(original))).toEqual({ version: 1, invite: original });
  });

  it('checks its inputs', async () => {
    expect(await code(() => shortInviteKeys(new Uint8Array(31)))).toBe('invalid_argument');
    expect(await code(() => sealInvite(invite(), new Uint8Array(33)))).toBe('invalid_argument');
  });
});

describe('known-answer vector (vectors/short-invite-v2.json)', () => {
  it('is what the code computes now', async () => {
    expect(await computeShortInviteVectors()).toEqual(vectors);
  });

  it('re-derives from the description in PROTOCOL.md §14 with noble directly', async () => {
    const s = fromHex(vectors.linkSecret!);
    expect(vectors.encoded).toBe(`2${toBase64url(s)}`);
    const okm = hkdf(sha256, s, undefined, new TextEncoder().encode('Confidant invite v2'), 60);
    expect(okm.slice(0, 16)).toEqual(fromHex(vectors.id!));
    expect(okm.slice(16, 48)).toEqual(fromHex(vectors.key!));
    expect(okm.slice(48)).toEqual(fromHex(vectors.nonce!));
    const padded = chacha20poly1305(okm.slice(16, 48), okm.slice(48), okm.slice(0, 16)).decrypt(fromHex(vectors.body!));
    const json = new TextEncoder().encode(vectors.inviteJson!);
    expect(padded.length).toBe(paddedLength(json.length));
    expect(padded.slice(0, json.length)).toEqual(json);
    expect(padded[json.length]).toBe(0x80);
    expect(padded.slice(json.length + 1).every((b) => b === 0)).toBe(true);
  });

  it('opens to the fixed invite', async () => {
    const opened = await openInvite(parseShortInvite(vectors.encoded!), fromHex(vectors.body!));
    const expected = await vectorInvite();
    expect(opened).toEqual(expected);
    expect(encodePublicIdentity(opened.therapist)).toEqual(fromHex(vectors.therapistIdentity!));
  });
});
