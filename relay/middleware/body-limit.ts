/**
 * Body size limit that does not trust Content-Length: the raw body is read as a stream and the
 * read stops (and the stream is cancelled) as soon as more than `maxBytes` arrived, so a chunked
 * body without a length, or one whose Content-Length lies, is refused the same way: 413
 * `too_large`. A declared length over the limit is refused before reading anything.
 * (Hono's own bodyLimit has had bypasses; this one never relies on the header alone.)
 *
 * The bytes are kept for later (`c.get('body')`): signature verification hashes exactly them,
 * and the JSON validator parses them.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';

const EMPTY = new Uint8Array(0);

export function bodyLimit(maxBytes: number): MiddlewareHandler<RelayEnv> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`bodyLimit: maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
  const tooLarge = (): RelayError => new RelayError('too_large', `Request body exceeds ${maxBytes} bytes`);
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined) {
      if (!/^\d{1,16}$/.test(declared.trim())) throw new RelayError('bad_request', 'Bad Content-Length');
      if (Number(declared) > maxBytes) throw tooLarge();
    }
    const stream = c.req.raw.body;
    if (stream === null) {
      c.set('body', EMPTY);
      return next();
    }
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
    const body = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.set('body', body);
    return next();
  };
}
