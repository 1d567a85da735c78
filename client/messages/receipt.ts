/**
 * `receipt` (PROTOCOL.md §9): the peer's device has my messages (`delivered`, sent by the
 * receiver once per conversation per page) or the person read them (`read`, sent when a
 * conversation is opened). A received one moves my messages' status forward, never back.
 * @module
 */
import type { ReceiptPayload } from '../../shared/payload.ts';
import { payloadOf, type FieldsOf, type Handler } from './context.ts';
import { rank } from './status.ts';

/** At most this many message ids in one receipt (the schema's limit). */
export const MAX_RECEIPT_IDS = 500;

/** A receipt for up to `MAX_RECEIPT_IDS` of the peer's messages. */
export const buildReceipt = (fields: FieldsOf<'receipt'>, sentAt: number): ReceiptPayload => payloadOf('receipt', fields, sentAt);

export const applyReceipt: Handler<ReceiptPayload> = async (payload, { writer, conversation, ignore }) => {
  if (!conversation) return ignore('receipt from no conversation'), undefined;
  for (const messageId of payload.messageIds) {
    const mine = await writer.message(conversation.id, messageId);
    if (mine?.mine && rank(payload.status) > rank(mine.status)) writer.putMessage(conversation.id, { ...mine, status: payload.status });
  }
  return conversation.id;
};
