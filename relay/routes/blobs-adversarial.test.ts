/**
 * Refusals around blobs: oversize uploads (declared and chunked without a length), wrong
 * content types, unsigned, badly signed and replayed uploads, path traversal and other
 * malformed ids. Each gets its 4xx and leaves no blob row and no file behind.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import { errorCode as code, expectRefused, useAppFixture } from '../testing/use-app-fixture.ts';
import { blobFiles, upload } from '../testing/blob-helpers.ts';

const MAX = 64 * 1024;
let owner: Identity;
let storedId: string;
const fx = useAppFixture({ deps: { blobMaxBytes: MAX } }, async (fx) => {
  owner = await fx.therapist();
  const res = await upload(fx, owner, new Uint8Array(randomBytes(100)));
  if (res.status !== 201) throw new Error(`setup: upload answered ${res.status}`);
  storedId = ((await res.json()) as { blobId: string }).blobId;
});

/** Run `attempt`, expect `status` and `errorCode`, and no row or file changed. */
const refused = (attempt: () => Response | Promise<Response>, status: number, errorCode: string) =>
  expectRefused(fx, attempt, status, errorCode, async () => [fx.counts(), await blobFiles(fx)]);

describe('oversize uploads', () => {
  it('refuses a declared Content-Length over the limit with 413 before reading', async () => {
    await refused(() => upload(fx, owner, new Uint8Array(MAX + 1)), 413, 'too_large');
  });

  it('refuses a chunked body without a length that grows past the limit: 413, no row, no file', async () => {
    await refused(() => upload(fx, owner, new Uint8Array(randomBytes(3 * MAX)), { chunks: 12 }), 413, 'too_large');
  });

  it('refuses a body larger than its (lying) declared Content-Length past the limit', async () => {
    await refused(() => upload(fx, owner, new Uint8Array(2 * MAX), { contentLength: 10 }), 413, 'too_large');
  });

  it('accepts exactly the limit', async () => {
    const res = await upload(fx, owner, new Uint8Array(MAX), { chunks: 4 });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { size: number }).size).toBe(MAX);
  });
});

describe('an aborted upload', () => {
  it('leaves no complete blob, no row and no file when the client stream fails midway', async () => {
    const rows = fx.counts();
    const files = await blobFiles(fx);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 3) c.enqueue(new Uint8Array(1024));
        else c.error(new Error('client went away'));
      },
    });
    const headers = { 'content-type': 'application/octet-stream', ...(await signRequest(owner, { method: 'POST', path: '/v1/blobs', body: new Uint8Array(0) }, { now: fx.now })) };
    const res = await fx.app.request('/v1/blobs', { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(400);
    expect(await code(res)).toBe('bad_request');
    expect(fx.counts()).toEqual(rows);
    expect(await blobFiles(fx)).toEqual(files);
  });
});

describe('content type and signatures', () => {
  it.each([null, 'application/json', 'text/plain', 'multipart/form-data; boundary=x'])('refuses Content-Type %s with 415', async (type) => {
    await refused(() => upload(fx, owner, new Uint8Array(10), { contentType: type }), 415, 'unsupported_media_type');
  });

  it('refuses an unsigned upload with 401', async () => {
    await refused(() => upload(fx, owner, new Uint8Array(10), { unsigned: true }), 401, 'unauthorized');
  });

  it('refuses an upload signed over another path (the signature binds method and path)', async () => {
    const headers = { 'content-type': 'application/octet-stream', ...(await signRequest(owner, { method: 'POST', path: '/v1/messages', body: new Uint8Array(0) }, { now: fx.now })) };
    await refused(() => fx.app.request('/v1/blobs', { method: 'POST', headers, body: new Uint8Array(10) }), 401, 'unauthorized');
  });

  it('refuses an upload signed over the body digest instead of the empty one', async () => {
    const body = new Uint8Array(10);
    await refused(() => upload(fx, owner, body, { signedBody: body }), 401, 'unauthorized');
  });

  it('refuses a key with no account', async () => {
    await refused(async () => upload(fx, await fx.newIdentity(), new Uint8Array(10)), 401, 'unauthorized');
  });

  it('refuses a replayed upload', async () => {
    const headers = { 'content-type': 'application/octet-stream', ...(await signRequest(owner, { method: 'POST', path: '/v1/blobs', body: new Uint8Array(0) }, { now: fx.now })) };
    expect((await fx.app.request('/v1/blobs', { method: 'POST', headers, body: new Uint8Array(10) })).status).toBe(201);
    await refused(() => fx.app.request('/v1/blobs', { method: 'POST', headers, body: new Uint8Array(10) }), 401, 'unauthorized');
  });
});

describe('malformed and traversal ids', () => {
  const bad = [
    '..%2F..%2Fetc%2Fpasswd',
    '..%2F..%2F..%2F..%2Frelay.sqlite',
    '%2E%2E%2Frelay.sqlite',
    '..',
    'relay.sqlite',
    'AAAAAAAAAAAAAAAAAAAAAA%00',
    'AAAAAAAAAAAAAAAAAAAAA', // 21 characters
    'AAAAAAAAAAAAAAAAAAAAAAA', // 23 characters
    'AAAAAAAAAAAAAAAAAAAAAB', // 22 characters but not canonical (non-zero padding bits)
    '00000000000000000000000000000000', // hex of 16 bytes, the file name form
  ];
  it.each(bad)('GET /v1/blobs/%s is 400 or 404 and reads nothing', async (id) => {
    const res = await fx.app.request(`/v1/blobs/${id}`);
    expect([400, 404]).toContain(res.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it.each(bad)('DELETE /v1/blobs/%s is 400 or 404 and deletes nothing', async (id) => {
    const rows = fx.counts();
    const files = await blobFiles(fx);
    const res = await fx.send(owner, 'DELETE', `/v1/blobs/${id}`);
    expect([400, 404]).toContain(res.status);
    expect(fx.counts()).toEqual(rows);
    expect(await blobFiles(fx)).toEqual(files);
  });

  it('answers 404 (the router) for dot segments the URL parser resolves, serving nothing', async () => {
    for (const path of ['/v1/blobs/../../etc/passwd', '/v1/blobs/./x/../..', '/v1/blobs/a/b']) {
      const res = await fx.app.request(path);
      expect(res.status).toBe(404);
      expect(await code(res)).toBe('not_found');
    }
  });

  it('still serves the stored blob afterwards', async () => {
    expect((await fx.app.request(`/v1/blobs/${storedId}`)).status).toBe(200);
  });
});
