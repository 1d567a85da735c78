/**
 * Push subscriptions (issue 11, "Notifications without content"; docs/API.md "Push";
 * relay/push/). A device that opts in hands the relay its browser's push subscription, and the
 * relay sends it a content-free push when a message is stored for one of the account's
 * mailboxes (push/sender.ts).
 *
 *   GET    /v1/push/key                          -> 200 { publicKey } / 404 push not enabled
 *   PUT    /v1/push/subscription   (signed)  { endpoint, keys: { p256dh, auth } }
 *                                                -> 201 {} new / 200 {} replaced / 400 refused endpoint
 *   DELETE /v1/push/subscription   (signed)  { endpoint }  -> 204 / 404
 *
 * The endpoint must pass push/endpoint.ts (https, default port, no credentials, a public host)
 * unless the relay runs with PUSH_ALLOW_PRIVATE_ENDPOINTS=1; `keys.p256dh` must be a P-256
 * point. An account keeps at most MAX_PUSH_SUBSCRIPTIONS_PER_ACCOUNT (the oldest go first).
 * @module
 */
import { p256 } from '@noble/curves/nist.js';
import { Hono } from 'hono';
import { fromBase64url } from '../../shared/encoding.ts';
import { PushSubscriptionJson, PushUnsubscribeJson } from '../../shared/schemas.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS, MAX_PUSH_SUBSCRIPTIONS_PER_ACCOUNT } from '../limits.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { checkEndpointUrl, PushEndpointError } from '../push/endpoint.ts';
import type { PushSender } from '../push/sender.ts';

const notEnabled = (): RelayError => new RelayError('not_found', 'Push notifications are not enabled on this relay');

/** The P-256 point, or 400: a subscription whose key is not a point could never be pushed to. */
function checkP256dh(text: string): Uint8Array {
  const bytes = fromBase64url(text);
  try {
    p256.Point.fromBytes(bytes).assertValidity();
  } catch {
    throw new RelayError('bad_request', 'Invalid field keys.p256dh (expected an uncompressed P-256 public key)');
  }
  return bytes;
}

export function pushRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  const auth = requireAuth(deps);
  const enabled = (): PushSender => {
    if (!deps.push) throw notEnabled();
    return deps.push;
  };
  return new Hono<RelayEnv>()
    .get('/v1/push/key', bodyLimit(BODY_LIMITS.none), (c) => c.json({ publicKey: enabled().publicKey }))
    .put('/v1/push/subscription', bodyLimit(BODY_LIMITS.small), jsonBody(PushSubscriptionJson), auth, async (c) => {
      const push = enabled();
      const { endpoint, keys } = c.get('json');
      try {
        checkEndpointUrl(endpoint, { allowPrivate: push.allowPrivateEndpoints });
      } catch (err) {
        if (err instanceof PushEndpointError) throw new RelayError('bad_request', err.message);
        throw err;
      }
      const row = { endpoint, p256dh: checkP256dh(keys.p256dh), auth: fromBase64url(keys.auth) };
      const result = await deps.store.putPushSubscription(c.get('account').signingKey, row, now(), MAX_PUSH_SUBSCRIPTIONS_PER_ACCOUNT);
      return c.json({}, result === 'created' ? 201 : 200);
    })
    .delete('/v1/push/subscription', bodyLimit(BODY_LIMITS.small), jsonBody(PushUnsubscribeJson), auth, async (c) => {
      enabled();
      if (!(await deps.store.deletePushSubscription(c.get('account').signingKey, c.get('json').endpoint))) {
        throw new RelayError('not_found', 'No such push subscription');
      }
      return c.body(null, 204);
    });
}
