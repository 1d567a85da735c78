/**
 * `bodyLimit(maxBytes)` (body-limit.ts), with a shortcut for the requests whose size Node's
 * HTTP parser already bounds. Under @hono/node-server, reading `c.req.raw.body` builds a
 * whole WHATWG Request and a web stream over the socket: over half of a send's time in the
 * relay's middleware and handlers (bench/profile-relay.ts), where `c.req.arrayBuffer()` reads
 * the IncomingMessage directly.
 * The shortcut is taken only when the request came through node:http (`c.env.incoming`), has
 * no Transfer-Encoding and either no Content-Length (then it has no body: RFC 9112 §6.3) or a
 * well-formed one within `maxBytes`: the parser then hands over exactly that many bytes, never
 * more (extra bytes are the next request on the connection). Anything else (chunked, a missing
 * or malformed or oversized length, `app.request()` in tests) goes through `bodyLimit` itself,
 * which streams under the cap and answers the same 400/413 as before. Both set `c.get('body')`.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { bodyLimit } from './body-limit.ts';

const EMPTY = new Uint8Array(0);
const LENGTH = /^\d{1,16}$/;

/** `bodyLimit(maxBytes)`, reading directly from node:http where the parser bounds the size (above). */
export function boundedBody(maxBytes: number): MiddlewareHandler<RelayEnv> {
  const limited = bodyLimit(maxBytes);
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const headers = incoming?.headers;
    if (headers === undefined || headers['transfer-encoding'] !== undefined) return limited(c, next);
    const declared = headers['content-length'];
    if (declared === undefined) {
      c.set('body', EMPTY);
      return next();
    }
    if (!LENGTH.test(declared) || Number(declared) > maxBytes) return limited(c, next);
    const body = declared === '0' ? EMPTY : new Uint8Array(await c.req.arrayBuffer());
    // The parser's guarantee, checked anyway: never hand on more than the limit.
    if (body.byteLength !== Number(declared)) throw new RelayError('bad_request', 'Body length differs from Content-Length');
    c.set('body', body);
    return next();
  };
}
