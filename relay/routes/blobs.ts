/**
 * Blobs: encrypted attachments, streamed (issue 4; ARCHITECTURE.md, boundary 1). The client
 * encrypts with shared/attachment.ts and uploads ciphertext; the relay names it with 16 random
 * bytes of its own choosing (a client never picks a name, so no client string reaches a path)
 * and hands the id back; the sender puts id, key and digest inside an encrypted message.
 *
 *   POST   /v1/blobs      raw ciphertext (application/octet-stream, up to 250 MiB), signed by an
 *                         account over an EMPTY body digest (the body is streamed, not hashed)
 *                         -> 201 { blobId, size, deleteToken } / 413 / 415 / 401
 *   GET    /v1/blobs/:id  no auth: the 128-bit id is the read capability -> 200 bytes / 404
 *   DELETE /v1/blobs/:id  no account: the delete token from the 201 answer, in the
 *                         `confidant-delete-token` header, is the capability -> 204 / 404 / 400
 *
 * The delete token is 32 random bytes the relay draws per upload and answers once; the row
 * keeps only its SHA-256, so no blob row leads to the account that uploaded it (issue 9 item 8).
 *
 * Nothing is buffered whole: the request stream goes straight to `BlobStore.write`, which stops
 * and removes the partial file past the limit; the row is created first (so the sweeper can
 * reclaim an abandoned upload) and removed again when the write fails. Only complete,
 * unexpired blobs are served.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { ConfidantError } from '../../shared/errors.ts';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS, DEFAULT_BLOB_MAX_BYTES, DEFAULT_BLOB_TTL_MS } from '../limits.ts';
import { requireStreamingAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { BLOB_ID_LEN } from '../storage/types.ts';
import { reply } from '../reply.ts';
import { BlobStoredJson } from '../../shared/schemas.ts';

/** b64url of exactly BLOB_ID_LEN bytes: 22 characters of the URL-safe alphabet, nothing else. */
const BLOB_ID = /^[A-Za-z0-9_-]{22}$/;

const noSuchBlob = (): RelayError => new RelayError('not_found', 'No such blob');

/** Bytes of a blob's delete token: 256 bits, as a delivery capability. */
const DELETE_TOKEN_LEN = 32;
/** The header that carries the delete token on DELETE. */
export const DELETE_TOKEN_HEADER = 'confidant-delete-token';
/** b64url of exactly DELETE_TOKEN_LEN bytes: 43 characters of the URL-safe alphabet. */
const DELETE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

/** The SHA-256 of the delete token a DELETE presents; missing or malformed is 400. */
function deleteTokenHash(text: string | undefined): Uint8Array {
  if (text === undefined || !DELETE_TOKEN.test(text)) throw new RelayError('bad_request', 'Missing or malformed delete token');
  try {
    return sha256(fromBase64url(text, DELETE_TOKEN_LEN));
  } catch {
    throw new RelayError('bad_request', 'Missing or malformed delete token');
  }
}

/** The blob id in a path parameter: malformed (traversal attempts included) is 400. */
function blobIdParam(text: string): Uint8Array {
  if (!BLOB_ID.test(text)) throw new RelayError('bad_request', 'Malformed blob id');
  try {
    return fromBase64url(text, BLOB_ID_LEN);
  } catch {
    throw new RelayError('bad_request', 'Malformed blob id');
  }
}

const emptyStream = (): ReadableStream<Uint8Array> => new ReadableStream({ start: (c) => c.close() });

/**
 * The request body, with a failure of the client's side (an abort mid-upload) turned into a 400
 * `Upload interrupted` instead of a logged 500. Pull-based: still one chunk at a time.
 */
function clientStream(body: ReadableStream<Uint8Array> | null): ReadableStream<Uint8Array> {
  if (body === null) return emptyStream();
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch {
          c.error(new RelayError('bad_request', 'Upload interrupted'));
          return;
        }
        if (chunk.done) c.close();
        else c.enqueue(chunk.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

export function blobRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  const maxBytes = deps.blobMaxBytes ?? DEFAULT_BLOB_MAX_BYTES;
  const ttl = deps.blobTtlMs ?? DEFAULT_BLOB_TTL_MS;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`blobMaxBytes must be a non-negative integer, got ${maxBytes}`);
  const streamingAuth = requireStreamingAuth(deps);
  const tooLarge = (): RelayError => new RelayError('too_large', `Blob exceeds ${maxBytes} bytes`);

  return new Hono<RelayEnv>()
    .post(
      '/v1/blobs',
      async (c, next) => {
        // Cheap refusals before the signature: a declared length over the limit, a wrong type.
        const declared = c.req.header('content-length');
        if (declared !== undefined) {
          if (!/^\d{1,16}$/.test(declared.trim())) throw new RelayError('bad_request', 'Bad Content-Length');
          if (Number(declared) > maxBytes) {
            // Answered from the head, before the body: the client is told to stop sending and
            // the connection ends after the answer instead of waiting for 250 MiB to drain.
            c.header('Connection', 'close');
            throw tooLarge();
          }
        }
        const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
        if (type !== 'application/octet-stream') {
          throw new RelayError('unsupported_media_type', 'Content-Type must be application/octet-stream');
        }
        await next();
      },
      streamingAuth,
      async (c) => {
        const createdAt = now();
        // The signature proved an account; nothing of it is kept. The token is answered once.
        const deleteToken = new Uint8Array(randomBytes(DELETE_TOKEN_LEN));
        const row = { deleteTokenHash: sha256(deleteToken), createdAt, expiresAt: createdAt + ttl };
        let blobId = new Uint8Array(randomBytes(BLOB_ID_LEN));
        // 128 random bits do not collide in practice; a second draw covers the impossible case.
        for (let tries = 1; (await deps.store.createBlob({ blobId, ...row })) === 'exists'; tries++) {
          if (tries >= 3) throw new RelayError('internal', 'Could not allocate a blob id');
          blobId = new Uint8Array(randomBytes(BLOB_ID_LEN));
        }
        let size: number;
        try {
          size = await deps.blobs.write(blobId, clientStream(c.req.raw.body), maxBytes);
        } catch (e) {
          // Over the limit or the client went away: no row and no bytes stay behind.
          await deps.store.deleteBlob(blobId);
          await deps.blobs.delete(blobId);
          if (ConfidantError.is(e, 'too_large')) throw tooLarge();
          throw e;
        }
        if (!(await deps.store.completeBlob(blobId, size))) {
          // The row vanished meanwhile (deleted or swept): drop the bytes too.
          await deps.blobs.delete(blobId);
          throw noSuchBlob();
        }
        return reply(c, BlobStoredJson, { blobId: toBase64url(blobId), size, deleteToken: toBase64url(deleteToken) }, 201);
      },
    )
    .get('/v1/blobs/:id', bodyLimit(BODY_LIMITS.none), async (c) => {
      const blobId = blobIdParam(c.req.param('id'));
      const info = await deps.store.getBlob(blobId);
      if (info === undefined || !info.complete || info.expiresAt <= now()) throw noSuchBlob();
      const stream = await deps.blobs.read(blobId);
      if (stream === undefined) throw noSuchBlob();
      return c.body(stream, 200, {
        'content-type': 'application/octet-stream',
        'content-length': String(info.size),
        'cache-control': 'no-store',
      });
    })
    .delete('/v1/blobs/:id', bodyLimit(BODY_LIMITS.none), async (c) => {
      const blobId = blobIdParam(c.req.param('id'));
      const tokenHash = deleteTokenHash(c.req.header(DELETE_TOKEN_HEADER));
      // Absent and another token answer alike: no oracle for blob ids. No account is asked for:
      // the token alone is the capability, and the row keeps only its hash.
      if (!(await deps.store.deleteBlob(blobId, tokenHash))) throw noSuchBlob();
      await deps.blobs.delete(blobId);
      return c.body(null, 204);
    });
}
