/**
 * The relay application: composes middleware and routes, nothing else (STYLE.md, relay/).
 * Construction is side-effect free so tests drive it in process with `app.request()`;
 * `start.ts` binds it to a port.
 *
 * Today it is a skeleton: health check, security headers and the error shape. Storage, auth,
 * mailboxes, blobs, live delivery and static serving of the built client arrive in later issues.
 * @module
 */
import { Hono } from 'hono';
import { notFound, onError } from './errors.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { healthRoutes } from './routes/health.ts';

export const createApp = (): Hono => {
  const app = new Hono();
  app.use('*', securityHeaders());
  app.route('/', healthRoutes());
  app.notFound(notFound);
  app.onError(onError);
  return app;
};
