/**
 * Small helpers the route files share: hashing bearer secrets, decoding a public identity from
 * a request, the per-route body limits, and a faster way into the body limit under Node.
 * @module
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { equalBytes } from '../../shared/bytes.ts';
import { fromBase64url } from '../../shared/encoding.ts';
import { decodePublicIdentity, encodePublicIdentity, verifyPublicIdentity } from '../../shared/keys.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import type { Account, AccountKind } from '../storage/types.ts';

/** Body limits per route kind: JSON requests are small; a sealed envelope is the one large body. */
export const LIMITS = {
  /** Registrations, invites, signed prekeys (a KEM prekey is 1184 bytes, ~1.7 KB as base64url). */
  small: 8 * 1024,
  /** Up to 100 one-time prekeys (~6 KB) with room for whitespace. */
  preKeys: 16 * 1024,
  /** Acks of up to 500 message ids (~12 KB as JSON). */
  ack: 16 * 1024,
  /** One sealed envelope (raw bytes, `POST /v1/messages`). */
  envelope: 256 * 1024,
  /** GET requests carry no body. */
  none: 0,
} as const;

export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

const EMPTY = new Uint8Array(0);
const LENGTH = /^\d{1,16}$/;

/**
 * `bodyLimit(maxBytes)` (middleware/body-limit.ts), with a shortcut for the requests whose size
 * Node's HTTP parser already bounds. Under @hono/node-server, reading `c.req.raw.body` builds a
 * whole WHATWG Request and a web stream over the socket: over half of a send's time in the
 * relay's middleware and handlers (bench/profile-relay.ts), where `c.req.arrayBuffer()` reads
 * the IncomingMessage directly.
 * The shortcut is taken only when the request came through node:http (`c.env.incoming`), has
 * no Transfer-Encoding and either no Content-Length (then it has no body: RFC 9112 §6.3) or a
 * well-formed one within `maxBytes`: the parser then hands over exactly that many bytes, never
 * more (extra bytes are the next request on the connection). Anything else (chunked, a missing
 * or malformed or oversized length, `app.request()` in tests) goes through `bodyLimit` itself,
 * which streams under the cap and answers the same 400/413 as before. Both set `c.get('body')`.
 */
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

/**
 * The account a registration creates: the identity must parse and its certificate verify
 * (400 otherwise), and the request must be signed by that identity's signing key (401).
 */
export async function accountFromIdentity(identityB64: string, signer: Uint8Array, kind: AccountKind, now: number): Promise<Account> {
  let identity;
  try {
    identity = decodePublicIdentity(fromBase64url(identityB64));
    await verifyPublicIdentity(identity);
  } catch {
    throw new RelayError('bad_request', 'Identity does not parse or its certificate does not verify');
  }
  if (!equalBytes(identity.signingKey, signer)) {
    throw new RelayError('unauthorized', 'Request is not signed by the identity being registered');
  }
  return {
    signingKey: identity.signingKey,
    agreementKey: identity.agreementKey,
    identity: encodePublicIdentity(identity),
    kind,
    createdAt: now,
  };
}
