/**
 * Live delivery (issue 4; ARCHITECTURE.md, boundary 8): `GET /v1/live` upgraded to a WebSocket
 * that tells an authenticated device "mailbox M has message seq N". It carries no envelopes:
 * the client then fetches over HTTP, which stays the source of truth (a missed push costs
 * latency, never a message).
 *
 * The frames and close codes are shared/live.ts's (built with `frameText`, checked with its schemas).
 *
 *   1. Before upgrading: `Origin` must be absent (native clients), same-origin (its host equals
 *      the `Host` header, as browsers send it) or listed in `live.origins`; else 403, no upgrade.
 *   2. server -> { type: "challenge", nonce: b64(32) }            fresh random bytes per socket
 *   3. client -> { type: "auth", key, time, nonce, signature }   within `authTimeoutMs` (10 s):
 *      the four values `signRequest` gives for GET /v1/live over body = the challenge bytes;
 *      the account must exist and the nonce be new (the same checks as a signed request).
 *   4. client -> { type: "subscribe", mailboxIds: [b64(16), ...] } (1..50 in all), each owned
 *      by the account; may be repeated to add mailboxes.
 *   5. server -> { type: "subscribed", mailboxIds }               all listed are now live: the
 *      client fetches once after this, so nothing stored before the subscription is missed.
 *   6. server -> { type: "message", mailboxId, seq }              per `store.notifier` event.
 *
 * Anything else (a message before auth, bad JSON or shape, a binary frame, a frame over 16 KiB,
 * a bad signature, a foreign mailbox, the timeout) closes the socket with a 4xxx code from
 * `LIVE_CLOSE` and its generic reason (`LIVE_CLOSE_REASON`). Closing unsubscribes everything.
 *
 * At most `live.maxSocketsPerAccount` (5) authenticated sockets per account and process: the
 * one that authenticates beyond that is kept and the account's oldest is closed with 4429
 * `too many sockets`. Oldest rather than newest so that a device reconnecting after a network
 * change is never locked out by its own half-dead sockets that the server has not noticed yet;
 * whoever holds the account's key can open sockets anyway, so letting the newest win gives an
 * attacker nothing. Clients must not reconnect automatically after 4429 (two tabs over the cap
 * would take turns closing each other).
 *
 * The numbers (frame sizes, mailboxes, auth timeout, sockets per account) are in relay/limits.ts.
 *
 * Does not: deliver envelopes, acknowledge, or replay pushes missed while disconnected.
 * @module
 */
import { upgradeWebSocket } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import type { WSContext } from 'hono/ws';
import * as v from 'valibot';
import { WebSocketServer } from 'ws';
import { LIVE_CHALLENGE_LEN, LIVE_MAX_MAILBOXES, REQUEST_MAX_SKEW_MS } from '../../shared/consts.ts';
import { equalBytes } from '../../shared/bytes.ts';
import { fromBase64url, toBase64url, toHex } from '../../shared/encoding.ts';
import { AuthFrame, frameText, LIVE_CLOSE, LIVE_CLOSE_REASON, LIVE_PATH, SubscribeFrame, type LiveCloseName } from '../../shared/live.ts';
import { AUTH_HEADERS, verifyRequest } from '../../shared/request-auth.ts';
import type { RelayEnv } from '../context.ts';
import { isStoreUnavailable, RelayError } from '../errors.ts';
import {
  LIVE_DEFAULT_AUTH_TIMEOUT_MS,
  LIVE_DEFAULT_MAX_SOCKETS_PER_ACCOUNT,
  LIVE_MAX_FRAME_BYTES,
  LIVE_WS_MAX_PAYLOAD,
} from '../limits.ts';
import type { Store } from '../storage/types.ts';


export interface LiveOptions {
  /**
   * Browser origins allowed besides same-origin, exact serialized form (`https://app.example`).
   * Default: none. A request without `Origin` (native clients) is always allowed.
   */
  readonly origins?: readonly string[];
  /** How long a socket may stay unauthenticated (default 10 s). */
  readonly authTimeoutMs?: number;
  /** Authenticated sockets per account (default 5); the oldest is closed beyond that. Integer >= 1. */
  readonly maxSocketsPerAccount?: number;
}

export interface LiveDeps {
  readonly store: Store;
  readonly now?: () => number;
  readonly live?: LiveOptions;
}

/** The `ws` server start.ts hands to `serve({ websocket: { server } })`. */
export const liveSocketServer = (): WebSocketServer => {
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIVE_WS_MAX_PAYLOAD });
  // With noServer nothing should emit here; a listener keeps a surprise from crashing the process.
  wss.on('error', () => {});
  return wss;
};

/** Origin rule, applied before the upgrade (a browser enforces nothing for WebSockets). */
function checkOrigin(allowed: ReadonlySet<string>): MiddlewareHandler<RelayEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !allowed.has(origin)) {
      let sameHost = false;
      try {
        const host = c.req.header('host');
        sameHost = host !== undefined && new URL(origin).host === host.toLowerCase();
      } catch {
        // "null" or garbage: refused below.
      }
      if (!sameHost) throw new RelayError('forbidden', 'Origin not allowed');
    }
    await next();
  };
}

interface Session {
  onFrame(data: unknown): void;
  /** Close (with `code`, or silently when the peer is gone) and unsubscribe. */
  close(code?: LiveCloseName): void;
}

/**
 * Authenticated sockets per account (hex of the signing key), oldest first (a Set keeps
 * insertion order). Per process: instances behind a load balancer each keep their own.
 */
class AccountSockets {
  readonly #byAccount = new Map<string, Set<Session>>();
  constructor(private readonly max: number) {}

  /** Counts `s` for `account`; closes the account's oldest sockets beyond the cap. */
  add(account: string, s: Session): void {
    let set = this.#byAccount.get(account);
    if (set === undefined) this.#byAccount.set(account, (set = new Set()));
    set.add(s);
    for (const oldest of set) {
      if (set.size <= this.max) break;
      // close() calls remove(), which deletes it from the set.
      oldest.close('too_many');
    }
  }

  remove(account: string, s: Session): void {
    const set = this.#byAccount.get(account);
    if (set === undefined) return;
    set.delete(s);
    if (set.size === 0) this.#byAccount.delete(account);
  }
}

/** One socket's protocol state; frames are handled one at a time, in order. */
function session(deps: LiveDeps, ws: WSContext, challenge: Uint8Array, sockets: AccountSockets): Session {
  const clock = deps.now ?? Date.now;
  let state: 'challenged' | 'authed' | 'closed' = 'challenged';
  let signingKey: Uint8Array | undefined;
  const subscriptions = new Map<string, () => void>();
  let queue = Promise.resolve();

  const close = (code?: LiveCloseName): void => {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(timer);
    if (signingKey !== undefined) sockets.remove(toHex(signingKey), self);
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
    if (code !== undefined) ws.close(LIVE_CLOSE[code], LIVE_CLOSE_REASON[code]);
  };
  const timer = setTimeout(() => close('timeout'), deps.live?.authTimeoutMs ?? LIVE_DEFAULT_AUTH_TIMEOUT_MS);

  const auth = async (frame: unknown): Promise<void> => {
    if (!v.is(AuthFrame, frame)) return close('bad_request');
    const fields: Record<string, string> = {
      [AUTH_HEADERS.key]: frame.key,
      [AUTH_HEADERS.time]: frame.time,
      [AUTH_HEADERS.nonce]: frame.nonce,
      [AUTH_HEADERS.signature]: frame.signature,
    };
    const now = clock();
    const result = await verifyRequest({ get: (name) => fields[name] }, { method: 'GET', path: LIVE_PATH, body: challenge }, now);
    if ('failure' in result) return close('unauthorized');
    // Existence first, as in middleware/auth.ts: an unknown key never gets nonce rows.
    if ((await deps.store.getAccount(result.signingKey)) === undefined) return close('unauthorized');
    if (!(await deps.store.rememberNonce(result.signingKey, result.nonce, now + 2 * REQUEST_MAX_SKEW_MS))) return close('unauthorized');
    if (state !== 'challenged') return;
    clearTimeout(timer);
    signingKey = result.signingKey;
    state = 'authed';
    sockets.add(toHex(signingKey), self);
  };

  const subscribe = async (frame: unknown, key: Uint8Array): Promise<void> => {
    if (!v.is(SubscribeFrame, frame)) return close('bad_request');
    const fresh = [...new Set(frame.mailboxIds)].filter((id) => !subscriptions.has(id));
    if (subscriptions.size + fresh.length > LIVE_MAX_MAILBOXES) return close('bad_request');
    for (const idB64 of fresh) {
      const owner = await deps.store.mailboxOwner(fromBase64url(idB64));
      if (owner === undefined || !equalBytes(owner, key)) return close('forbidden');
    }
    for (const idB64 of fresh) {
      if (state !== 'authed') return;
      subscriptions.set(
        idB64,
        deps.store.notifier.subscribe(fromBase64url(idB64), (seq) => {
          if (state === 'authed' && ws.readyState === 1) ws.send(frameText({ type: 'message', mailboxId: idB64, seq }));
        }),
      );
    }
    if (state === 'authed') ws.send(frameText({ type: 'subscribed', mailboxIds: frame.mailboxIds }));
  };

  const handle = async (data: unknown): Promise<void> => {
    if (state === 'closed') return;
    if (typeof data !== 'string') return close(data instanceof ArrayBuffer && data.byteLength > LIVE_MAX_FRAME_BYTES ? 'too_large' : 'bad_request');
    if (Buffer.byteLength(data) > LIVE_MAX_FRAME_BYTES) return close('too_large');
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return close('bad_request');
    }
    if (state === 'challenged') return auth(frame);
    return subscribe(frame, signingKey!);
  };

  const self: Session = {
    onFrame(data) {
      queue = queue.then(() => handle(data)).catch((err: unknown) => {
        // A store failure: nothing about it goes to the client but whether to try again later
        // (1013: the store cannot be reached right now, relay/errors.ts) or not (1011).
        if (state !== 'closed') {
          close();
          const code = isStoreUnavailable(err) ? 'try_again_later' : 'internal_error';
          ws.close(LIVE_CLOSE[code], LIVE_CLOSE_REASON[code]);
        }
      });
    },
    close,
  };
  return self;
}

export function liveRoutes(deps: LiveDeps): Hono<RelayEnv> {
  const allowed = new Set(deps.live?.origins ?? []);
  const max = deps.live?.maxSocketsPerAccount ?? LIVE_DEFAULT_MAX_SOCKETS_PER_ACCOUNT;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(`liveRoutes: live.maxSocketsPerAccount must be an integer >= 1, got ${String(max)}`);
  }
  const sockets = new AccountSockets(max);
  return new Hono<RelayEnv>().get(
    LIVE_PATH,
    checkOrigin(allowed),
    upgradeWebSocket(
      () => {
        let live: ReturnType<typeof session> | undefined;
        return {
          onOpen(_event, ws) {
            const challenge = new Uint8Array(LIVE_CHALLENGE_LEN);
            crypto.getRandomValues(challenge);
            live = session(deps, ws, challenge, sockets);
            ws.send(frameText({ type: 'challenge', nonce: toBase64url(challenge) }));
          },
          onMessage(event) {
            live?.onFrame(event.data);
          },
          onClose() {
            live?.close();
          },
          onError() {
            // A reset socket: `ws` closes it and onClose unsubscribes.
            live?.close();
          },
        };
      },
      { onError: () => {} },
    ),
    () => {
      throw new RelayError('bad_request', 'Expected a WebSocket upgrade');
    },
  );
}
