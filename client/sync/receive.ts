/**
 * Receiving: pull our mailbox from the relay (the source of truth), open each envelope, store
 * what it says, and only then acknowledge it, so the relay deletes nothing this device has not
 * kept.
 *
 * - Pages of up to 200 envelopes; each page's results are written to the vault in one batch
 *   per envelope group, then acknowledged in one call. A crash before the ack means the same
 *   envelopes come again: the ratchet reports them as `duplicate` and they are acknowledged
 *   without a second copy. Each envelope's session step is committed only after what it says
 *   is stored, so a crash in between opens it again rather than losing it.
 * - A message that fails to open (tampered, replayed, from an unknown or changed identity the
 *   protocol refuses) is counted and acknowledged: it can never be opened, and the protocol
 *   leaves session state untouched when it refuses (shared/session.ts).
 * - Work yields to the browser between envelopes so a backlog of hundreds opens without
 *   freezing the page.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64url } from '../../shared/encoding.ts';
import { encodePublicIdentity, identityId, type PublicIdentity } from '../../shared/keys.ts';
import { decodePayload, type Payload } from '../../shared/payload.ts';
import { isRejectedMessage, openMessage } from '../../shared/session.ts';
import { fromBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import type { RelayApi } from '../api/relay.ts';
import { addressOf, type Conversation, type Profile, type Records, type StoredMessage } from '../data/records.ts';
import { newMessageId, rank, withSessionLock, type Outbox } from '../outbox/outbox.ts';
import type { VaultProtocolStore } from '../vault/protocol-store.ts';

export interface ReceiveDeps {
  readonly records: Records;
  readonly store: VaultProtocolStore;
  readonly api: RelayApi;
  readonly identity: Identity;
  readonly profile: Profile;
  readonly outbox: Outbox;
  readonly now?: () => number;
  /** Told which conversations changed (new message, status, new conversation). */
  readonly onChange?: (conversationIds: ReadonlySet<string>) => void;
}

export interface PullResult {
  readonly received: number;
  readonly rejected: number;
}

const PAGE = 200;
const yieldToBrowser = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

export class Receiver {
  private running: Promise<PullResult> | undefined;
  private again = false;

  constructor(private readonly deps: ReceiveDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Fetches and processes everything waiting; concurrent calls share a run (and schedule one more). */
  pull(): Promise<PullResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let received = 0;
      let rejected = 0;
      try {
        do {
          this.again = false;
          const r = await this.pullAll();
          received += r.received;
          rejected += r.rejected;
        } while (this.again);
      } finally {
        this.running = undefined;
      }
      return { received, rejected };
    })();
    return this.running;
  }

  private async pullAll(): Promise<PullResult> {
    const { records, api, identity, profile } = this.deps;
    const mailbox = toBase64url(profile.mailboxId);
    let received = 0;
    let rejected = 0;
    for (;;) {
      const after = await records.syncCursor(mailbox);
      const page = await api.fetchMessages(identity, profile.mailboxId, after, PAGE);
      if (page.messages.length === 0) break;
      const changed = new Set<string>();
      const delivered = new Map<string, string[]>();
      let last = after;
      for (const m of page.messages) {
        const outcome = await this.process(m.envelope, m.receivedAt, changed, delivered);
        if (outcome === 'stored') received++;
        else if (outcome === 'rejected') rejected++;
        last = Math.max(last, m.seq);
        await yieldToBrowser();
      }
      // One "delivered" receipt per conversation per page, queued before the ack.
      for (const [conversationId, messageIds] of delivered) {
        const conversation = await records.conversation(conversationId);
        for (let i = 0; conversation && i < messageIds.length; i += 500) {
          await this.deps.outbox.enqueue(conversation, { v: 1, type: 'receipt', id: newMessageId(), sentAt: this.now(), status: 'delivered', messageIds: messageIds.slice(i, i + 500) });
        }
      }
      await api.ack(identity, profile.mailboxId, page.messages.map((m) => m.messageId));
      await records.saveSyncCursor(mailbox, last);
      if (changed.size > 0) this.deps.onChange?.(changed);
      if (!page.more) break;
    }
    if (received > 0) void this.deps.outbox.flush();
    return { received, rejected };
  }

  private process(envelope: Uint8Array, receivedAt: number, changed: Set<string>, delivered: Map<string, string[]>): Promise<'stored' | 'rejected' | 'duplicate'> {
    // One session step at a time on this device: the outbox may be sealing meanwhile.
    return withSessionLock(this.deps.store, () => this.processLocked(envelope, receivedAt, changed, delivered));
  }

  private async processLocked(envelope: Uint8Array, receivedAt: number, changed: Set<string>, delivered: Map<string, string[]>): Promise<'stored' | 'rejected' | 'duplicate'> {
    // The session change waits in a batch until what the envelope says is stored: a crash in
    // between opens the envelope again next time (storing is idempotent) instead of finding its
    // message key used up and the message lost.
    const session = this.deps.store.batch();
    let opened;
    try {
      opened = await openMessage(session, envelope);
    } catch (e) {
      if (isRejectedMessage(e)) return e.code === 'duplicate' ? 'duplicate' : 'rejected';
      throw e;
    }
    let payload: Payload;
    try {
      payload = decodePayload(opened.plaintext);
    } catch (e) {
      if (isRejectedMessage(e)) {
        await session.commit();
        return 'rejected';
      }
      throw e;
    }
    const id = await this.apply(opened.sender, opened.address, payload, receivedAt);
    await session.commit();
    if (id !== undefined && payload.type === 'message') delivered.set(id, [...(delivered.get(id) ?? []), payload.id]);
    if (id !== undefined) changed.add(id);
    return 'stored';
  }

  /**
   * Stores what `payload` from the peer at session `address` says. Returns the conversation it
   * changed, if any (for a new message: to acknowledge it as delivered).
   */
  private async apply(sender: PublicIdentity, address: string, payload: Payload, receivedAt: number): Promise<string | undefined> {
    const { records } = this.deps;
    let conversation = await records.conversationByAddress(address);
    switch (payload.type) {
      case 'hello': {
        if (this.deps.profile.role !== 'therapist') return undefined;
        const invite = await records.invite(payload.inviteHash);
        const replaced = invite?.replaces ? await records.conversation(invite.replaces) : undefined;
        if (replaced && addressOf(replaced) !== address && !conversation) {
          // The person joined again from a re-invite (a new device): a new identity for an
          // existing conversation. Sending stays blocked until the therapist acknowledges it.
          await records.putJSONMany([
            records.conversationOp({
              ...replaced,
              pendingIdentity: encodePublicIdentity(sender),
              pendingAddress: address,
              sendMailboxId: fromBase64url(payload.mailboxId, 16),
              sendCapability: fromBase64url(payload.capability, 32),
              issuedCapability: invite!.capability,
              lastAt: Math.max(replaced.lastAt, receivedAt),
            }),
          ]);
          if (!invite!.usedBy) await records.saveInvite({ ...invite!, usedBy: replaced.id });
          return replaced.id;
        }
        const base: Conversation = conversation ?? {
          id: address,
          peer: encodePublicIdentity(sender),
          label: invite?.label ?? 'New client',
          unread: 0,
          urgentUnread: 0,
          lastAt: receivedAt,
        };
        conversation = {
          ...base,
          sendMailboxId: fromBase64url(payload.mailboxId, 16),
          sendCapability: fromBase64url(payload.capability, 32),
          ...(invite ? { inviteHash: invite.hash, issuedCapability: invite.capability } : {}),
        };
        await records.saveConversation(conversation);
        if (invite && !invite.usedBy) await records.saveInvite({ ...invite, usedBy: conversation.id });
        return conversation.id;
      }
      case 'consent': {
        if (!conversation) return undefined;
        if (payload.action === 'accept') await records.saveConversation({ ...conversation, consentDigest: payload.documentDigest, consentAt: payload.sentAt });
        return conversation.id;
      }
      case 'receipt': {
        if (!conversation) return undefined;
        for (const messageId of payload.messageIds) {
          const mine = await records.message(conversation.id, messageId);
          if (mine?.mine && rank(payload.status) > rank(mine.status)) await records.saveMessage(conversation.id, { ...mine, status: payload.status });
        }
        return conversation.id;
      }
      case 'message': {
        if (!conversation) return undefined; // only peers we know (a hello or an invite came first)
        // Stored before a crash that kept the session from advancing: acknowledge it as delivered again.
        if (await records.message(conversation.id, payload.id)) return conversation.id;
        const message: StoredMessage = {
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
        };
        const updated: Conversation = {
          ...conversation,
          unread: conversation.unread + 1,
          urgentUnread: conversation.urgentUnread + (payload.urgent ? 1 : 0),
          lastAt: Math.max(conversation.lastAt, receivedAt),
        };
        await records.putJSONMany([...records.messageOps(conversation.id, message), records.conversationOp(updated)]);
        return conversation.id;
      }
    }
  }
}

/** SHA-256 of a consent text, as the consent payload names it. */
export const consentDigest = (text: string): string => toBase64url(sha256(new TextEncoder().encode(text)));

export const conversationIdOf = (identity: PublicIdentity): string => identityId(identity);
