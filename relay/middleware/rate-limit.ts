/**
 * Rate limits (relay issue, "Limits"; issue 4): token buckets answering 429 with `Retry-After`
 * and `{ error: { code: 'rate_limited', message } }`, never a 5xx. Two kinds of bucket:
 *
 * - **By address**, at the edge (`app.use('/v1/*', rateLimit(...))`): every request takes a
 *   token from its client's bucket before anything else runs. The key is the socket address
 *   (`key` overrides it). Unauthenticated routes (sealed-sender sends, blob downloads, the live
 *   upgrade), registrations and every request whose signature or account check fails pay here.
 * - **By account**, after auth: when middleware/auth.ts has verified a signature from an
 *   existing account it calls `c.get('rateLimit').account(signingKey)`, which gives the address
 *   token back and takes one from the account's bucket instead. So one account flooding is
 *   limited on its own and does not use up the address it shares with others (a practice behind
 *   one NAT), while a flood of bad signatures is still limited by address. The check comes
 *   before the nonce is stored, so a limited request leaves no row and may be retried as is.
 * - **Replays pay by address** (issue 9): auth looks the nonce up before it calls `account`, so
 *   a replay of a request already seen stays on the address token and never touches the
 *   account's bucket; two copies racing past that look-up are settled by `replayed()`, which
 *   gives the account its token back and takes the address's again. Replaying a captured
 *   request from elsewhere therefore never locks its account out.
 *
 * Buckets: at most `capacity` tokens, `refillPerSecond` regained per second, one per request:
 * a burst of `capacity` passes, then the steady rate. Accounts have the same numbers unless
 * `account` sets others.
 *
 * Trade-off: the address token is taken before auth can know the account, so an address whose
 * bucket is empty (unauthenticated traffic or failed auths from it) is refused for its accounts
 * too until it refills.
 *
 * - Keys are only ever map keys here: never logged, never echoed. `X-Forwarded-For` is not
 *   trusted by default (any client can send it); behind a proxy pass a `key` function that
 *   reads the header the proxy sets.
 * - Memory is bounded: each kind of bucket lives in an LRU map of at most `maxKeys` entries.
 *   Evicting the least recently used bucket forgets at most one idle key's debt; a full bucket
 *   and a fresh one behave the same, so evicting idle keys changes nothing for well-behaved
 *   clients.
 * - The clock is injectable (`now`, milliseconds) so tests control refill.
 *
 * Does not: share state across relay instances (each process limits on its own), or limit by
 * bytes (body limits are a separate middleware).
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { toHex } from '../../shared/encoding.ts';
import { errorBody } from '../errors.ts';
import { DEFAULT_MAX_KEYS } from '../limits.ts';

/** A bucket's numbers. */
export interface BucketRate {
  /** Bucket size: the burst allowed from a fresh key. Integer >= 1. */
  readonly capacity: number;
  /** Tokens regained per second (the sustained rate). Finite, > 0. */
  readonly refillPerSecond: number;
}

export interface RateLimitOptions extends BucketRate {
  /** Buckets per account after auth; default: the same `capacity` and `refillPerSecond`. */
  readonly account?: BucketRate;
  /**
   * The address bucket key for a request, or undefined to take no address token (accounts are
   * still limited after auth). Default: the socket address (see `defaultRateLimitKey`).
   */
  readonly key?: (c: Context) => string | undefined;
  /** Most buckets of each kind kept at once (LRU beyond that). Integer >= 1, default 10 000. */
  readonly maxKeys?: number;
  /** Milliseconds clock; default `Date.now`. */
  readonly now?: () => number;
}

/** What the edge middleware hands to the auth middleware (context variable `rateLimit`). */
export interface AccountRateLimit {
  /**
   * The request is from this verified account: give the address token back and take one from
   * the account's bucket. Returns 0 to go on, else the whole seconds for `Retry-After`. Only the
   * first call per request counts; later ones return 0.
   */
  account(signingKey: Uint8Array): number;
  /**
   * The request `account` was called for turned out to be a replay (its nonce was already
   * stored): the account's token goes back and the address pays instead. A replay is sent by
   * whoever captured the request, so it must never cost the account whose signature it carries.
   */
  replayed(): void;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `rateLimit` on every request it lets through; absent when no limiter runs. */
    rateLimit: AccountRateLimit | undefined;
  }
}

/** The 429 body, in the relay's one error shape. */
export const rateLimitedBody = errorBody('rate_limited', 'Too many requests; retry after the Retry-After delay');

/** The 429 answer: the one body and `Retry-After` in whole seconds. */
export const rateLimited = (c: Context, retryAfter: number): Response =>
  c.json(rateLimitedBody, 429, { 'Retry-After': String(retryAfter) });

interface Bucket {
  tokens: number;
  /** Clock reading of the last refill. */
  at: number;
}

/** The socket's remote address under @hono/node-server; undefined elsewhere (e.g. app.request()). */
function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined;
  const address = env?.incoming?.socket?.remoteAddress;
  return typeof address === 'string' && address !== '' ? address : undefined;
}

/** `ip:<address>`, else one shared `unknown` bucket (no socket: in-process requests). */
export function defaultRateLimitKey(c: Context): string {
  const address = socketAddress(c);
  return address !== undefined ? `ip:${address}` : 'unknown';
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`rateLimit: ${message}`);
}

function checkRate(rate: BucketRate, name: string): void {
  if (typeof rate !== 'object' || rate === null) throw new TypeError(`rateLimit: ${name} must be an object, got ${rate === null ? 'null' : typeof rate}`);
  const { capacity, refillPerSecond } = rate;
  check(Number.isSafeInteger(capacity) && capacity >= 1, `${name}capacity must be an integer >= 1, got ${String(capacity)}`);
  check(
    typeof refillPerSecond === 'number' && Number.isFinite(refillPerSecond) && refillPerSecond > 0,
    `${name}refillPerSecond must be a finite number > 0, got ${String(refillPerSecond)}`,
  );
}

/** One kind of bucket: an LRU map of at most `maxKeys` token buckets. */
class Buckets {
  /** Map order is recency order: a hit deletes and re-inserts, eviction takes the first. */
  readonly #map = new Map<string, Bucket>();
  readonly #perMs: number;

  constructor(
    readonly rate: BucketRate,
    private readonly maxKeys: number,
    private readonly now: () => number,
  ) {
    this.#perMs = rate.refillPerSecond / 1000;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The key's bucket, refilled to now and made most recent. */
  #bucket(k: string): Bucket {
    const t = this.now();
    let bucket = this.#map.get(k);
    if (bucket === undefined) {
      bucket = { tokens: this.rate.capacity, at: t };
      if (this.#map.size >= this.maxKeys) {
        const oldest = this.#map.keys().next();
        if (!oldest.done) this.#map.delete(oldest.value);
      }
    } else {
      this.#map.delete(k);
      // A clock that steps back never adds tokens.
      bucket.tokens = Math.min(this.rate.capacity, bucket.tokens + Math.max(0, t - bucket.at) * this.#perMs);
      bucket.at = Math.max(bucket.at, t);
    }
    this.#map.set(k, bucket);
    return bucket;
  }

  /** Takes a token: 0 when there was one, else whole seconds until one is back (never 0). */
  take(k: string): number {
    const bucket = this.#bucket(k);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    // A client retrying at once is refused again, so never 0.
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate.refillPerSecond));
  }

  /** Gives a token back (never beyond capacity; an evicted bucket is full already). */
  give(k: string): void {
    if (!this.#map.has(k)) return;
    const bucket = this.#bucket(k);
    bucket.tokens = Math.min(this.rate.capacity, bucket.tokens + 1);
  }
}

/** The middleware, plus how many buckets it holds now (addresses and accounts). */
export type RateLimitMiddleware = MiddlewareHandler & { readonly size: number };

export function rateLimit(options: RateLimitOptions): RateLimitMiddleware {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`rateLimit: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { key = defaultRateLimitKey, maxKeys = DEFAULT_MAX_KEYS, now = Date.now } = options;
  checkRate(options, '');
  const accountRate = options.account ?? options;
  if (options.account !== undefined) checkRate(options.account, 'account.');
  check(Number.isSafeInteger(maxKeys) && maxKeys >= 1, `maxKeys must be an integer >= 1, got ${String(maxKeys)}`);
  if (typeof key !== 'function') throw new TypeError(`rateLimit: key must be a function, got ${typeof key}`);
  if (typeof now !== 'function') throw new TypeError(`rateLimit: now must be a function, got ${typeof now}`);

  const addresses = new Buckets(options, maxKeys, now);
  const accounts = new Buckets(accountRate, maxKeys, now);

  const middleware: MiddlewareHandler = async (c, next) => {
    const k = key(c);
    if (k !== undefined) {
      const retryAfter = addresses.take(k);
      if (retryAfter !== 0) return rateLimited(c, retryAfter);
    }
    let settled = false;
    /** The account bucket this request took a token from, until a replay hands it back. */
    let charged: string | undefined;
    c.set('rateLimit', {
      account(signingKey) {
        if (settled) return 0;
        settled = true;
        if (k !== undefined) addresses.give(k);
        const accountKey = toHex(signingKey);
        const retryAfter = accounts.take(accountKey);
        if (retryAfter === 0) charged = accountKey;
        return retryAfter;
      },
      replayed() {
        if (charged === undefined) return;
        accounts.give(charged);
        charged = undefined;
        // The address's token again (if it has one left: the request is refused either way).
        if (k !== undefined) addresses.take(k);
      },
    });
    return next();
  };
  // Buckets held now, read-only (tests check the memory bound).
  return Object.defineProperty(middleware, 'size', { get: () => addresses.size + accounts.size }) as RateLimitMiddleware;
}
