/**
 * The relay application: composes middleware and routes, nothing else (ARCHITECTURE.md, "A relay route").
 * Construction is side-effect free so tests drive it in process with `app.request()`;
 * `start.ts` opens the store and binds it to a port.
 * @module
 */
import { Hono } from 'hono';
import type { RelayEnv } from './context.ts';
import type { AppDeps } from './deps.ts';
import { notFound, onError } from './errors.ts';
import { DEFAULT_RATE_LIMIT } from './limits.ts';
import { canonicalPath } from './middleware/canonical-path.ts';
import { noStore } from './middleware/no-store.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { requestLog } from './middleware/request-log.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { accountRoutes } from './routes/accounts.ts';
import { blobRoutes } from './routes/blobs.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { healthRoutes } from './routes/health.ts';
import { inviteRoutes } from './routes/invites.ts';
import { liveRoutes } from './routes/live.ts';
import { mailboxRoutes } from './routes/mailboxes.ts';
import { messageRoutes } from './routes/messages.ts';
import { preKeyRoutes } from './routes/prekeys.ts';
import { pushRoutes } from './routes/push.ts';
import { staticRoutes } from './static.ts';

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
  app.route('/', pushRoutes(deps));
  if (deps.clientDir) app.route('/', staticRoutes(deps.clientDir));
  app.notFound(notFound);
  app.onError(onError);
  return app;
};
