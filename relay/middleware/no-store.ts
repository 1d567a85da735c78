/**
 * `Cache-Control: no-store` on every API answer (issue 9): `/v1/*` and `/healthz`, whatever
 * produced it (a handler, a refusal from middleware such as a 429, the error and not-found
 * hooks, a refused live upgrade). API answers are per request and often private (a mailbox's
 * envelopes, a bundle): no browser, service worker or proxy may keep a copy. Every error answer
 * says the same, whatever its path (a refused non-canonical path may name no route at all).
 * The built client's files (relay/static.ts) keep their own caching.
 * @module
 */
import type { MiddlewareHandler } from 'hono';

/** The paths whose answers are never stored: the API and the health check. */
export const isApiPath = (path: string): boolean => path === '/healthz' || path === '/v1' || path.startsWith('/v1/');

export const noStore = (): MiddlewareHandler => async (c, next) => {
  await next();
  if (isApiPath(c.req.path) || c.res.status >= 400) c.res.headers.set('Cache-Control', 'no-store');
};
