/**
 * Test helpers for blob routes: an upload signed the blob way (over an empty body digest, the
 * body streamed), optionally chunked without a Content-Length, and a listing of the blob store.
 * @module
 */
import type { Identity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import type { AppFixture } from './app-fixture.ts';

export interface UploadOptions {
  /** Send the body as a stream of this many chunks with no Content-Length (chunked). */
  readonly chunks?: number;
  /** Declared Content-Length (default: the body length unless chunked). */
  readonly contentLength?: number | null;
  readonly contentType?: string | null;
  readonly unsigned?: boolean;
  /** Sign these bytes' digest instead of the empty body (a client that signed the body). */
  readonly signedBody?: Uint8Array;
  readonly path?: string;
}

export function streamOf(bytes: Uint8Array, chunks: number): ReadableStream<Uint8Array> {
  const size = Math.ceil(bytes.length / chunks);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (offset >= bytes.length) return c.close();
      c.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

export async function upload(fx: AppFixture, who: Identity | undefined, body: Uint8Array, options: UploadOptions = {}): Promise<Response> {
  const path = options.path ?? '/v1/blobs';
  const headers: Record<string, string> = {};
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/octet-stream';
  const length = options.contentLength === undefined ? (options.chunks ? null : body.length) : options.contentLength;
  if (length !== null) headers['content-length'] = String(length);
  if (who && !options.unsigned) {
    Object.assign(headers, await signRequest(who, { method: 'POST', path, body: options.signedBody ?? new Uint8Array(0) }, { now: fx.now }));
  }
  const payload = options.chunks ? streamOf(body, options.chunks) : (body as Uint8Array<ArrayBuffer>);
  return fx.app.request(path, { method: 'POST', headers, body: payload, ...(options.chunks ? { duplex: 'half' } : {}) } as RequestInit);
}

/**
 * What the blob store holds (`AppFixture.blobNames`): with SQLite the file names in
 * DATA_DIR/blobs (finished blobs and temporary files alike), with PostgreSQL the finished blobs'
 * hex ids plus a marked name for any chunk rows left behind.
 */
export const blobFiles = (fx: AppFixture): Promise<string[]> => fx.blobNames();
