/**
 * Serves the built client (dist/, from `npm run build`) beside the API, under the same strict
 * security headers as every response (middleware/security-headers.ts).
 *
 * - Only GET and HEAD, only files that exist under the client folder; `/v1/*` and `/healthz`
 *   never reach this. Traversal (`..`, encoded or not, backslashes, double slashes) is refused
 *   before any file is opened: a target that is not canonical never gets here (400,
 *   middleware/canonical-path.ts), and `@hono/node-server`'s serveStatic refuses what is left
 *   with the JSON 404.
 * - The app routes by URL fragment (`/#/join/...`), so the only page is `/` (index.html):
 *   there is no catch-all that would turn a mistyped asset into HTML.
 * - Caching: content-hashed files under /assets/ are immutable for a year; everything else
 *   (index.html, sw.js, the manifest, icons) is revalidated on every load, so an update is
 *   seen at once and the service worker decides when it applies (client/sw/register.ts).
 * - Brotli or gzip twins written at build time (`.br`, `.gz`) are sent to browsers that accept
 *   them; nothing is compressed per request.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { RelayEnv } from './context.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** True when `dir` holds a built client (its index.html). */
export const isClientBuilt = (dir: string): boolean => existsSync(join(dir, 'index.html'));

export const staticRoutes = (clientDir: string): Hono<RelayEnv> => {
  const app = new Hono<RelayEnv>();
  const files = serveStatic<RelayEnv>({ root: clientDir, precompressed: true });
  app.use('*', async (c, next) => {
    // The API's namespace never falls through to files, whatever is in the folder.
    if (c.req.path === '/v1' || c.req.path.startsWith('/v1/')) return next();
    // serveStatic answers with the file's Response, or passes on to `next` when there is none.
    const res: unknown = await files(c, next);
    if (!(res instanceof Response)) return;
    res.headers.set('Cache-Control', c.req.path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
    res.headers.set('Vary', 'Accept-Encoding');
    // The service worker may control the whole origin (scope '/').
    if (c.req.path === '/sw.js') res.headers.set('Service-Worker-Allowed', '/');
    return res;
  });
  return app;
};
