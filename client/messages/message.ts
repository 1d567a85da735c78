/**
 * `message` (PROTOCOL.md §9): what a person writes, text and/or attachments, maybe urgent or a
 * reply. Built from the person's draft (`newMessage`) or from a stored copy of mine for the
 * person's retry (`buildMessage`, client/outbox/delivery.ts `resend`); a received one is stored
 * once per payload id and answered with a `delivered` receipt.
 * @module
 */
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import type { MessagePayload } from '../../shared/payload.ts';
import type { AttachmentMeta, StoredMessage } from '../data/records.ts';
import { flaggedAt, riskOfReceived } from '../triage/risk-flag.ts';
import { afterTheirs } from '../triage/status.ts';
import { payloadOf, type Handler } from './context.ts';
import { newMessageId } from './ids.ts';

/** What the person wrote. */
export interface MessageContent {
  readonly text?: string;
  readonly urgent?: boolean;
  readonly replyTo?: string;
  readonly attachments?: readonly AttachmentMeta[];
}

/** The payload of my message `m` (same id and time as its stored copy). Empty parts are left out. */
export function buildMessage(m: MessageContent & { readonly id: string; readonly sentAt: number }): MessagePayload {
  return payloadOf(
    'message',
    {
      ...(m.text ? { text: m.text } : {}),
      ...(m.urgent ? { urgent: true } : {}),
      ...(m.replyTo ? { replyTo: m.replyTo } : {}),
      ...(m.attachments?.length
        ? { attachments: m.attachments.map((a) => ({ blobId: a.blobId, key: toBase64url(a.key), digest: toBase64url(a.digest), size: a.size, name: a.name, mime: a.mime })) }
        : {}),
    },
    m.sentAt,
    m.id,
  );
}

/** A new message of mine: the copy stored (status `queued`) and its payload, for `Outbox.enqueue`. */
export function newMessage(content: MessageContent, sentAt: number): { payload: MessagePayload; message: StoredMessage } {
  const message: StoredMessage = {
    id: newMessageId(),
    mine: true,
    sentAt,
    status: 'queued',
    ...(content.text ? { text: content.text } : {}),
    ...(content.urgent ? { urgent: true } : {}),
    ...(content.replyTo ? { replyTo: content.replyTo } : {}),
    ...(content.attachments?.length ? { attachments: content.attachments } : {}),
  };
  return { payload: buildMessage(message), message };
}

/**
 * Stores the peer's message (only from a peer we know: a hello or an invite came first) and
 * counts it unread. The ratchet refuses a message key used before, and the slice stores the
 * message in the same transaction as that session step; but a re-send (client/messages/retry.ts,
 * or the person's retry) is a new envelope with the same payload id: kept once, receipted again.
 */
export const applyMessage: Handler<MessagePayload> = async (payload, { writer, conversation, profile, receivedAt, deliveredReceipt, ignore }) => {
  if (!conversation) return ignore('message from no conversation'), undefined;
  deliveredReceipt(conversation.id, payload.id);
  if (await writer.message(conversation.id, payload.id)) return conversation.id;
  // A therapist's device flags risk language in a client's message, here only (client/triage/risk-flag.ts).
  const risk = riskOfReceived(profile.role, payload.text);
  writer.putMessage(conversation.id, {
    id: payload.id,
    mine: false,
    sentAt: payload.sentAt,
    receivedAt,
    status: 'delivered',
    ...(payload.text !== undefined ? { text: payload.text } : {}),
    ...(payload.urgent ? { urgent: true } : {}),
    ...(payload.replyTo ? { replyTo: payload.replyTo } : {}),
    ...(payload.attachments
      ? {
          attachments: payload.attachments.map((a) => ({
            blobId: a.blobId,
            key: fromBase64url(a.key, 32),
            digest: fromBase64url(a.digest, 32),
            size: a.size,
            name: a.name,
            mime: a.mime,
          })),
        }
      : {}),
    ...(risk ? { risk } : {}),
  });
  const counted = {
    ...(risk ? flaggedAt(conversation, receivedAt) : conversation),
    unread: conversation.unread + 1,
    urgentUnread: conversation.urgentUnread + (payload.urgent ? 1 : 0),
    lastAt: Math.max(conversation.lastAt, receivedAt),
  };
  writer.setConversation(afterTheirs(counted, receivedAt, payload.urgent === true)); // needs reply (client/triage/status.ts)
  return conversation.id;
};
