/**
 * Invites (issue 4): a therapist records the SHA-256 of an invite secret it hands to one future
 * client (out of band); the client's registration presents the secret. The relay never sees
 * the secret before it is used. Valid for INVITE_TTL_MS (relay/limits.ts).
 *
 *   POST /v1/invites  { inviteHash }  -> 201 { expiresAt }   (therapist accounts only: else 403;
 *                                        a hash stored already, by anyone: 409, nothing changes)
 *   POST /v1/invites/check  { invite } -> 200 { valid: true, expiresAt }   (issue 9 item 11)
 *                                        unknown, used or expired: 404, one answer for all three
 *
 * The check lets a client opening a link learn at once that it is used or expired, instead of
 * at the end of joining. It takes the secret (as registration does), never the hash, so only
 * the link's holder can ask; a guess is a 256-bit guess, and each costs the asking address a
 * token (the address rate limit). It is unauthenticated (the person has no account yet),
 * consumes nothing, and answers nothing the link does not already carry (its expiry).
 * @module
 */
import { Hono } from 'hono';
import { fromBase64url } from '../../shared/encoding.ts';
import { InviteCheckJson, InviteJson } from '../../shared/schemas.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS, INVITE_TTL_MS } from '../limits.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { sha256 } from '../secret-hash.ts';

export function inviteRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  return new Hono<RelayEnv>()
    .post('/v1/invites', bodyLimit(BODY_LIMITS.small), jsonBody(InviteJson), requireAuth(deps), async (c) => {
      const account = c.get('account');
      if (account.kind !== 'therapist') throw new RelayError('forbidden', 'Only therapist accounts may invite');
      const t = now();
      const expiresAt = t + INVITE_TTL_MS;
      const result = await deps.store.addInvite(fromBase64url(c.get('json').inviteHash), account.signingKey, t, expiresAt);
      if (result === 'exists') throw new RelayError('conflict', 'Invite exists');
      return c.json({ expiresAt }, 201);
    })
    .post('/v1/invites/check', bodyLimit(BODY_LIMITS.small), jsonBody(InviteCheckJson), async (c) => {
      const expiresAt = await deps.store.inviteExpiry(sha256(fromBase64url(c.get('json').invite)), now());
      if (expiresAt === undefined) throw new RelayError('not_found', 'Invite unknown, used or expired');
      return c.json({ valid: true as const, expiresAt });
    });
}
