/**
 * Messages (issue 4; ARCHITECTURE.md, boundaries 1 and 5). Sending is sealed sender: no account
 * signature, the sender's identity travels inside the envelope. The relay accepts an envelope
 * when the sender presents a delivery capability the mailbox owner registered (and has not
 * revoked); it reads only the mailbox id from the envelope header (`envelopeMailboxId`).
 *
 *   POST /v1/messages   raw envelope (application/octet-stream, MIN_ENVELOPE_LEN..256 KiB)
 *        headers confidant-capability: b64(32) secret, confidant-message-id: b64(16),
 *                optional confidant-push: quiet (no push to the owner's devices; routes/push.ts)
 *        -> 201 { seq } stored / 200 { seq } duplicate (same id, same bytes; after an ack too,
 *           until the original's expiry: Store.ackMessages keeps a tombstone) / 409 conflict
 *           403 capability missing, malformed, revoked or for another mailbox (one answer)
 *           429 `quota` mailbox full
 *   GET  /v1/mailboxes/:id/messages?after=<seq>&limit=<1..500>   (owner, signed)
 *        -> 200 { messages: [{ seq, messageId, envelope, receivedAt }], more }
 *   POST /v1/mailboxes/:id/ack  { messageIds (1..500) }          (owner, signed)
 *        -> 200 { deleted }
 *
 * Messages expire `messageTtlMs` after receipt (default `DEFAULT_MESSAGE_TTL_MS`, relay/limits.ts); after a store the mailbox's
 * subscribers are told through `store.notifier`.
 * @module
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { envelopeMailboxId } from '../../shared/sealed.ts';
import { AckedJson, AckJson, MessageId, MessagesPageJson, MessageStoredJson, b64 } from '../../shared/schemas.ts';
import { MAX_MESSAGES_PER_PAGE, SHA256_LEN } from '../../shared/consts.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS, DEFAULT_MAILBOX_QUOTA, DEFAULT_MESSAGE_PAGE, DEFAULT_MESSAGE_TTL_MS } from '../limits.ts';
import { requireAuth } from '../middleware/auth.ts';
import { boundedBody } from '../middleware/bounded-body.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { sha256 } from '../secret-hash.ts';
import { ownedMailbox } from './mailboxes.ts';
import { reply } from '../reply.ts';

const CapabilitySecret = b64(SHA256_LEN);
const SEQ = /^(0|[1-9]\d{0,15})$/;

const refusedCapability = (): RelayError => new RelayError('forbidden', 'Delivery capability refused');

function pageParams(after: string | undefined, limit: string | undefined): { after: number; limit: number } {
  const a = after === undefined ? 0 : SEQ.test(after) ? Number(after) : NaN;
  const l = limit === undefined ? DEFAULT_MESSAGE_PAGE : /^\d{1,3}$/.test(limit) ? Number(limit) : NaN;
  if (!Number.isSafeInteger(a)) throw new RelayError('bad_request', 'Invalid query after (expected a non-negative integer)');
  if (!(l >= 1 && l <= MAX_MESSAGES_PER_PAGE)) throw new RelayError('bad_request', `Invalid query limit (expected 1..${MAX_MESSAGES_PER_PAGE})`);
  return { after: a, limit: l };
}

export function messageRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  const ttl = deps.messageTtlMs ?? DEFAULT_MESSAGE_TTL_MS;
  const quota = deps.mailboxQuota ?? DEFAULT_MAILBOX_QUOTA;
  const auth = requireAuth(deps);
  return new Hono<RelayEnv>()
    .post('/v1/messages', boundedBody(BODY_LIMITS.envelope), async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/octet-stream') {
        throw new RelayError('unsupported_media_type', 'Content-Type must be application/octet-stream');
      }
      const messageIdText = c.req.header('confidant-message-id') ?? '';
      if (!v.is(MessageId, messageIdText)) throw new RelayError('bad_request', 'Malformed confidant-message-id header');
      const envelope = c.get('body');
      let mailboxId: Uint8Array;
      try {
        mailboxId = envelopeMailboxId(envelope);
      } catch {
        throw new RelayError('bad_request', 'Malformed envelope');
      }
      const capability = c.req.header('confidant-capability') ?? '';
      if (!v.is(CapabilitySecret, capability)) throw refusedCapability();
      if (!(await deps.store.checkCapability(sha256(fromBase64url(capability)), mailboxId))) throw refusedCapability();
      const receivedAt = now();
      const result = await deps.store.putMessage(
        { messageId: fromBase64url(messageIdText), mailboxId, envelope, receivedAt, expiresAt: receivedAt + ttl },
        quota,
      );
      switch (result.status) {
        case 'stored':
          await deps.store.notifier.publish(mailboxId, result.seq);
          // A send marked quiet (a receipt, a retry request: client/push/quiet.ts) wakes no one.
          if (c.req.header('confidant-push') !== 'quiet') deps.push?.messageStored(mailboxId);
          return reply(c, MessageStoredJson, { seq: result.seq }, 201);
        case 'duplicate':
          return reply(c, MessageStoredJson, { seq: result.seq });
        case 'conflict':
          throw new RelayError('conflict', 'Message id holds another envelope');
        case 'quota':
          throw new RelayError('quota', 'Mailbox is full');
      }
    })
    .get('/v1/mailboxes/:id/messages', boundedBody(BODY_LIMITS.none), auth, async (c) => {
      const mailboxId = await ownedMailbox(deps.store, c.req.param('id'), c.get('account'));
      const { after, limit } = pageParams(c.req.query('after'), c.req.query('limit'));
      const rows = await deps.store.listMessages(mailboxId, { after, limit: limit + 1, now: now() });
      const page = rows.slice(0, limit);
      return reply(c, MessagesPageJson, {
        messages: page.map((m) => ({
          seq: m.seq,
          messageId: toBase64url(m.messageId),
          envelope: toBase64url(m.envelope),
          receivedAt: m.receivedAt,
        })),
        more: rows.length > limit,
      });
    })
    .post('/v1/mailboxes/:id/ack', boundedBody(BODY_LIMITS.ack), jsonBody(AckJson), auth, async (c) => {
      const mailboxId = await ownedMailbox(deps.store, c.req.param('id'), c.get('account'));
      const deleted = await deps.store.ackMessages(mailboxId, c.get('json').messageIds.map((id) => fromBase64url(id)));
      return reply(c, AckedJson, { deleted });
    });
}
