/**
 * The relay application: composes middleware and routes, nothing else (STYLE.md, relay/).
 * Construction is side-effect free so tests drive it in process with `app.request()`;
 * `start.ts` opens the store and binds it to a port.
 * @module
 */
import { Hono } from 'hono';
import type { RelayEnv } from './context.ts';
import { notFound, onError } from './errors.ts';
import { canonicalPath } from './middleware/canonical-path.ts';
import { noStore } from './middleware/no-store.ts';
import { rateLimit, type RateLimitOptions } from './middleware/rate-limit.ts';
import { requestLog } from './middleware/request-log.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { accountRoutes } from './routes/accounts.ts';
import { blobRoutes } from './routes/blobs.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { healthRoutes } from './routes/health.ts';
import { inviteRoutes } from './routes/invites.ts';
import { liveRoutes, type LiveOptions } from './routes/live.ts';
import { mailboxRoutes } from './routes/mailboxes.ts';
import { messageRoutes } from './routes/messages.ts';
import { preKeyRoutes } from './routes/prekeys.ts';
import { staticRoutes } from './static.ts';
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
  /** Per-mailbox limits (default 10,000 messages / 100 MB). */
  readonly mailboxQuota?: MailboxQuota;
  /** Largest blob upload in bytes (default 250 MiB, 262,144,000 bytes). */
  readonly blobMaxBytes?: number;
  /** How long a blob lives after upload (default 30 days). */
  readonly blobTtlMs?: number;
  /** The built client (dist/) to serve at `/`; none: the API alone. */
  readonly clientDir?: string;
}

const DEFAULT_RATE_LIMIT = { capacity: 120, refillPerSecond: 20 } as const;

export const createApp = (deps: AppDeps): Hono<RelayEnv> => {
  const app = new Hono<RelayEnv>();
  app.use('*', requestLog({ sink: deps.logSink ?? (() => {}), ...(deps.now ? { now: deps.now } : {}) }));
  app.use('*', securityHeaders());
  app.use('*', noStore());
  app.use('/v1/*', rateLimit({ ...(deps.rateLimit ?? DEFAULT_RATE_LIMIT), ...(deps.now ? { now: deps.now } : {}) }));
  app.use('*', canonicalPath());
  app.route('/', healthRoutes(deps));
  app.route('/', accountRoutes(deps));
  app.route('/', inviteRoutes(deps));
  app.route('/', preKeyRoutes(deps));
  app.route('/', bundleRoutes(deps));
  app.route('/', mailboxRoutes(deps));
  app.route('/', messageRoutes(deps));
  app.route('/', liveRoutes(deps));
  app.route('/', blobRoutes(deps));
  if (deps.clientDir) app.route('/', staticRoutes(deps.clientDir));
  app.notFound(notFound);
  app.onError(onError);
  return app;
};
