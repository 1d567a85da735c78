/**
 * The relay application: composes middleware and routes, nothing else (STYLE.md, relay/).
 * Construction is side-effect free so tests drive it in process with `app.request()`;
 * `start.ts` opens the store and binds it to a port.
 * @module
 */
import { Hono } from 'hono';
import type { RelayEnv } from './context.ts';
import { notFound, onError } from './errors.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { accountRoutes } from './routes/accounts.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { healthRoutes } from './routes/health.ts';
import { inviteRoutes } from './routes/invites.ts';
import { preKeyRoutes } from './routes/prekeys.ts';
import type { BlobStore, Store } from './storage/types.ts';

export interface AppDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  /** Clock in ms since the epoch (default `Date.now`); tests inject one. */
  readonly now?: () => number;
}

export const createApp = (deps: AppDeps): Hono<RelayEnv> => {
  const app = new Hono<RelayEnv>();
  app.use('*', securityHeaders());
  app.route('/', healthRoutes(deps));
  app.route('/', accountRoutes(deps));
  app.route('/', inviteRoutes(deps));
  app.route('/', preKeyRoutes(deps));
  app.route('/', bundleRoutes(deps));
  app.notFound(notFound);
  app.onError(onError);
  return app;
};
