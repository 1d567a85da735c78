/**
 * Invites (issue 4): a therapist records the SHA-256 of an invite secret it hands to one future
 * client (out of band); the client's registration presents the secret. The relay never sees
 * the secret before it is used. Valid for INVITE_TTL_MS.
 *
 *   POST /v1/invites  { inviteHash }  -> 201 { expiresAt }   (therapist accounts only: else 403;
 *                                        a hash stored already, by anyone: 409, nothing changes)
 * @module
 */
import { Hono } from 'hono';
import { fromBase64url } from '../../shared/encoding.ts';
import { InviteJson } from '../../shared/schemas.ts';
import type { AppDeps } from '../app.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { LIMITS } from './_util.ts';

/** Seven days: long enough to pass a secret on at the next session, short enough to go stale. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function inviteRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  return new Hono<RelayEnv>().post('/v1/invites', bodyLimit(LIMITS.small), jsonBody(InviteJson), requireAuth(deps), async (c) => {
    const account = c.get('account');
    if (account.kind !== 'therapist') throw new RelayError('forbidden', 'Only therapist accounts may invite');
    const t = now();
    const expiresAt = t + INVITE_TTL_MS;
    const result = await deps.store.addInvite(fromBase64url(c.get('json').inviteHash), account.signingKey, t, expiresAt);
    if (result === 'exists') throw new RelayError('conflict', 'Invite exists');
    return c.json({ expiresAt }, 201);
  });
}
