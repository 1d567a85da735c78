/**
 * The outbox: everything this device sends goes through here, written to the vault before any
 * network is tried, and sent exactly once.
 *
 * - `enqueue` stores the message (status `queued`) and its outbox item in one vault
 *   transaction, so a message the person saw as written is never lost, online or not.
 * - `flush` sends in order, one at a time (single flight), and one tab at a time: the queue is
 *   shared by every tab of the origin, so a flush holds the origin-wide outbox lock
 *   (vault/locks.ts) and the others wait their turn, then find what it sent gone.
 * - An item is sealed once: the session step and the envelope saved in the item are one vault
 *   transaction (`VaultProtocolStore.transact`, under the sessions lock), committed before the
 *   first attempt; every retry resends those same bytes under the same message id, which the
 *   relay stores at most once.
 * - No network: the item stays, `flush` stops and runs again on the next trigger (back
 *   online, live socket reconnected, app started, a new message).
 * - A refusal retrying cannot fix (capability revoked: 403) marks the item and its message
 *   `failed` and moves on, so one dead conversation cannot block the others; a 403 also marks
 *   the conversation disconnected (delivery.ts).
 * - What the relay accepted is kept for the peer's retry request, and a re-send goes out under
 *   its own relay message id (`relayId`; delivery.ts, sync/retry.ts).
 * @module
 */
import { fromBase64url } from '../../shared/encoding.ts';
import { encodePayload, type Payload } from '../../shared/payload.ts';
import { sealMessage } from '../../shared/session.ts';
import { OfflineError, RelayApiError, type RelayApi } from '../api/relay.ts';
import { addressOf, outboxKey, type Conversation, type OutboxItem, type Records, type StoredMessage } from '../data/records.ts';
import { rank } from '../messages/status.ts';
import { wakesRecipient } from '../push/quiet.ts';
import { answered } from '../triage/risk-flag.ts';
import { afterMine } from '../triage/status.ts';
import { withLock } from '../vault/locks.ts';
import type { VaultProtocolStore } from '../vault/protocol-store.ts';
import { markDisconnected, rememberSent } from './delivery.ts';
import { asCapability, asMailboxId, asMessageId } from '../../shared/ids.ts';

export interface OutboxDeps {
  readonly records: Records;
  readonly store: VaultProtocolStore;
  readonly api: RelayApi;
  readonly now?: () => number;
  /**
   * Told which conversation changed after each change (a message queued, its status, the queue
   * length); awaited, so `enqueue` resolves once the listener (the app's list refresh) is done.
   */
  readonly onChange?: (conversationId: string) => void | Promise<void>;
}

export class Outbox {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly deps: OutboxDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /**
   * Queues `payload` for the conversation. With `message` (what the person wrote) both are
   * stored together; receipts and hellos have none.
   */
  async enqueue(conversation: Conversation, payload: Payload, message?: StoredMessage): Promise<void> {
    const { records } = this.deps;
    const item: OutboxItem = {
      key: outboxKey(this.now()),
      conversationId: conversation.id,
      messageId: payload.id,
      payload: encodePayload(payload),
      createdAt: this.now(),
      attempts: 0,
    };
    const ops = [records.outboxOp(item)];
    if (message) {
      // The stored conversation, not the caller's copy: a copy taken before the receiver wrote
      // must not undo what it wrote (unread counts, a pending identity that blocks sending).
      const current = (await records.conversation(conversation.id)) ?? conversation;
      // Answered: the thread now waits on the peer (client/triage/status.ts).
      ops.push(...records.messageOps(conversation.id, message), records.conversationOp(afterMine({ ...answered(current), lastAt: message.sentAt })));
    }
    await records.putJSONMany(ops);
    await this.deps.onChange?.(conversation.id);
  }

  /** Items still waiting (the UI's "will send when back online"). */
  async pending(): Promise<number> {
    return (await this.deps.records.outbox()).filter((i) => !i.failed).length;
  }

  /** Sends what is queued; concurrent calls share one run, and a call during a run schedules another. */
  flush(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await withLock(this.lockName, () => this.sendAll());
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** The origin-wide lock of this vault's queue: one tab flushes at a time. */
  private get lockName(): string {
    return `confidant:${this.deps.store.vault.dbName}:outbox`;
  }

  private async sendAll(): Promise<void> {
    const { records } = this.deps;
    for (const queued of await records.outbox()) {
      if (queued.failed) continue;
      const conversation = await records.conversation(queued.conversationId);
      if (!conversation) {
        await records.removeOutboxItem(queued.key);
        continue;
      }
      if (conversation.pendingIdentity || !conversation.sendMailboxId || !conversation.sendCapability) continue;
      try {
        await this.sendOne(queued, conversation);
      } catch (e) {
        if (e instanceof OfflineError) return;
        if (e instanceof RelayApiError && (e.status === 429 || e.status >= 500)) return;
        if (e instanceof RelayApiError && e.status === 403) await markDisconnected(this.deps.records, queued.conversationId, this.now());
        await this.fail(queued, e instanceof RelayApiError ? e.code : e instanceof Error ? e.name : 'error');
      }
    }
  }

  private async sendOne(queued: OutboxItem, conversation: Conversation): Promise<void> {
    const { records, store, api } = this.deps;
    let item = queued;
    if (!item.envelope) {
      // Seal once: the session step and the sealed item commit together, or neither does. The
      // item is read again under the lock, so one sealed elsewhere meanwhile is sent as it is.
      const sealed = await store.transact(async (session) => {
        const current = await records.outboxItem(queued.key);
        if (!current || current.envelope) return current;
        const envelope = await sealMessage(session, addressOf(conversation), asMailboxId(conversation.sendMailboxId!), current.payload);
        const next = { ...current, envelope };
        session.stage(records.toVaultOps([records.outboxOp(next)]));
        return next;
      });
      if (!sealed) return; // sent and removed by another tab
      item = sealed;
    }
    item = { ...item, attempts: item.attempts + 1 };
    await api.send(asCapability(conversation.sendCapability!), asMessageId(fromBase64url(item.relayId ?? item.messageId, 16)), item.envelope!, { quiet: !wakesRecipient(item.payload) });
    await rememberSent(records, item, this.now());
    await records.removeOutboxItem(item.key);
    await this.setStatus(conversation.id, item.messageId, 'sent');
  }

  private async fail(item: OutboxItem, reason: string): Promise<void> {
    await this.deps.records.saveOutboxItem({ ...item, failed: reason });
    await this.setStatus(item.conversationId, item.messageId, 'failed');
  }

  private async setStatus(conversationId: string, messageId: string, status: StoredMessage['status']): Promise<void> {
    const { records } = this.deps;
    const message = await records.message(conversationId, messageId);
    if (message && rank(status) > rank(message.status)) await records.saveMessage(conversationId, { ...message, status });
    await this.deps.onChange?.(conversationId);
  }
}
