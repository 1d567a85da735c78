/**
 * Delivery that can be seen: nothing of mine sits as "Sent" with no way to "Delivered" or to a
 * visible failure.
 *
 * - `notDelivered`: a message the relay accepted but the peer's device has not confirmed
 *   (no `delivered` receipt) within `DELIVERY_BOUND_MS` (`URGENT_DELIVERY_BOUND_MS` for an
 *   urgent one), or one marked `failed`, is shown as "Not delivered" with a retry. A late
 *   receipt still moves it on to "Delivered".
 * - `resend`: the person's retry: the message is rebuilt from its stored copy and queued again
 *   under a fresh relay message id (the relay keeps acknowledged ids as duplicates), sealed anew.
 * - `rememberSent`: every payload the relay accepted is kept (encrypted in the vault) under its
 *   relay message id for `SENT_KEPT_MS`, for the peer's retry request (client/sync/retry.ts).
 * - `markDisconnected`: the relay refused a send with 403 (the capability we write with was
 *   revoked: on a client, the therapist confirmed a new device); the conversation says so.
 * @module
 */
import { toBase64url } from '../../shared/encoding.ts';
import { encodePayload } from '../../shared/payload.ts';
import { outboxKey, type OutboxItem, type Records, type StoredMessage } from '../data/records.ts';
import { buildMessage } from '../messages/message.ts';
import { randomBytes } from '../../shared/provider.ts';

/**
 * 24 hours. Envelopes wait at the relay for 30 days, but a device that is used at all opens the
 * app within a day (a client between sessions, a therapist between appointments), so a day
 * without a delivered receipt means the message is not getting through (a replaced device, an
 * envelope nobody could open) far more often than a peer who is merely away; and a person told
 * after a day can still act (retry, call). Shorter would call ordinary nights "Not delivered".
 */
export const DELIVERY_BOUND_MS = 24 * 60 * 60 * 1000;
/**
 * 1 hour for a message marked urgent: the writer is waiting for an answer, and must learn soon
 * that it has not arrived so they can use the practice's emergency route instead.
 */
export const URGENT_DELIVERY_BOUND_MS = 60 * 60 * 1000;
/** How long sent payloads are kept for a retry request: the relay's envelope lifetime (30 days). */
export const SENT_KEPT_MS = 30 * 24 * 60 * 60 * 1000;

/** Is `m` (mine) to be shown as "Not delivered", at time `now`? */
export function notDelivered(m: StoredMessage, now: number): boolean {
  if (!m.mine || m.notice) return false;
  if (m.status === 'failed') return true;
  if (m.status !== 'sent') return false;
  const bound = m.urgent ? URGENT_DELIVERY_BOUND_MS : DELIVERY_BOUND_MS;
  return now - (m.relayAt ?? m.sentAt) >= bound;
}

/**
 * The relay accepted `item` (called by the outbox before it drops the item): keep the payload
 * under its relay message id, and note the time on my message (the delivery bound counts from it).
 */
export async function rememberSent(records: Records, item: OutboxItem, now: number): Promise<void> {
  const sent = records.sentOp({
    relayId: item.relayId ?? item.messageId,
    conversationId: item.conversationId,
    messageId: item.messageId,
    payload: item.payload,
    sentAt: now,
    ...(item.resendOf !== undefined ? { resendOf: item.resendOf } : {}),
  });
  const m = await records.message(item.conversationId, item.messageId);
  const relayed = m?.mine && (m.status === 'queued' || m.status === 'sent') ? records.messageOps(item.conversationId, { ...m, relayAt: now }) : [];
  await records.putJSONMany([sent, ...relayed]);
}

/** The conversation's sends are refused for good (403): remember when, once. */
export async function markDisconnected(records: Records, conversationId: string, now: number): Promise<void> {
  const c = await records.conversation(conversationId);
  if (c && c.disconnectedAt === undefined) await records.saveConversation({ ...c, disconnectedAt: now });
}

/**
 * The person asked to send a message of theirs again. Rebuilt from the stored copy (same
 * payload id, so the peer keeps one copy and receipts still find it), queued under a fresh relay
 * message id, status back to "Waiting to send". Failed outbox items of it are dropped. Returns
 * false when there is nothing to resend (not mine, delivered meanwhile, or gone).
 */
export async function resend(records: Records, conversationId: string, messageId: string, now: number): Promise<boolean> {
  const m = await records.message(conversationId, messageId);
  const conversation = await records.conversation(conversationId);
  if (!m || !conversation || !notDelivered(m, now)) return false;
  const payload = buildMessage(m);
  const { relayAt: _relayAt, ...rest } = m;
  const stale = (await records.outbox()).filter((i) => i.conversationId === conversationId && i.messageId === messageId);
  const item: OutboxItem = { key: outboxKey(now), conversationId, messageId, payload: encodePayload(payload), createdAt: now, attempts: 0, relayId: toBase64url(randomBytes(16)) };
  await records.vault.batch([
    ...stale.map((i) => records.outboxRemoveOp(i.key)),
    ...records.toVaultOps([records.outboxOp(item), ...records.messageOps(conversationId, { ...rest, status: 'queued' })]),
  ]);
  return true;
}
