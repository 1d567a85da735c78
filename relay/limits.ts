/**
 * Every limit the relay sets, in one place: sizes, lifetimes, rates and counts, each with its
 * unit and the reason for its value (like shared/consts.ts for the protocol's). The defaults
 * that `AppDeps` (relay/deps.ts) can override say so. docs/API.md and docs/OPERATING.md list
 * them for clients and operators; docs/THREAT-MODEL.md explains the ones with a security role.
 *
 * Depends on nothing, so any relay module can import it.
 * @module
 */

const SECOND_MS = 1000;
const HOUR_MS = 60 * 60 * SECOND_MS;
const DAY_MS = 24 * HOUR_MS;
const KiB = 1024;
const MiB = 1024 * KiB;

// --- Requests -----------------------------------------------------------------------------

/**
 * Largest request head (request line and headers) in bytes: 16 KiB, Node's `maxHeaderSize`
 * (relay/server.ts). Set here rather than left to Node's default so the documented number is
 * this one; signed requests carry four short auth headers, so real clients stay far below it.
 */
export const MAX_HEADER_BYTES = 16 * KiB;

/**
 * How long a connection refused by Node's parser (relay/server.ts) keeps draining the client's
 * bytes, in ms: long enough for a client still writing its oversized head to read the answer
 * instead of a reset, short enough that refused connections do not pile up.
 */
export const REFUSAL_LINGER_MS = 2 * SECOND_MS;

/**
 * Body limits per route kind, in bytes (middleware/body-limit.ts, middleware/bounded-body.ts):
 * JSON requests are small; a sealed envelope is the one large buffered body (blobs stream,
 * `DEFAULT_BLOB_MAX_BYTES`).
 */
export const BODY_LIMITS = {
  /** Registrations, invites, signed prekeys (a KEM prekey is 1184 bytes, ~1.7 KB as base64url). */
  small: 8 * KiB,
  /** Up to 100 one-time prekeys (~6 KB) with room for whitespace. */
  preKeys: 16 * KiB,
  /** Acks of up to 500 message ids (~12 KB as JSON). */
  ack: 16 * KiB,
  /**
   * One sealed envelope (raw bytes, `POST /v1/messages`): a message of at most MAX_PLAINTEXT
   * (64 KiB, shared/consts.ts), padded and sealed with its headers, fits with room to spare.
   */
  envelope: 256 * KiB,
  /**
   * An invite with a short invite's encrypted body (`POST /v1/invites`): MAX_INVITE_BODY
   * (17,424 bytes, shared/consts.ts) is 23,232 characters of base64url, plus the hash and id.
   */
  invite: 24 * KiB,
  /** GET and DELETE requests carry no body. */
  none: 0,
} as const;

// --- Rate limits (middleware/rate-limit.ts) -----------------------------------------------

/**
 * Default token buckets on /v1, per client address and per account (`AppDeps.rateLimit`):
 * bursts of 120 requests, then 20 a second. The burst covers a device catching up after time
 * offline (pages of messages, their acks, a prekey top-up); the refill holds a flood from one
 * address or account to 20 requests a second.
 */
export const DEFAULT_RATE_LIMIT = { capacity: 120, refillPerSecond: 20 } as const;

/**
 * Buckets a limiter keeps of each kind at most (least recently used evicted beyond): ~10k small
 * objects, well under a megabyte.
 */
export const DEFAULT_MAX_KEYS = 10_000;

// --- Messages and mailboxes (routes/messages.ts) ------------------------------------------

/**
 * How long a stored message lives after receipt, in ms (`AppDeps.messageTtlMs`): 30 days, a
 * device offline for weeks still gets its messages, and ciphertext never waits forever.
 */
export const DEFAULT_MESSAGE_TTL_MS = 30 * DAY_MS;

/**
 * Per-mailbox limits on unexpired messages waiting (`AppDeps.mailboxQuota`): 10,000 messages
 * or 100 MiB (104,857,600 bytes) of envelopes, then 429 `quota`. Far above what a conversation
 * leaves unread; bounds what one sender (or a leaked capability) can make the relay store for
 * one mailbox.
 */
export const DEFAULT_MAILBOX_QUOTA = { maxMessages: 10_000, maxBytes: 100 * MiB } as const;

/** Messages per page when a fetch names no `limit` (at most `MAX_MESSAGES_PER_PAGE`, shared/schemas.ts). */
export const DEFAULT_MESSAGE_PAGE = 100;

// --- Blobs (routes/blobs.ts, sweeper.ts) --------------------------------------------------

/**
 * Largest blob accepted, in bytes (`AppDeps.blobMaxBytes`): 250 MiB = 262,144,000 bytes, a long
 * voice note or a document, encrypted. The client refuses files over 200 MiB first, so its
 * largest padded upload fits (client/attachments/attachments.test.ts checks it).
 */
export const DEFAULT_BLOB_MAX_BYTES = 250 * MiB;

/** How long a blob lives after upload, in ms (`AppDeps.blobTtlMs`): 30 days, like an undelivered message. */
export const DEFAULT_BLOB_TTL_MS = 30 * DAY_MS;

/**
 * An upload still incomplete after this long (ms) is abandoned, and the sweeper removes its row
 * and bytes: 24 h, where a 250 MiB upload at a slow 100 kB/s takes about 44 minutes.
 */
export const DEFAULT_INCOMPLETE_BLOB_MAX_AGE_MS = DAY_MS;

// --- Retention (start.ts, sweeper.ts) -----------------------------------------------------

/**
 * Pause between sweeps, in ms: an hour. It bounds how long expired messages, blobs, nonces,
 * codes and invites outlive their expiry, and on SQLite how long deleted ciphertext can stay
 * in the WAL file when a checkpoint was blocked (docs/OPERATING.md).
 */
export const SWEEP_INTERVAL_MS = HOUR_MS;

// --- Invites and registration codes (routes/invites.ts, cli.ts) ---------------------------

/**
 * How long an invite is valid, in ms: seven days, long enough to pass a secret on at the next
 * session, short enough to go stale.
 */
export const INVITE_TTL_MS = 7 * DAY_MS;

/** Days a minted registration code is valid without `--days`: a week to hand it on to the therapist. */
export const REGISTRATION_CODE_DEFAULT_DAYS = 7;

/** Most days `--days` accepts: a year; an unused code should not be valid for longer. */
export const REGISTRATION_CODE_MAX_DAYS = 365;

// --- Prekey bundles (routes/bundles.ts) ---------------------------------------------------

/**
 * One-time prekeys one requester gets from one target per window. Starting a session takes
 * one; 3 leaves room for a reinstall or a session reset on the same day, and caps what one
 * account can drain from another at 3 a day (a device uploads 100 at a time).
 */
export const ONE_TIME_PREKEYS_PER_REQUESTER = 3;

/** The window, in ms: a day from the first key handed out to the pair. */
export const ONE_TIME_PREKEY_WINDOW_MS = DAY_MS;

// --- Live socket (routes/live.ts) ---------------------------------------------------------

/**
 * Largest frame the live route accepts, in bytes (16 KiB); larger ones close with 4413. The
 * largest frame a client needs, a subscribe for 50 mailboxes, is ~1.3 KB.
 */
export const LIVE_MAX_FRAME_BYTES = 16 * KiB;

/**
 * Backstop for the `ws` server (`maxPayload`), in bytes: frames over this are refused by `ws`
 * itself (close 1009) before being buffered further; frames between the two limits get 4413.
 */
export const LIVE_WS_MAX_PAYLOAD = 64 * KiB;

/** Mailboxes one socket may subscribe to: part of the wire format, so it lives in shared/consts.ts. */
export { LIVE_MAX_MAILBOXES } from '../shared/consts.ts';

/** How long a socket may stay unauthenticated, in ms (`AppDeps.live.authTimeoutMs`): 10 s. */
export const LIVE_DEFAULT_AUTH_TIMEOUT_MS = 10 * SECOND_MS;

/**
 * Default cap on authenticated sockets per account (per process; `AppDeps.live`): a few
 * devices' tabs and a reconnect in flight, while one account cannot hold thousands of sockets
 * and subscriptions.
 */
export const LIVE_DEFAULT_MAX_SOCKETS_PER_ACCOUNT = 5;

// --- Push notifications (relay/push/, routes/push.ts) -------------------------------------

/** Longest push endpoint accepted: part of the wire format, so it lives in shared/consts.ts. */
export { MAX_PUSH_ENDPOINT_LEN } from '../shared/consts.ts';

/**
 * Push subscriptions one account keeps (`Store.putPushSubscription`): 10, a therapist's phone,
 * laptop and a few browsers. A new one beyond that replaces the account's oldest, so a device
 * that re-subscribes never gets stuck; the rows per account stay bounded.
 */
export const MAX_PUSH_SUBSCRIPTIONS_PER_ACCOUNT = 10;

/**
 * At most one push per device per this many ms (`AppDeps.push`, `PushOptions.throttleMs`):
 * 3 minutes. A push says only "something new"; a burst of messages needs one, and a steady
 * conversation should not buzz a phone for every line (the best portals' reminders do the same).
 */
export const PUSH_THROTTLE_MS = 3 * 60 * SECOND_MS;

/**
 * How long the push service may hold a push for an offline device, in seconds (the `TTL`
 * header, RFC 8030 §5.2): 1 hour. Later than that a "new message" is stale: the app fetches
 * its mailbox when it opens anyway.
 */
export const PUSH_TTL_SECONDS = 60 * 60;

/** How long one request to a push service may take, in ms, connection included: 10 s. */
export const PUSH_REQUEST_TIMEOUT_MS = 10 * SECOND_MS;

/**
 * Pushes waiting to be sent, per relay process: 1,000. Sending never holds up storing a
 * message; when the push services are slow and this fills, further pushes are dropped (and
 * counted in the log) rather than kept in memory without bound.
 */
export const PUSH_QUEUE_MAX = 1000;

/** Pushes in flight at once, per relay process: 8. */
export const PUSH_CONCURRENCY = 8;
