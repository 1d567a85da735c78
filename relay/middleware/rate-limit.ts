/**
 * Per-key rate limits (relay issue, "Limits"): a token bucket per key, answering 429 with
 * `Retry-After` and `{ error: { code: 'rate_limited', message } }`, never a 5xx.
 *
 * - A bucket holds at most `capacity` tokens and gains `refillPerSecond` per second; each
 *   request takes one. A burst of `capacity` passes, then the steady rate.
 * - The key is the authenticated account when auth ran first (`c.get('account')`), else the
 *   client's socket address. Keys are only ever map keys here: never logged, never echoed.
 *   `X-Forwarded-For` is not trusted by default (any client can send it); behind a proxy pass a
 *   `key` function that reads the header the proxy sets.
 * - Memory is bounded: buckets live in an LRU map of at most `maxKeys` entries. Evicting the
 *   least recently used bucket forgets at most one idle key's debt; a full bucket and a fresh
 *   one behave the same, so evicting idle keys changes nothing for well-behaved clients.
 * - The clock is injectable (`now`, milliseconds) so tests control refill.
 *
 * Does not: share state across relay instances (each process limits on its own), or limit by
 * bytes (body limits are a separate middleware).
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { errorBody } from '../errors.ts';

export interface RateLimitOptions {
  /** Bucket size: the burst allowed from a fresh key. Integer >= 1. */
  readonly capacity: number;
  /** Tokens regained per second (the sustained rate). Finite, > 0. */
  readonly refillPerSecond: number;
  /**
   * The bucket key for a request, or undefined to let the request through unlimited.
   * Default: the authenticated account, else the socket address (see `defaultRateLimitKey`).
   */
  readonly key?: (c: Context) => string | undefined;
  /** Most buckets kept at once (LRU beyond that). Integer >= 1, default 10 000. */
  readonly maxKeys?: number;
  /** Milliseconds clock; default `Date.now`. */
  readonly now?: () => number;
}

/** Default `maxKeys`: ~10k small objects, well under a megabyte. */
export const DEFAULT_MAX_KEYS = 10_000;

/** The 429 body, in the relay's one error shape. */
export const rateLimitedBody = errorBody('rate_limited', 'Too many requests; retry after the Retry-After delay');

interface Bucket {
  tokens: number;
  /** Clock reading of the last refill. */
  at: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/**
 * Account key set by auth middleware: a signing key (Uint8Array), its string form, or an
 * object carrying `signingKey`. Anything else counts as absent.
 */
function accountKey(account: unknown): string | undefined {
  if (account instanceof Uint8Array) return hex(account);
  if (typeof account === 'string' && account !== '') return account;
  if (typeof account === 'object' && account !== null) {
    const signingKey = (account as { signingKey?: unknown }).signingKey;
    if (signingKey instanceof Uint8Array) return hex(signingKey);
  }
  return undefined;
}

/** The socket's remote address under @hono/node-server; undefined elsewhere (e.g. app.request()). */
function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined;
  const address = env?.incoming?.socket?.remoteAddress;
  return typeof address === 'string' && address !== '' ? address : undefined;
}

/**
 * `a:<account>` when auth set `account`, else `ip:<address>`, else one shared `unknown` bucket
 * (no socket: in-process requests). Prefixes keep an account key and an address apart.
 */
export function defaultRateLimitKey(c: Context): string {
  const account = accountKey(c.get('account'));
  if (account !== undefined) return `a:${account}`;
  const address = socketAddress(c);
  return address !== undefined ? `ip:${address}` : 'unknown';
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`rateLimit: ${message}`);
}

/** The middleware, plus how many buckets it holds now. */
export type RateLimitMiddleware = MiddlewareHandler & { readonly size: number };

export function rateLimit(options: RateLimitOptions): RateLimitMiddleware {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`rateLimit: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { capacity, refillPerSecond, key = defaultRateLimitKey, maxKeys = DEFAULT_MAX_KEYS, now = Date.now } = options;
  check(Number.isSafeInteger(capacity) && capacity >= 1, `capacity must be an integer >= 1, got ${String(capacity)}`);
  check(
    typeof refillPerSecond === 'number' && Number.isFinite(refillPerSecond) && refillPerSecond > 0,
    `refillPerSecond must be a finite number > 0, got ${String(refillPerSecond)}`,
  );
  check(Number.isSafeInteger(maxKeys) && maxKeys >= 1, `maxKeys must be an integer >= 1, got ${String(maxKeys)}`);
  if (typeof key !== 'function') throw new TypeError(`rateLimit: key must be a function, got ${typeof key}`);
  if (typeof now !== 'function') throw new TypeError(`rateLimit: now must be a function, got ${typeof now}`);

  const perMs = refillPerSecond / 1000;
  /** Map order is recency order: a hit deletes and re-inserts, eviction takes the first. */
  const buckets = new Map<string, Bucket>();

  const take = (k: string): number => {
    const t = now();
    let bucket = buckets.get(k);
    if (bucket === undefined) {
      bucket = { tokens: capacity, at: t };
      if (buckets.size >= maxKeys) {
        const oldest = buckets.keys().next();
        if (!oldest.done) buckets.delete(oldest.value);
      }
    } else {
      buckets.delete(k);
      // A clock that steps back never adds tokens.
      bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, t - bucket.at) * perMs);
      bucket.at = Math.max(bucket.at, t);
    }
    buckets.set(k, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    // Whole seconds until one token is back, never 0 (a client retrying at once is refused again).
    return Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerSecond));
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    const k = key(c);
    if (k === undefined) return next();
    const retryAfter = take(k);
    if (retryAfter === 0) return next();
    return c.json(rateLimitedBody, 429, { 'Retry-After': String(retryAfter) });
  };
  // Buckets held now, read-only (tests check the memory bound).
  return Object.defineProperty(middleware, 'size', { get: () => buckets.size }) as RateLimitMiddleware;
}
