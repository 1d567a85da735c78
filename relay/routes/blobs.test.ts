/**
 * Blob routes: an encrypted attachment uploaded as a stream comes back byte-exact and decrypts;
 * whoever holds the delete token from the upload answer deletes it (no account is asked or
 * kept); expired and absent blobs are 404.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptAttachment, encryptAttachment } from '../../shared/attachment.ts';
import type { Identity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import { sha256 } from '../testing/app-fixture.ts';
import { useAppFixture } from '../testing/use-app-fixture.ts';
import { blobFiles, upload } from '../testing/blob-helpers.ts';

const DAY = 24 * 60 * 60 * 1000;
let owner: Identity;
let other: Identity;
const fx = useAppFixture({ deps: { blobTtlMs: DAY } }, async (fx) => {
  owner = await fx.therapist();
  other = await fx.client(owner);
});

const uploaded = async (res: Response): Promise<{ blobId: string; size: number; deleteToken: string }> => {
  expect(res.status).toBe(201);
  return (await res.json()) as { blobId: string; size: number; deleteToken: string };
};

/** DELETE /v1/blobs/:id, unsigned, presenting `token` (when given) in the confidant-delete-token header. */
const deleteWith = async (blobId: string, token?: string): Promise<Response> =>
  fx.app.request(`/v1/blobs/${blobId}`, { method: 'DELETE', headers: token === undefined ? {} : { 'confidant-delete-token': token } });

describe('POST /v1/blobs then GET /v1/blobs/:id', () => {
  it('round-trips a 3 MB encrypted attachment byte-exact, and it decrypts', async () => {
    const plaintext = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));
    const { ciphertext, key, digest } = await encryptAttachment(plaintext);
    const { blobId, size } = await uploaded(await upload(fx, owner, ciphertext, { chunks: 7 }));
    expect(blobId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(size).toBe(ciphertext.length);
    const res = await fx.app.request(`/v1/blobs/${blobId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(ciphertext.length));
    const downloaded = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.compare(downloaded, ciphertext)).toBe(0);
    expect(Buffer.compare(await decryptAttachment(downloaded, key, digest), plaintext)).toBe(0);
  });

  it('accepts a declared Content-Length and an empty blob', async () => {
    const bytes = new Uint8Array(randomBytes(1000));
    const { blobId } = await uploaded(await upload(fx, owner, bytes));
    expect(new Uint8Array(await (await fx.app.request(`/v1/blobs/${blobId}`)).arrayBuffer())).toEqual(bytes);
    const empty = await uploaded(await upload(fx, owner, new Uint8Array(0)));
    expect(empty.size).toBe(0);
    expect((await fx.app.request(`/v1/blobs/${empty.blobId}`)).status).toBe(200);
  });

  it('names each upload with a fresh random id (the same bytes twice are two blobs)', async () => {
    const bytes = new Uint8Array(randomBytes(100));
    const a = await uploaded(await upload(fx, owner, bytes));
    const b = await uploaded(await upload(fx, other, bytes));
    expect(a.blobId).not.toBe(b.blobId);
  });

  it('stores files named by hex of the id only, with no temporary files left', async () => {
    const { blobId } = await uploaded(await upload(fx, owner, new Uint8Array(10)));
    const hex = Buffer.from(blobId, 'base64url').toString('hex');
    const files = await blobFiles(fx);
    expect(files).toContain(hex);
    expect(files.every((f) => /^[0-9a-f]{32}$/.test(f))).toBe(true);
  });

  it('answers 404 for an unknown id', async () => {
    expect((await fx.app.request(`/v1/blobs/${randomBytes(16).toString('base64url')}`)).status).toBe(404);
  });

  it('answers 404 once the blob expired (injected clock)', async () => {
    const { blobId } = await uploaded(await upload(fx, owner, new Uint8Array(10)));
    const saved = fx.now;
    try {
      fx.now = saved + DAY - 1;
      expect((await fx.app.request(`/v1/blobs/${blobId}`)).status).toBe(200);
      fx.now = saved + DAY;
      expect((await fx.app.request(`/v1/blobs/${blobId}`)).status).toBe(404);
    } finally {
      fx.now = saved;
    }
  });

  it('does not serve a blob whose upload has not completed', async () => {
    const blobId = new Uint8Array(randomBytes(16));
    await fx.store.createBlob({ blobId, deleteTokenHash: new Uint8Array(randomBytes(32)), createdAt: fx.now, expiresAt: fx.now + DAY });
    expect((await fx.app.request(`/v1/blobs/${Buffer.from(blobId).toString('base64url')}`)).status).toBe(404);
    await fx.store.deleteBlob(blobId);
  });
});

describe('DELETE /v1/blobs/:id', () => {
  it('answers the upload with a delete token: 32 random bytes, different for every upload', async () => {
    const a = await uploaded(await upload(fx, owner, new Uint8Array(10)));
    const b = await uploaded(await upload(fx, owner, new Uint8Array(10)));
    expect(a.deleteToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.deleteToken, 'base64url')).toHaveLength(32);
    expect(b.deleteToken).not.toBe(a.deleteToken);
  });

  it('lets the holder of the delete token delete, unsigned: 204, then the row, the file and the download are gone', async () => {
    const { blobId, deleteToken } = await uploaded(await upload(fx, owner, new Uint8Array(randomBytes(5000))));
    const hex = Buffer.from(blobId, 'base64url').toString('hex');
    expect((await deleteWith(blobId, deleteToken)).status).toBe(204);
    expect(await fx.store.getBlob(Buffer.from(blobId, 'base64url'))).toBeUndefined();
    expect(await blobFiles(fx)).not.toContain(hex);
    expect((await fx.app.request(`/v1/blobs/${blobId}`)).status).toBe(404);
    expect((await deleteWith(blobId, deleteToken)).status).toBe(404);
  });

  it('refuses a wrong token, the token of another blob, and a signed request with a wrong token, with the same 404 as an absent blob, and keeps the blob', async () => {
    const bytes = new Uint8Array(randomBytes(500));
    const { blobId } = await uploaded(await upload(fx, owner, bytes));
    const second = await uploaded(await upload(fx, owner, new Uint8Array(10)));
    for (const res of [
      await deleteWith(blobId, Buffer.from(randomBytes(32)).toString('base64url')),
      await deleteWith(blobId, second.deleteToken),
      await fx.app.request(`/v1/blobs/${blobId}`, {
        method: 'DELETE',
        headers: {
          ...(await signRequest(owner, { method: 'DELETE', path: `/v1/blobs/${blobId}`, body: new Uint8Array(0) }, { now: fx.now })),
          'confidant-delete-token': Buffer.from(randomBytes(32)).toString('base64url'),
        },
      }),
    ]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No such blob' } });
    }
    expect((await fx.send(owner, 'DELETE', `/v1/blobs/${blobId}`)).status).toBe(400); // signed, no token
    expect(new Uint8Array(await (await fx.app.request(`/v1/blobs/${blobId}`)).arrayBuffer())).toEqual(bytes);
  });

  it('answers a missing or malformed token with 400 and deletes nothing', async () => {
    const { blobId, deleteToken } = await uploaded(await upload(fx, owner, new Uint8Array(10)));
    for (const token of [undefined, '', 'x', `${deleteToken}=`, deleteToken.slice(1), `${deleteToken}AA`, '../../etc/passwd']) {
      const res = await deleteWith(blobId, token);
      expect(res.status, String(token)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    expect((await fx.app.request(`/v1/blobs/${blobId}`)).status).toBe(200);
  });

  it('keeps neither the token nor the key of the uploader at rest: only the SHA-256 of the token', async () => {
    const marker = new Uint8Array(randomBytes(10));
    const { blobId, deleteToken } = await uploaded(await upload(fx, owner, marker));
    const token = Buffer.from(deleteToken, 'base64url');
    const files = await fx.storedFiles();
    const holding = (needle: Uint8Array) => files.filter((f) => f.bytes.includes(Buffer.from(needle))).map((f) => f.path);
    expect(holding(token)).toEqual([]);
    expect(holding(sha256(token)).length).toBeGreaterThan(0);
    expect((await deleteWith(blobId, deleteToken)).status).toBe(204);
  });
});
