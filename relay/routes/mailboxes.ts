/**
 * Mailboxes and delivery capabilities (issue 4; ARCHITECTURE.md, boundary 5). A device creates a
 * mailbox under an id of 16 random bytes it chose, then registers the SHA-256 of each delivery
 * capability it hands out in an invite; a sender presents the secret with `POST /v1/messages`.
 * The relay stores hashes only and never learns who holds which capability.
 *
 *   POST   /v1/mailboxes                          { mailboxId }      -> 201 { mailboxId } / 409
 *   POST   /v1/mailboxes/:id/capabilities         { capabilityHash } -> 201 {}
 *   DELETE /v1/mailboxes/:id/capabilities/:hash                      -> 204 / 404
 *
 * A mailbox that does not exist and one owned by another account both answer 404 `not_found`
 * (no existence oracle for mailbox ids).
 * @module
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { equalBytes } from '../../shared/bytes.ts';
import { fromBase64url } from '../../shared/encoding.ts';
import { b64, CapabilityAddedJson, CapabilityJson, MailboxCreatedJson, MailboxCreateJson, MailboxId } from '../../shared/schemas.ts';
import { SHA256_LEN } from '../../shared/consts.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS } from '../limits.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { jsonBody } from '../middleware/json-body.ts';
import type { Account, Store } from '../storage/types.ts';
import { reply } from '../reply.ts';

const CapabilityHash = b64(SHA256_LEN);

/**
 * The mailbox named by a path parameter, when `account` owns it. Malformed id: 400. Absent or
 * owned by someone else: the same 404, so ids cannot be probed.
 */
export async function ownedMailbox(store: Store, idParam: string, account: Account): Promise<Uint8Array> {
  if (!v.is(MailboxId, idParam)) throw new RelayError('bad_request', 'Malformed mailbox id');
  const mailboxId = fromBase64url(idParam);
  const owner = await store.mailboxOwner(mailboxId);
  if (owner === undefined || !equalBytes(owner, account.signingKey)) throw new RelayError('not_found', 'No such mailbox');
  return mailboxId;
}

export function mailboxRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  const auth = requireAuth(deps);
  return new Hono<RelayEnv>()
    .post('/v1/mailboxes', bodyLimit(BODY_LIMITS.small), jsonBody(MailboxCreateJson), auth, async (c) => {
      const { mailboxId } = c.get('json');
      const result = await deps.store.createMailbox(fromBase64url(mailboxId), c.get('account').signingKey, now());
      if (result === 'exists') throw new RelayError('conflict', 'Mailbox exists');
      return reply(c, MailboxCreatedJson, { mailboxId }, 201);
    })
    .post('/v1/mailboxes/:id/capabilities', bodyLimit(BODY_LIMITS.small), jsonBody(CapabilityJson), auth, async (c) => {
      const mailboxId = await ownedMailbox(deps.store, c.req.param('id'), c.get('account'));
      await deps.store.addCapability(fromBase64url(c.get('json').capabilityHash), mailboxId, now());
      return reply(c, CapabilityAddedJson, {}, 201);
    })
    .delete('/v1/mailboxes/:id/capabilities/:hash', bodyLimit(BODY_LIMITS.none), auth, async (c) => {
      const mailboxId = await ownedMailbox(deps.store, c.req.param('id'), c.get('account'));
      const hash = c.req.param('hash');
      if (!v.is(CapabilityHash, hash)) throw new RelayError('bad_request', 'Malformed capability hash');
      if (!(await deps.store.revokeCapability(fromBase64url(hash), mailboxId, now()))) {
        throw new RelayError('not_found', 'No such capability');
      }
      return c.body(null, 204);
    });
}
