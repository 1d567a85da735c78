/**
 * Invites (issue 4, short invites issue 11): a therapist records the SHA-256 of an invite secret
 * it hands to one future client (out of band); the client's registration presents the secret.
 * The relay never sees the secret before it is used. Valid for INVITE_TTL_MS (relay/limits.ts).
 *
 *   POST /v1/invites  { inviteHash, id?, body? } -> 201 { expiresAt }   (therapist accounts only:
 *                                        else 403; a hash or id stored already, by anyone: 409,
 *                                        nothing changes)
 *   POST /v1/invites/check  { invite } -> 200 { valid: true, expiresAt }   (issue 9 item 11)
 *                                        unknown, used or expired: 404, one answer for all three
 *   GET  /v1/invites/:id               -> 200 { body, expiresAt }   (unauthenticated)
 *                                        unknown, revoked, used or expired: 404, one answer
 *   POST /v1/invites/revoke { inviteHash } -> 200 { revoked: true }   (therapist accounts only)
 *                                        not this therapist's unused invite: 404, nothing changes
 *
 * A short invite (docs/PROTOCOL.md §14, link version 2) stores its body, encrypted on the
 * therapist's device under a key the relay never sees, in the same row as its hash, written by
 * the one signed request: that row is what binds the two. Revoking deletes the row (the secret
 * no longer registers, the body is no longer served), registering clears the body, the sweeper
 * deletes expired rows. The fetch is unauthenticated (the person opening the link has no account
 * yet): the id is 128 bits derived from the link's secret, so bodies cannot be listed or guessed,
 * and every fetch costs the asking address a token (the address rate limit). What the relay
 * learns from it is an id, a padded size and times (docs/THREAT-MODEL.md).
 *
 * The check lets a client opening a link learn at once that it is used or expired, instead of
 * at the end of joining. It takes the secret (as registration does), never the hash, so only
 * the link's holder can ask; a guess is a 256-bit guess, and each costs the asking address a
 * token (the address rate limit). It is unauthenticated (the person has no account yet),
 * consumes nothing, and answers nothing the link does not already carry (its expiry).
 * @module
 */
import { Hono } from 'hono';
import { INVITE_ID_LEN } from '../../shared/consts.ts';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { InviteCheckJson, InviteJson, InviteRevokeJson } from '../../shared/schemas.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS, INVITE_TTL_MS } from '../limits.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { sha256 } from '../secret-hash.ts';

/** A short invite's id in the path: 22 base64url characters of 16 bytes; anything else is 400. */
function inviteIdParam(text: string): Uint8Array {
  try {
    return fromBase64url(text, INVITE_ID_LEN);
  } catch {
    throw new RelayError('bad_request', 'Malformed invite id');
  }
}

/** Decodes a base64url field the schema let through; a non-canonical one is 400. */
function bytesField(text: string, name: string): Uint8Array {
  try {
    return fromBase64url(text);
  } catch {
    throw new RelayError('bad_request', `Malformed ${name}`);
  }
}

export function inviteRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  const therapistOnly = (kind: string) => {
    if (kind !== 'therapist') throw new RelayError('forbidden', 'Only therapist accounts may invite');
  };
  return new Hono<RelayEnv>()
    .post('/v1/invites', bodyLimit(BODY_LIMITS.invite), jsonBody(InviteJson), requireAuth(deps), async (c) => {
      const account = c.get('account');
      therapistOnly(account.kind);
      const { inviteHash, id, body } = c.get('json');
      const t = now();
      const expiresAt = t + INVITE_TTL_MS;
      const hash = fromBase64url(inviteHash);
      const result =
        id !== undefined && body !== undefined
          ? await deps.store.addInviteWithBody({ inviteHash: hash, bodyId: fromBase64url(id), body: bytesField(body, 'invite body') }, account.signingKey, t, expiresAt)
          : await deps.store.addInvite(hash, account.signingKey, t, expiresAt);
      if (result === 'exists') throw new RelayError('conflict', 'Invite exists');
      return c.json({ expiresAt }, 201);
    })
    .post('/v1/invites/check', bodyLimit(BODY_LIMITS.small), jsonBody(InviteCheckJson), async (c) => {
      const expiresAt = await deps.store.inviteExpiry(sha256(fromBase64url(c.get('json').invite)), now());
      if (expiresAt === undefined) throw new RelayError('not_found', 'Invite unknown, used or expired');
      return c.json({ valid: true as const, expiresAt });
    })
    .post('/v1/invites/revoke', bodyLimit(BODY_LIMITS.small), jsonBody(InviteRevokeJson), requireAuth(deps), async (c) => {
      const account = c.get('account');
      therapistOnly(account.kind);
      if (!(await deps.store.revokeInvite(fromBase64url(c.get('json').inviteHash), account.signingKey))) {
        throw new RelayError('not_found', 'No unused invite of yours with this hash');
      }
      return c.json({ revoked: true as const });
    })
    .get('/v1/invites/:id', bodyLimit(BODY_LIMITS.none), async (c) => {
      const found = await deps.store.inviteBody(inviteIdParam(c.req.param('id')), now());
      if (!found) throw new RelayError('not_found', 'Invite unknown, withdrawn, used or expired');
      return c.json({ body: toBase64url(found.body), expiresAt: found.expiresAt });
    });
}
