import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64url } from './encoding.ts';
import { MAX_TEXT_LENGTH } from './consts.ts';
import { decodePayload, encodePayload, type Payload } from './payload.ts';

const id = toBase64url(new Uint8Array(16).fill(1));
const key = toBase64url(new Uint8Array(32).fill(2));
const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));

const message: Payload = {
  v: 1,
  type: 'message',
  id,
  sentAt: 1_700_000_000_000,
  text: 'Can we move Tuesday? 🙂 <script>alert(1)</script>',
  urgent: true,
  replyTo: id,
  attachments: [{ blobId: 'AAAAAAAAAAAAAAAAAAAAAA', key, digest: key, size: 5_000_000, name: 'scan.pdf', mime: 'application/pdf' }],
};

describe('payload', () => {
  it('round-trips each kind of payload', () => {
    const receipt: Payload = { v: 1, type: 'receipt', id, sentAt: 1, status: 'read', messageIds: [id] };
    const consent: Payload = { v: 1, type: 'consent', id, sentAt: 1, action: 'accept', documentDigest: key, signature: toBase64url(new Uint8Array(64)) };
    const hello: Payload = { v: 1, type: 'hello', id, sentAt: 1, mailboxId: id, capability: key, inviteHash: key };
    const retry: Payload = { v: 1, type: 'retry', id, sentAt: 1, messageId: id, receivedAt: 2 };
    for (const p of [message, receipt, consent, hello, retry]) expect(decodePayload(encodePayload(p))).toEqual(p);
    expect(() => encodePayload({ ...hello, capability: id } as Payload)).toThrow(/capability/);
  });

  it('keeps attacker-controlled text exactly as text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }), (text) => {
        const p = { ...message, text };
        expect((decodePayload(encodePayload(p)) as typeof message).text).toBe(text);
      }),
    );
  });

  it('drops unknown keys (room to grow) and reports a newer version clearly', () => {
    const withExtra = { ...message, reactions: ['👍'] };
    expect(decodePayload(enc(withExtra))).toEqual(message);
    expect(() => decodePayload(enc({ ...message, v: 2 }))).toThrow(expect.objectContaining({ code: 'unsupported_version' }));
  });

  it('rejects invalid payloads with a schema error naming the field', () => {
    const bad: unknown[] = [
      { ...message, id: 'short' },
      { ...message, text: 'x'.repeat(MAX_TEXT_LENGTH + 1) },
      { ...message, text: undefined, attachments: undefined },
      { ...message, attachments: [{ ...message.attachments![0], key: 'AA' }] },
      { ...message, attachments: [{ ...message.attachments![0], size: -1 }] },
      { ...message, attachments: [{ ...message.attachments![0], mime: 'text/html; charset=<x>' }] },
      { ...message, type: 'shout' },
      { ...message, urgent: 'yes' },
      { v: 1, type: 'receipt', id, sentAt: 1, status: 'read', messageIds: [] },
      { v: 1, type: 'retry', id, sentAt: 1, receivedAt: 2 },
      { v: 1, type: 'retry', id, sentAt: 1, messageId: 'short', receivedAt: 2 },
    ];
    for (const b of bad) expect(() => decodePayload(enc(b))).toThrow(expect.objectContaining({ code: 'schema' }));
    expect(() => decodePayload(enc({ ...message, id: 'short' }))).toThrow(/id/);
  });

  it('rejects bytes that are not UTF-8 JSON', () => {
    for (const b of [Uint8Array.of(0xff, 0xfe), new TextEncoder().encode('{"v":1,'), new Uint8Array(0)]) {
      expect(() => decodePayload(b)).toThrow(expect.objectContaining({ code: 'malformed' }));
    }
    expect(() => decodePayload(enc(null))).toThrow(expect.objectContaining({ code: 'schema' }));
  });

  it('never encodes an invalid payload', () => {
    expect(() => encodePayload({ ...message, sentAt: -5 } as Payload)).toThrow(expect.objectContaining({ code: 'schema' }));
  });
});

describe('consent payload version (PROTOCOL.md §9.2)', () => {
  it('an offer with its version and text round-trips; a version of 0, a fraction or over 2^32 - 1 is schema', () => {
    const offer: Payload = { v: 1, type: 'consent', id, sentAt: 1, action: 'offer', version: 2, document: 'Version two', documentDigest: key };
    expect(decodePayload(encodePayload(offer))).toEqual(offer);
    for (const version of [0, 1.5, 2 ** 32]) expect(() => decodePayload(enc({ ...offer, version }))).toThrow(expect.objectContaining({ code: 'schema' }));
  });
});
