/**
 * Signed-request authentication (PROTOCOL.md §13, ARCHITECTURE.md, boundary 8). Runs after
 * `bodyLimit`, so the signature is checked over the exact body bytes received, together with
 * the method and the path with its query. Then the account must exist and the nonce be new for
 * that key (kept until the signature could no longer pass the time check). A replay is refused
 * before the account's rate limit is taken, so it costs the address that sent it and never the
 * account it was captured from; then the account's limit (`c.get('rateLimit')`, set by
 * middleware/rate-limit.ts when it runs): over it, 429 `rate_limited` with `Retry-After`; then
 * the nonce is stored. Every other refusal is 401
 * `unauthorized`; the message says which check failed (nothing the client did not send).
 *
 * `requireSignature` is the variant for registration: the account does not exist yet, so only
 * the signature is checked and the key is handed on as `signer`; the nonce is remembered only
 * once the handler answered 2xx (the account now exists). Why that is safe: a registration
 * request is idempotent by construction. Its signature binds the identity and the code or
 * invite, and the store decides "account exists" first, so a replay of a registration that
 * succeeded is 409 and changes nothing, and a replay of a refused one is refused again or (when
 * the code or invite became valid within the 5-minute window) does exactly what its signer
 * signed, once. Why it matters: anyone can make keys, so remembering nonces of refused
 * registrations would let unregistered clients add rows at will.
 *
 * `requireStreamingAuth` is the variant for a body too large to read first (a blob upload): the
 * signature covers method, path and query over an empty body digest, and the body stream is
 * left untouched for the handler to stream (docs/API.md, `POST /v1/blobs`).
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { REQUEST_MAX_SKEW_MS } from '../../shared/consts.ts';
import { verifyRequest, type AuthFailure } from '../../shared/request-auth.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import type { Store } from '../storage/types.ts';
import { rateLimited } from './rate-limit.ts';

export interface AuthDeps {
  readonly store: Store;
  /** Clock in ms since the epoch; tests inject one. */
  readonly now?: () => number;
}

const FAILURE_MESSAGE: Record<AuthFailure, string> = {
  missing: 'Missing request signature headers',
  malformed: 'Malformed request signature headers',
  stale: 'Request time is too far from the relay clock',
  bad_signature: 'Bad request signature',
};

const unauthorized = (message: string): RelayError => new RelayError('unauthorized', message);

/** Path and query exactly as sent (the signed form). */
const pathAndQuery = (c: Context): string => {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
};

async function verified(c: Context<RelayEnv>, now: number, body: Uint8Array = c.get('body')): Promise<{ signingKey: Uint8Array; nonce: Uint8Array }> {
  const result = await verifyRequest(c.req.raw.headers, { method: c.req.method.toUpperCase(), path: pathAndQuery(c), body }, now);
  if ('failure' in result) throw unauthorized(FAILURE_MESSAGE[result.failure]);
  return result;
}

/** A signed request from an existing account: sets `account`. */
export function requireAuth(deps: AuthDeps): MiddlewareHandler<RelayEnv> {
  return accountAuth(deps, undefined);
}

/**
 * The account check both account middlewares share. `body` overrides the bytes the signature
 * covers (streamed uploads sign an empty body); undefined means the request body as read.
 */
function accountAuth(deps: AuthDeps, body: Uint8Array | undefined): MiddlewareHandler<RelayEnv> {
  const clock = deps.now ?? Date.now;
  return async (c, next) => {
    const now = clock();
    const { signingKey, nonce } = await verified(c, now, body);
    // Existence first: an unknown key never gets rows in the nonce table.
    const account = await deps.store.getAccount(signingKey);
    if (account === undefined) throw unauthorized('Unknown account');
    // A replay is refused before the account's bucket is touched: it stays charged to the
    // address that sent it (issue 9), never to the account whose signature it carries.
    if (await deps.store.hasNonce(signingKey, nonce)) throw unauthorized('Replayed request');
    // The account's own rate limit (middleware/rate-limit.ts), before the nonce is stored: a
    // limited request leaves no row and may be sent again as it is after Retry-After.
    const limit = c.get('rateLimit');
    const retryAfter = limit?.account(signingKey) ?? 0;
    if (retryAfter > 0) return rateLimited(c, retryAfter);
    if (!(await deps.store.rememberNonce(signingKey, nonce, now + 2 * REQUEST_MAX_SKEW_MS))) {
      // A copy that raced past the look-up above: the address pays for it, not the account.
      limit?.replayed();
      throw unauthorized('Replayed request');
    }
    c.set('account', account);
    c.set('signer', signingKey);
    await next();
  };
}

/**
 * A signed request from a key that may have no account yet (registration): sets `signer`. The
 * nonce is remembered after a 2xx answer only (see the module doc): a refused registration
 * leaves no row.
 */
export function requireSignature(deps: AuthDeps): MiddlewareHandler<RelayEnv> {
  const clock = deps.now ?? Date.now;
  return async (c, next) => {
    const now = clock();
    const { signingKey, nonce } = await verified(c, now);
    // Refused before the handler: a replay of a request that succeeded never reaches the store.
    if (await deps.store.hasNonce(signingKey, nonce)) throw unauthorized('Replayed request');
    c.set('signer', signingKey);
    await next();
    if (c.res.status >= 200 && c.res.status < 300) {
      // False only for a concurrent copy of this request, which the store answered `exists`.
      await deps.store.rememberNonce(signingKey, nonce, now + 2 * REQUEST_MAX_SKEW_MS);
    }
  };
}

const EMPTY = new Uint8Array(0);

/**
 * A signed request from an existing account whose body is streamed later (blob uploads): the
 * signature is checked as if over an empty body, without reading the body. Sets `account`.
 */
export function requireStreamingAuth(deps: AuthDeps): MiddlewareHandler<RelayEnv> {
  return accountAuth(deps, EMPTY);
}
