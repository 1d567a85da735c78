import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { LIVE_CHALLENGE_LEN, LIVE_MAX_MAILBOXES } from './consts.ts';
import { toBase64url } from './encoding.ts';
import { AuthFrame, ClientFrame, frameText, LIVE_CLOSE, LIVE_CLOSE_REASON, parseServerFrame, ServerFrame, SubscribeFrame } from './live.ts';

const b = (n: number, fill = 1) => toBase64url(new Uint8Array(n).fill(fill));
const box = b(16);
const auth = { type: 'auth', key: b(32), time: '1800000000000', nonce: b(16), signature: b(64) } as const;

describe('live socket frames', () => {
  it('each frame the relay sends round-trips through frameText and parseServerFrame', () => {
    const frames: ServerFrame[] = [
      { type: 'challenge', nonce: b(LIVE_CHALLENGE_LEN) },
      { type: 'subscribed', mailboxIds: [box, b(16, 2)] },
      { type: 'message', mailboxId: box, seq: 7 },
    ];
    for (const f of frames) expect(parseServerFrame(frameText(f))).toEqual(f);
  });

  it('a device frame is auth or subscribe, with the header text of a signed request', () => {
    expect(v.is(ClientFrame, auth)).toBe(true);
    expect(v.is(ClientFrame, { type: 'subscribe', mailboxIds: [box] })).toBe(true);
    // time is the header's text: a JSON number is refused (docs/API.md).
    expect(v.is(AuthFrame, { ...auth, time: 1800000000000 })).toBe(false);
    expect(v.is(AuthFrame, { ...auth, time: '18e11' })).toBe(false);
    expect(v.is(AuthFrame, { ...auth, time: '1'.repeat(17) })).toBe(false);
    expect(v.is(AuthFrame, { ...auth, key: b(31) })).toBe(false);
    expect(v.is(AuthFrame, { ...auth, signature: undefined })).toBe(false);
    expect(v.is(SubscribeFrame, { type: 'subscribe', mailboxIds: [] })).toBe(false);
    expect(v.is(SubscribeFrame, { type: 'subscribe', mailboxIds: Array.from({ length: LIVE_MAX_MAILBOXES }, () => box) })).toBe(true);
    expect(v.is(SubscribeFrame, { type: 'subscribe', mailboxIds: Array.from({ length: LIVE_MAX_MAILBOXES + 1 }, () => box) })).toBe(false);
    expect(v.is(SubscribeFrame, { type: 'subscribe', mailboxIds: [b(15)] })).toBe(false);
  });

  it('a bad frame from the relay is a typed error: malformed when not JSON text, schema when of another shape', () => {
    const code = (data: unknown): string | undefined => {
      try {
        parseServerFrame(data);
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return undefined;
    };
    expect(code(new ArrayBuffer(4))).toBe('malformed');
    expect(code('{"type":')).toBe('malformed');
    expect(code('null')).toBe('schema');
    expect(code('{"type":"news"}')).toBe('schema');
    expect(code(JSON.stringify(auth))).toBe('schema'); // a device's frame, not the relay's
    expect(code(JSON.stringify({ type: 'challenge', nonce: b(LIVE_CHALLENGE_LEN - 1) }))).toBe('schema');
    expect(code(JSON.stringify({ type: 'challenge', nonce: 5 }))).toBe('schema');
    expect(code(JSON.stringify({ type: 'message', mailboxId: box, seq: -1 }))).toBe('schema');
    expect(code(JSON.stringify({ type: 'message', mailboxId: box, seq: 1.5 }))).toBe('schema');
    expect(code(JSON.stringify({ type: 'message', mailboxId: 'x', seq: 1 }))).toBe('schema');
    expect(code(JSON.stringify({ type: 'subscribed', mailboxIds: box }))).toBe('schema');
  });

  it('close codes: distinct, each given in docs/API.md, each with a generic reason', () => {
    const api = readFileSync(new URL('../docs/API.md', import.meta.url), 'utf8');
    const live = api.slice(api.indexOf('### `GET /v1/live`'), api.indexOf('### `POST /v1/blobs`'));
    const codes = Object.values(LIVE_CLOSE);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, code] of Object.entries(LIVE_CLOSE)) expect(live, name).toMatch(new RegExp(`\\b${code}\\b`));
    // Deployed clients wait after this one instead of reconnecting: it must not change.
    expect(LIVE_CLOSE.too_many).toBe(4429);
    expect(Object.keys(LIVE_CLOSE_REASON).sort()).toEqual(Object.keys(LIVE_CLOSE).sort());
    expect(LIVE_CLOSE_REASON.too_many).toBe('too many sockets');
    // A close reason is at most 123 bytes (RFC 6455 §5.5.1).
    for (const reason of Object.values(LIVE_CLOSE_REASON)) expect(new TextEncoder().encode(reason).length).toBeLessThanOrEqual(123);
  });
});
