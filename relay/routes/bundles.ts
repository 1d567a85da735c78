/**
 * Prekey bundles (Signal PQXDH §3): any signed-in account fetches another device's bundle to
 * start a session. Each fetch consumes one one-time prekey atomically in the store (two
 * concurrent fetches never get the same one) and reports how many are left, the low-prekey
 * signal. The relay does not vouch for the bundle: the fetching device runs `verifyBundle`.
 *
 *   GET /v1/bundles/:key  (key = base64url Ed25519 signing key) -> 200 BundleResponseJson | 404
 * @module
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { SigningKeyJson, type BundleResponseJson } from '../../shared/schemas.ts';
import type { AppDeps } from '../app.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import type { BundleRow } from '../storage/types.ts';
import { LIMITS } from './_util.ts';

export const bundleToResponse = (b: BundleRow): BundleResponseJson => ({
  identity: toBase64url(b.identity),
  signedPreKey: { id: b.signedPreKey.id, publicKey: toBase64url(b.signedPreKey.publicKey), signature: toBase64url(b.signedPreKey.signature) },
  kemPreKey: { id: b.kemPreKey.id, publicKey: toBase64url(b.kemPreKey.publicKey), signature: toBase64url(b.kemPreKey.signature) },
  ...(b.oneTimePreKey ? { oneTimePreKey: { id: b.oneTimePreKey.id, publicKey: toBase64url(b.oneTimePreKey.publicKey) } } : {}),
  oneTimePreKeysLeft: b.oneTimePreKeysLeft,
});

export function bundleRoutes(deps: AppDeps): Hono<RelayEnv> {
  return new Hono<RelayEnv>().get('/v1/bundles/:key', bodyLimit(LIMITS.none), requireAuth(deps), async (c) => {
    const key = c.req.param('key');
    if (!v.is(SigningKeyJson, key)) throw new RelayError('bad_request', 'Key must be base64url of 32 bytes');
    const bundle = await deps.store.takeBundle(fromBase64url(key));
    if (bundle === undefined) throw new RelayError('not_found', 'No bundle for this key');
    return c.json(bundleToResponse(bundle));
  });
}
