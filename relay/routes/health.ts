/**
 * `GET /healthz`: liveness for operators and load balancers. 200 `{ ok: true }` when the store
 * answers a trivial query, 503 `unavailable` with `Retry-After` otherwise (`Store.ping` never
 * throws), like every other route while the store cannot be reached (relay/errors.ts).
 * @module
 */
import { Hono } from 'hono';
import type { RelayEnv } from '../context.ts';
import { storeUnavailable } from '../errors.ts';
import type { Store } from '../storage/types.ts';
import { reply } from '../reply.ts';
import { HealthJson } from '../../shared/schemas.ts';

export const healthRoutes = (deps: { readonly store: Store }): Hono<RelayEnv> =>
  new Hono<RelayEnv>().get('/healthz', async (c) =>
    (await deps.store.ping()) ? reply(c, HealthJson, { ok: true }) : storeUnavailable(c),
  );
