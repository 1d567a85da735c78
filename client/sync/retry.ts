/**
 * Retry requests (PROTOCOL.md §9 `retry`; Signal's retry receipts): a message that cannot be
 * opened is never lost without a word.
 *
 * Recipient: an envelope whose sealed-sender layer opens (so its sender is authenticated) but
 * whose inner message does not decrypt or parse names a peer we have a conversation with. We
 * tell that peer, inside the session, the relay message id we could not open (`RetryRequests`).
 * If the peer's one re-send fails too (its relay id is `retryRelayId` of the first), or we have
 * asked that peer too often lately, the conversation shows "A message from <name> could not be
 * opened" (a `notice` record) instead.
 *
 * Sender: every payload sent is kept for `SENT_KEPT_MS` under its relay message id
 * (`SentRecord`). On a retry request from the conversation it was sent in, the payload is
 * re-sealed (a new message key) and sent once more under `retryRelayId(first)`; a retry request
 * for that re-send marks the message `failed` ("Not delivered"). That side is the `retry` kind's
 * handler (client/messages/retry.ts), as receiving dispatches every payload by kind.
 *
 * An envelope whose sealed layer does not open names no one we could tell: the sender's delivery
 * bound (client/outbox/delivery.ts) catches that case.
 * Does not: touch session state (shared/ leaves it as it was on any refusal).
 * @module
 */
import { identityId, type Identity } from '../../shared/keys.ts';
import type { RetryPayload } from '../../shared/payload.ts';
import { openEnvelope } from '../../shared/sealed.ts';
import type { Records, RetryAsk } from '../data/records.ts';
import type { ReceiveWriter } from '../messages/context.ts';
import { buildRetry, retryRelayId } from '../messages/retry.ts';
import { SENT_KEPT_MS } from '../outbox/delivery.ts';

/** At most this many retry requests to one peer per `RETRY_ASK_WINDOW_MS`: two broken sessions cannot ping-pong requests. */
export const MAX_RETRY_ASKS = 20;
export const RETRY_ASK_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * The recipient's side, for one page of envelopes: decides, per envelope that failed to open,
 * whether to ask its sender for a re-send or to show that it could not be opened. Requests are
 * collected in `requests` and queued by the receiver after the page's slices committed.
 */
export class RetryRequests {
  readonly requests: { conversationId: string; payload: RetryPayload }[] = [];
  private readonly asks = new Map<string, RetryAsk[]>();

  constructor(
    private readonly records: Records,
    private readonly identity: Identity,
    private readonly now: () => number,
  ) {}

  private async asksOf(conversationId: string): Promise<RetryAsk[]> {
    let list = this.asks.get(conversationId);
    if (!list) this.asks.set(conversationId, (list = await this.records.retryAsks(conversationId)));
    return list;
  }

  /**
   * `envelope` (relay id `relayId`) did not open. Returns the conversation of its sender (told,
   * or shown the failure); undefined when the sealed layer itself did not open or names no peer.
   */
  async unopened(writer: ReceiveWriter, envelope: Uint8Array, relayId: string, receivedAt: number): Promise<string | undefined> {
    let sender;
    try {
      sender = (await openEnvelope(this.identity, envelope)).sender;
    } catch {
      return undefined;
    }
    const conversation = await writer.byAddress(identityId(sender));
    if (!conversation) return undefined;
    const asks = await this.asksOf(conversation.id);
    if (asks.some((a) => a.relayId === relayId)) return conversation.id; // the same envelope again (no ack yet): asked already
    const now = this.now();
    const secondFailure = asks.some((a) => retryRelayId(a.relayId) === relayId);
    const recent = asks.filter((a) => now - a.askedAt < RETRY_ASK_WINDOW_MS).length;
    if (secondFailure || recent >= MAX_RETRY_ASKS) {
      writer.putMessage(conversation.id, { id: `unopened:${relayId}`, mine: false, sentAt: receivedAt, receivedAt, status: 'delivered', notice: 'unopenable' });
      const current = (await writer.byId(conversation.id)) ?? conversation;
      writer.setConversation({ ...current, unread: current.unread + 1, lastAt: Math.max(current.lastAt, receivedAt) });
    }
    if (recent >= MAX_RETRY_ASKS) return conversation.id;
    // Also after a second failure: the request tells the sender its re-send failed ("Not delivered").
    const ask: RetryAsk = { relayId, askedAt: now };
    asks.push(ask);
    writer.ops.push(this.records.retryAskOp(conversation.id, ask));
    this.requests.push({ conversationId: conversation.id, payload: buildRetry({ messageId: relayId, receivedAt }, now) });
    return conversation.id;
  }
}

/** Forgets sent payloads and retry requests older than any envelope the relay still keeps. */
export async function pruneRetryRecords(records: Records, now: number): Promise<void> {
  for (const r of await records.sentRecords()) if (now - r.sentAt > SENT_KEPT_MS) await records.removeSentRecord(r.relayId);
  for (const c of await records.conversations()) {
    for (const a of await records.retryAsks(c.id)) if (now - a.askedAt > SENT_KEPT_MS) await records.removeRetryAsk(c.id, a.relayId);
  }
}
