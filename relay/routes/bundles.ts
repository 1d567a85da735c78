/**
 * Prekey bundles (Signal PQXDH §3): any signed-in account fetches another device's bundle to
 * start a session. Each fetch consumes one one-time prekey atomically in the store (two
 * concurrent fetches never get the same one) and reports how many are left, the low-prekey
 * signal. The relay does not vouch for the bundle: the fetching device runs `verifyBundle`.
 *
 * Draining: one requester gets at most `ONE_TIME_PREKEYS_PER_REQUESTER` one-time prekeys of one
 * target per `ONE_TIME_PREKEY_WINDOW_MS` (relay/limits.ts; kept in the store, so it holds
 * across restarts and instances); beyond that the bundle comes without one. PQXDH runs without a one-time prekey
 * (DH4 is left out; THREAT-MODEL.md, "Last-resort prekeys"), so a session can still start,
 * while one account can no longer empty another's supply. Accounts exist only through an
 * operator code or a therapist's invite, so many requesters are costly to come by.
 *
 *   GET /v1/bundles/:key  (key = base64url Ed25519 signing key) -> 200 BundleResponseJson | 404
 * @module
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { BundleResponseJson, SigningKeyJson } from '../../shared/schemas.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS, ONE_TIME_PREKEY_WINDOW_MS, ONE_TIME_PREKEYS_PER_REQUESTER } from '../limits.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import type { BundleRow } from '../storage/types.ts';
import { reply } from '../reply.ts';

export const bundleToResponse = (b: BundleRow): BundleResponseJson => ({
  identity: toBase64url(b.identity),
  signedPreKey: { id: b.signedPreKey.id, publicKey: toBase64url(b.signedPreKey.publicKey), signature: toBase64url(b.signedPreKey.signature) },
  kemPreKey: { id: b.kemPreKey.id, publicKey: toBase64url(b.kemPreKey.publicKey), signature: toBase64url(b.kemPreKey.signature) },
  ...(b.oneTimePreKey ? { oneTimePreKey: { id: b.oneTimePreKey.id, publicKey: toBase64url(b.oneTimePreKey.publicKey) } } : {}),
  oneTimePreKeysLeft: b.oneTimePreKeysLeft,
});

export function bundleRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  return new Hono<RelayEnv>().get('/v1/bundles/:key', bodyLimit(BODY_LIMITS.none), requireAuth(deps), async (c) => {
    const key = c.req.param('key');
    if (!v.is(SigningKeyJson, key)) throw new RelayError('bad_request', 'Key must be base64url of 32 bytes');
    const bundle = await deps.store.takeBundle(fromBase64url(key), {
      requester: c.get('account').signingKey,
      max: ONE_TIME_PREKEYS_PER_REQUESTER,
      windowMs: ONE_TIME_PREKEY_WINDOW_MS,
      now: now(),
    });
    if (bundle === undefined) throw new RelayError('not_found', 'No bundle for this key');
    return reply(c, BundleResponseJson, bundleToResponse(bundle));
  });
}
