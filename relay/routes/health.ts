/**
 * `GET /healthz`: liveness for operators and load balancers (DESIGN.md, contract for
 * verification). The storage issue makes it answer 200 only when the store is reachable.
 * @module
 */
import { Hono } from 'hono';

export const healthRoutes = (): Hono => new Hono().get('/healthz', (c) => c.json({ ok: true }));
