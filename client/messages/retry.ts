/**
 * `retry` (PROTOCOL.md §9.1; Signal's retry receipts): "I could not open the envelope you sent
 * under this relay message id". Built by the recipient's side (client/sync/retry.ts
 * `RetryRequests`, for an envelope whose sealed layer opened but whose inner message did not);
 * applied on the sender's side: the named payload is re-sealed and sent once more under
 * `retryRelayId(first)`, and a request naming that re-send marks the message `failed`.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import type { RetryPayload } from '../../shared/payload.ts';
import { outboxKey, type OutboxItem } from '../data/records.ts';
import { payloadOf, type FieldsOf, type Handler, type ReceiveWriter } from './context.ts';

const RETRY_LABEL = new TextEncoder().encode('Confidant v1 retry relay id\0');

/** The relay message id of the one automatic re-send of what was sent under `relayId` (both sides compute it). */
export function retryRelayId(relayId: string): string {
  const input = new Uint8Array(RETRY_LABEL.length + 16);
  input.set(RETRY_LABEL);
  input.set(fromBase64url(relayId, 16), RETRY_LABEL.length);
  return toBase64url(sha256(input).subarray(0, 16));
}

/** Asks the peer to re-send what it sent under relay id `messageId`, which the relay stored at `receivedAt`. */
export const buildRetry = (fields: FieldsOf<'retry'>, sentAt: number): RetryPayload => payloadOf('retry', fields, sentAt);

const resentInSlice = new WeakMap<ReceiveWriter, Set<string>>();

/**
 * The sender's side: `payload` arrived from the peer of the conversation. Re-sends the named
 * payload once (an outbox item written in the slice's transaction), or marks its message
 * `failed` when the named envelope was that re-send. Anything else (an id we never sent, sent
 * in another conversation, or re-sent already) changes nothing (PROTOCOL.md §9.1).
 */
export const applyRetry: Handler<RetryPayload> = async (payload, { records, writer, conversation, now, ignore }) => {
  if (!conversation) return ignore('retry from no conversation'), undefined;
  const sent = await records.sentRecord(payload.messageId);
  if (!sent || sent.conversationId !== conversation.id) return conversation.id;
  // The slice's writes land at its end: remember re-sends made in it (the same request twice in one page).
  let resentHere = resentInSlice.get(writer);
  if (!resentHere) resentInSlice.set(writer, (resentHere = new Set()));
  if (resentHere.has(sent.relayId)) return conversation.id;
  resentHere.add(sent.relayId);
  if (sent.resendOf !== undefined) {
    const mine = await writer.message(conversation.id, sent.messageId);
    if (mine?.mine && (mine.status === 'queued' || mine.status === 'sent')) writer.putMessage(conversation.id, { ...mine, status: 'failed' });
    return conversation.id;
  }
  if (sent.resent) return conversation.id;
  const item: OutboxItem = {
    key: outboxKey(now),
    conversationId: conversation.id,
    messageId: sent.messageId,
    payload: sent.payload,
    createdAt: now,
    attempts: 0,
    relayId: retryRelayId(sent.relayId),
    resendOf: sent.relayId,
  };
  writer.ops.push(records.outboxOp(item), records.sentOp({ ...sent, resent: true }));
  return conversation.id;
};
