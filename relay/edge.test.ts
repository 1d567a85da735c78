/**
 * The relay's edge over real sockets (issue 9): a real listening relay (relay/server.ts, as
 * start.ts runs it) and raw HTTP/1.1 bytes, so request targets reach it unnormalised and a
 * request can stop after its head. Blob uploads declared over the limit (item 4), huge headers
 * (item 6) and non-canonical paths (item 7). The refusals here come before any storage, so
 * this file runs on SQLite only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { toBase64url } from '../shared/encoding.ts';
import type { Identity } from '../shared/keys.ts';
import { signRequest } from '../shared/request-auth.ts';
import { DEFAULT_BLOB_MAX_BYTES, MAX_HEADER_BYTES } from './limits.ts';
import { appFixture } from './testing/app-fixture.ts';
import { useAppFixture } from './testing/use-app-fixture.ts';
import { listenRelay, rawExchange, type ListeningRelay, type RawResponse } from './testing/raw-http.ts';

let relay: ListeningRelay;
let alice: Identity;
const fx = useAppFixture({}, async (fx) => {
  alice = await fx.therapist();
  relay = await listenRelay(fx.app);
});
afterAll(async () => relay?.close());

const errorOf = (res: RawResponse): { code: string; message: string } => (JSON.parse(res.body) as { error: { code: string; message: string } }).error;

/** Signature headers as `Name: value` lines. */
const signedLines = async (who: Identity, method: string, path: string, body: Uint8Array = new Uint8Array(0)): Promise<string[]> =>
  Object.entries(await signRequest(who, { method, path, body }, { now: fx.now })).map(([k, v]) => `${k}: ${v}`);

describe('POST /v1/blobs declared over the limit (item 4)', () => {
  it('answers 413 too_large from the head alone, before any body byte, and closes the connection', async () => {
    const res = await rawExchange(relay.port, [
      'POST /v1/blobs HTTP/1.1',
      'Host: relay.test',
      'Content-Type: application/octet-stream',
      `Content-Length: ${DEFAULT_BLOB_MAX_BYTES + 1}`,
      ...(await signedLines(alice, 'POST', '/v1/blobs')),
    ]);
    expect(res.status).toBe(413);
    expect(errorOf(res).code).toBe('too_large');
    expect(res.headers['cache-control']).toBe('no-store');
    // The client is told not to send the body, and the server lets go without waiting for it.
    expect(res.headers['connection']).toBe('close');
    await res.closed;
    expect(fx.counts()['blobs']).toBe(0);
  });

  it('still takes a declared length of exactly the limit as an upload in progress (no early answer)', async () => {
    const small = await appFixture({ deps: { blobMaxBytes: 1000 } });
    const served = await listenRelay(small.app);
    try {
      const owner = await small.therapist();
      const head = ['POST /v1/blobs HTTP/1.1', 'Host: relay.test', 'Content-Type: application/octet-stream', 'Content-Length: 1000', ...(await signedLines(owner, 'POST', '/v1/blobs'))];
      const res = await rawExchange(served.port, head, randomBytes(1000));
      expect(res.status).toBe(201);
      res.socket.destroy();
    } finally {
      await served.close();
      await small.close();
    }
  });
});

describe('request headers over the limit (item 6)', () => {
  it('answers a 1 MB header with 431 headers_too_large in the JSON error shape, not a reset', async () => {
    const res = await rawExchange(relay.port, ['GET /v1/prekeys/count HTTP/1.1', 'Host: relay.test', `X-Padding: ${'a'.repeat(1024 * 1024)}`]);
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'headers_too_large', message: expect.any(String) } });
    expect(res.body).not.toContain('aaaa');
    await res.closed;
  });

  it('serves a request whose head is just under MAX_HEADER_BYTES', async () => {
    const signed = await signedLines(alice, 'GET', '/v1/prekeys/count');
    const base = ['GET /v1/prekeys/count HTTP/1.1', 'Host: relay.test', 'Connection: close', ...signed];
    const used = `${base.join('\r\n')}\r\nX-Padding: \r\n\r\n`.length;
    const res = await rawExchange(relay.port, [...base, `X-Padding: ${'a'.repeat(MAX_HEADER_BYTES - used - 64)}`]);
    expect(res.status).toBe(200);
  });

  it('answers a malformed request line with 400 in the JSON error shape', async () => {
    const res = await rawExchange(relay.port, 'GARBAGE\r\n\r\n');
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('bad_request');
  });
});

describe('non-canonical request paths (item 7)', () => {
  const TARGETS = [
    '/v1/%2E/prekeys/count',
    '/v1/%2e%2E/v1/prekeys/count',
    '/v1/x/../prekeys/count',
    '/v1/./prekeys/count',
    '/v1/prekeys/count/.',
    '/v1/x/%2e%2e/prekeys/count',
    '/v1/x/.%2E/prekeys/count',
    '/v1/prekeys%2Fcount',
    '/v1/prekeys%2fcount',
    '/v1/prekeys%5Ccount',
    '/v1//prekeys/count',
    '//v1/prekeys/count',
    '/healthz/../healthz',
    'http://relay.test/v1/x/../prekeys/count',
  ];

  it('refuses dot segments, encoded dots, slashes and backslashes, and empty segments with 400 before auth', async () => {
    for (const target of TARGETS) {
      // Signed for the path the target normalises to: the signature would verify.
      const res = await rawExchange(relay.port, [`GET ${target} HTTP/1.1`, 'Host: relay.test', 'Connection: close', ...(await signedLines(alice, 'GET', '/v1/prekeys/count'))]);
      expect(res.status, target).toBe(400);
      expect(errorOf(res).code, target).toBe('bad_request');
      expect(res.headers['cache-control'], target).toBe('no-store');
    }
  });

  it('refuses a signed POST /v1/mailboxes sent as /v1/x/../mailboxes: nothing created, the nonce left unused', async () => {
    const mailboxId = toBase64url(randomBytes(16));
    const body = new TextEncoder().encode(JSON.stringify({ mailboxId }));
    const signed = await signedLines(alice, 'POST', '/v1/mailboxes', body);
    const head = (target: string) => [`POST ${target} HTTP/1.1`, 'Host: relay.test', 'Connection: close', 'Content-Type: application/json', `Content-Length: ${body.length}`, ...signed];
    const before = fx.counts()['mailboxes'];
    for (const target of ['/v1/x/../mailboxes', '/v1/%2E/mailboxes', '/v1/%2e%2e/v1/mailboxes']) {
      const res = await rawExchange(relay.port, head(target), body);
      expect(res.status, target).toBe(400);
    }
    expect(fx.counts()['mailboxes']).toBe(before);
    // The same signed bytes at the canonical path: the refusals consumed nothing.
    const ok = await rawExchange(relay.port, head('/v1/mailboxes'), body);
    expect(ok.status).toBe(201);
  });

  it('serves canonical paths as before', async () => {
    const res = await rawExchange(relay.port, ['GET /v1/prekeys/count HTTP/1.1', 'Host: relay.test', 'Connection: close', ...(await signedLines(alice, 'GET', '/v1/prekeys/count'))]);
    expect(res.status).toBe(200);
    const health = await rawExchange(relay.port, ['GET /healthz HTTP/1.1', 'Host: relay.test', 'Connection: close']);
    expect(health.status).toBe(200);
  });
});
