/**
 * What the relay app is built from: the stores, the clock, and the options that override the
 * defaults in relay/limits.ts. Its own file so that the route files can take it without
 * importing the app that composes them (ARCHITECTURE.md, "A relay route"; relay/imports.test.ts).
 * @module
 */
import type { RateLimitOptions } from './middleware/rate-limit.ts';
import type { PushSender } from './push/sender.ts';
import type { LiveOptions } from './routes/live.ts';
import type { BlobStore, MailboxQuota, Store } from './storage/types.ts';

export interface AppDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  /** Clock in ms since the epoch (default `Date.now`); tests inject one. */
  readonly now?: () => number;
  /** Live delivery (`GET /v1/live`): extra allowed browser origins, auth timeout. */
  readonly live?: LiveOptions;
  /** Where request log lines go (one JSON line each); default: nowhere (tests). start.ts passes stdout. */
  readonly logSink?: (line: string) => void;
  /**
   * Limits on /v1: per client address, and per account once auth verified it (`account`,
   * default the same numbers; middleware/rate-limit.ts). Default: bursts of 120, then 20
   * requests a second. `key` names a request's address bucket (default: the socket address;
   * behind a proxy, read the header the proxy sets).
   */
  readonly rateLimit?: Pick<RateLimitOptions, 'capacity' | 'refillPerSecond' | 'account' | 'key'>;
  /** How long a stored message lives after receipt (default 30 days). */
  readonly messageTtlMs?: number;
  /** Per-mailbox limits (default 10,000 messages / 100 MiB). */
  readonly mailboxQuota?: MailboxQuota;
  /** Largest blob upload in bytes (default 250 MiB, 262,144,000 bytes). */
  readonly blobMaxBytes?: number;
  /** How long a blob lives after upload (default 30 days). */
  readonly blobTtlMs?: number;
  /** The built client (dist/) to serve at `/`; none: the API alone. */
  readonly clientDir?: string;
  /** Content-free push notifications (relay/push/sender.ts); none: the push routes answer 404. */
  readonly push?: PushSender;
}
