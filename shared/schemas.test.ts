import { describe, expect, it } from 'vitest';
import { toBase64url } from './encoding.ts';
import { MemoryProtocolStore } from './memory-store.ts';
import { encodeBundle, decodeBundle, verifyBundle } from './prekeys.ts';
import * as v from 'valibot';
import { b64, bundleFromJson, bundleToJson, BlobStoredJson, ClientRegistrationJson, ErrorResponseJson, InviteCheckedJson, InviteJson, MessagesPageJson, OneTimePreKeysUploadJson, parse, TherapistRegistrationJson } from './schemas.ts';

describe('relay-boundary schemas', () => {
  it('a bundle survives JSON and binary encodings and still verifies', async () => {
    const store = await MemoryProtocolStore.create();
    const bundle = store.bundle();
    const viaJson = bundleFromJson(JSON.parse(JSON.stringify(bundleToJson(bundle))));
    expect(encodeBundle(viaJson)).toEqual(encodeBundle(bundle));
    expect(encodeBundle(decodeBundle(encodeBundle(bundle)))).toEqual(encodeBundle(bundle));
    await verifyBundle(viaJson);
    const noOpk = store.bundle({ oneTimePreKeyId: null });
    expect(encodeBundle(bundleFromJson(bundleToJson(noOpk)))).toEqual(encodeBundle(noOpk));
  });

  it('rejects wrong lengths, padding, non-canonical base64url and out-of-range ids', async () => {
    const json = bundleToJson((await MemoryProtocolStore.create()).bundle());
    const bad: unknown[] = [
      { ...json, identity: json.identity.slice(1) },
      { ...json, identity: json.identity + '=' },
      { ...json, signedPreKey: { ...json.signedPreKey, id: -1 } },
      { ...json, signedPreKey: { ...json.signedPreKey, id: 2 ** 32 } },
      { ...json, signedPreKey: { ...json.signedPreKey, id: 1.5 } },
      { ...json, kemPreKey: { ...json.kemPreKey, publicKey: 'A' } },
      { ...json, signedPreKey: undefined },
      'not an object',
      null,
    ];
    for (const b of bad) expect(() => bundleFromJson(b)).toThrow(expect.objectContaining({ code: 'schema' }));
  });

  it('b64(n) accepts exactly the canonical encoding of n bytes', () => {
    const ok = toBase64url(Uint8Array.of(1, 2, 3, 4));
    expect(parse(b64(4), ok, 'x')).toBe(ok);
    // 'AQIDBA' is canonical; 'AQIDBB' decodes to the same length but has non-zero trailing bits.
    expect(() => parse(b64(4), 'AQIDBB', 'x')).toThrow(expect.objectContaining({ code: 'schema' }));
    expect(() => parse(b64(4), 'AQID+A', 'x')).toThrow(expect.objectContaining({ code: 'schema' }));
  });
});

describe('relay request body schemas', () => {
  const b = (n: number, fill = 1) => toBase64url(new Uint8Array(n).fill(fill));
  it('accept exact shapes and refuse wrong lengths, types and counts', () => {
    const ok = (s: v.GenericSchema, x: unknown) => v.safeParse(s, x).success;
    expect(ok(InviteJson, { inviteHash: b(32) })).toBe(true);
    expect(ok(InviteJson, { inviteHash: b(31) })).toBe(false);
    expect(ok(TherapistRegistrationJson, { identity: b(129), registrationCode: b(32) })).toBe(true);
    expect(ok(TherapistRegistrationJson, { identity: b(128), registrationCode: b(32) })).toBe(false);
    expect(ok(ClientRegistrationJson, { identity: b(129), invite: 5 })).toBe(false);
    const preKey = (id: number) => ({ id, publicKey: b(32) });
    expect(ok(OneTimePreKeysUploadJson, { preKeys: [preKey(1)] })).toBe(true);
    expect(ok(OneTimePreKeysUploadJson, { preKeys: [] })).toBe(false);
    expect(ok(OneTimePreKeysUploadJson, { preKeys: Array.from({ length: 100 }, (_, i) => preKey(i)) })).toBe(true);
    expect(ok(OneTimePreKeysUploadJson, { preKeys: Array.from({ length: 101 }, (_, i) => preKey(i)) })).toBe(false);
    expect(ok(OneTimePreKeysUploadJson, { preKeys: [preKey(-1)] })).toBe(false);
  });
});

describe('relay response schemas', () => {
  const b = (n: number, fill = 1) => toBase64url(new Uint8Array(n).fill(fill));
  const ok = (s: v.GenericSchema, x: unknown) => v.safeParse(s, x).success;
  it("accept the relay's answers as docs/API.md gives them and refuse other shapes", () => {
    const stored = { seq: 3, messageId: b(16), envelope: b(300), receivedAt: 1_800_000_000_000 };
    expect(ok(MessagesPageJson, { messages: [stored], more: false })).toBe(true);
    expect(ok(MessagesPageJson, { messages: [], more: true })).toBe(true);
    expect(ok(MessagesPageJson, { messages: [{ ...stored, seq: -1 }], more: false })).toBe(false);
    expect(ok(MessagesPageJson, { messages: [{ ...stored, messageId: b(15) }], more: false })).toBe(false);
    expect(ok(MessagesPageJson, { messages: [{ ...stored, envelope: 'a+b=' }], more: false })).toBe(false);
    expect(ok(MessagesPageJson, { messages: [stored] })).toBe(false);
    expect(ok(InviteCheckedJson, { valid: true, expiresAt: 1 })).toBe(true);
    expect(ok(InviteCheckedJson, { valid: false, expiresAt: 1 })).toBe(false);
    expect(ok(InviteCheckedJson, { valid: true, expiresAt: 8.64e15 + 1 })).toBe(false);
    expect(ok(BlobStoredJson, { blobId: b(16), size: 4096 })).toBe(true);
    expect(ok(BlobStoredJson, { blobId: '../etc', size: 4096 })).toBe(false);
    expect(ok(BlobStoredJson, { blobId: b(16), size: 1.5 })).toBe(false);
    expect(ok(ErrorResponseJson, { error: { code: 'quota', message: 'Mailbox is full' } })).toBe(true);
    expect(ok(ErrorResponseJson, { error: 'quota' })).toBe(false);
  });
});
