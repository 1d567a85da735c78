/**
 * What the app keeps in the vault, typed, and the one place that knows the collections'
 * names and keys. Every record read is checked against its schema (schemas.ts): one that does
 * not match is a VaultError `malformed` at that read. Every value is encrypted by the vault (client/vault/); this module never
 * sees ciphertext and never talks to the relay.
 *
 *   profile        ''        'me'                 Profile
 *   conversations  ''        conversation id      Conversation
 *   messages       conv id   messageKey()         StoredMessage (time order)
 *   message-keys   conv id   message id           its messageKey (receipts, replies)
 *   invites        ''        invite hash (b64)    LocalInvite
 *   outbox         ''        outboxKey()          OutboxItem (queue order)
 *   sync           ''        mailbox id (b64)     { after: seq } fetch cursor
 *   drafts         conv id   'draft'              Draft (what the composer holds, unsent)
 *   sent           ''        relay message id     SentRecord (what a retry request re-sends)
 *   retry-asks     conv id   relay message id     RetryAsk (envelopes we asked the peer to re-send)
 *   consent-records, consent-versions: client/data/consent.ts (consent over time)
 * @module
 */
import type * as v from 'valibot';
import type { SignedPractice } from '../../shared/practice.ts';
import type { Vault, VaultChange, VaultEntry, VaultOp } from '../vault/vault.ts';
import { decodeValue, encodeValue, type VaultValue } from '../vault/codec.ts';
import type { RiskCategory } from '../triage/risk.ts';
import { checked, ConversationSchema, DraftSchema, LocalInviteSchema, OutboxItemSchema, ProfileSchema, RetryAskSchema, SentRecordSchema, StoredMessageSchema } from './schemas.ts';

export type Role = 'therapist' | 'client';

export interface Profile {
  readonly role: Role;
  /** Therapist: the practice name clients see. Client: the practice they joined. */
  readonly practiceName: string;
  /** Our mailbox on the relay (16 random bytes). */
  readonly mailboxId: Uint8Array;
  readonly createdAt: number;
  /** Therapist: consent text and emergency notice put into each invite. */
  readonly consentText?: string;
  readonly emergencyNotice?: string;
  /** Minutes of inactivity before the app locks itself. */
  readonly autoLockMinutes: number;
  /** When the relay last confirmed our mailbox and signed/KEM prekeys (absent: not yet). */
  readonly provisionedAt?: number;
  /** Therapist: the version of `consentText` (client/data/consent.ts); absent: 1. */
  readonly consentVersion?: number;
  /**
   * This vault was restored from a backup made at `backupAt` (client/backup/restore.ts), at `at`;
   * `done` once sessions were restarted and fresh prekeys published.
   */
  readonly restoredFrom?: { readonly backupAt: number; readonly at: number; readonly done?: boolean };
  /** Therapist: the practice information as last saved and signed (client/messages/practice.ts). */
  readonly practice?: SignedPractice;
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface AttachmentMeta {
  readonly blobId: string;
  readonly key: Uint8Array;
  readonly digest: Uint8Array;
  readonly size: number;
  readonly name: string;
  readonly mime: string;
}

export interface StoredMessage {
  /** The payload id (b64url of 16 random bytes), also the relay message id when ours. */
  readonly id: string;
  readonly mine: boolean;
  readonly text?: string;
  readonly urgent?: boolean;
  readonly replyTo?: string;
  readonly attachments?: readonly AttachmentMeta[];
  readonly sentAt: number;
  readonly receivedAt?: number;
  readonly status: MessageStatus;
  /** Theirs: we told them we read it. */
  readonly readSent?: boolean;
  /** Mine: when the relay last accepted it (the delivery bound counts from here). */
  readonly relayAt?: number;
  /**
   * Theirs: not a message but a notice that a message from the peer could not be opened (even
   * after one re-send); `id` is `unopened:` and the envelope's relay message id. Rendered by the app, never as peer text.
   * `restored`: where this device's history stops, when it was restored from a backup (`id` is `restored:` and the backup's time).
   */
  readonly notice?: 'unopenable' | 'restored';
  /** Theirs, on a therapist's device: the categories the on-device risk detector flagged in its text (client/triage/risk.ts). */
  readonly risk?: readonly RiskCategory[];
}

export interface Conversation {
  /** Stable id: the first peer identity's id (shared/session.ts `addressOf`). */
  readonly id: string;
  /** The session address of the pinned peer (its identity id); absent: `id`. */
  readonly address?: string;
  /** The peer's encoded public identity as pinned (129 bytes). */
  readonly peer: Uint8Array;
  /** What this device calls the peer: a therapist's label for a client, or the practice name. */
  readonly label: string;
  /** Where we deliver: the peer's mailbox and the capability they issued us (absent until known). */
  readonly sendMailboxId?: Uint8Array;
  readonly sendCapability?: Uint8Array;
  /** The capability we issued them for our mailbox (its hash lets us revoke it). */
  readonly issuedCapability?: Uint8Array;
  readonly inviteHash?: string;
  readonly unread: number;
  readonly urgentUnread: number;
  readonly lastAt: number;
  /**
   * A new identity arrived for this person (they joined again from a re-invite, e.g. on a new
   * device): sending is blocked until the person acknowledges the new safety number.
   */
  readonly pendingIdentity?: Uint8Array;
  /** Session address of `pendingIdentity`. */
  readonly pendingAddress?: string;
  /** When the safety number was last confirmed in person. */
  readonly verifiedAt?: number;
  /** Client side: the consent text accepted (its SHA-256, b64url) and when. */
  readonly consentDigest?: string;
  readonly consentAt?: number;
  /** The capability issued with the re-invite a pending identity answered; it replaces `issuedCapability` on confirmation. */
  readonly pendingIssuedCapability?: Uint8Array;
  /** Capabilities we issued to a replaced device, still to be revoked at the relay (kept until it confirms). */
  readonly retiredCapabilities?: readonly Uint8Array[];
  /**
   * The relay refused our sends with 403 (the peer revoked the capability we write with: on a
   * client, the therapist confirmed a new device of ours). Sending here cannot work again.
   */
  readonly disconnectedAt?: number;
  /** Client side: the therapist's emergency notice and consent text, as in the invite. */
  readonly emergencyNotice?: string;
  readonly consentText?: string;
  /** The newest client message the on-device risk detector flagged, not yet answered (client/triage/risk.ts) */
  readonly riskFlaggedAt?: number;
  /**
   * Consent over time (client/messages/consent.ts). Both sides: the version of the consent text
   * last accepted (absent with a `consentDigest`: 1, accepted before versions), and when the
   * client withdrew their consent (absent: not withdrawn since they last accepted).
   */
  readonly consentVersion?: number;
  readonly consentWithdrawnAt?: number;
  /** Client side: a newer version the therapist offered, to accept before writing again. */
  readonly consentOffer?: ConsentOffer;
  /** Triage (client/triage/status.ts): when the client's oldest message not yet answered arrived (the relay's time); absent once answered. */
  readonly waitingSince?: number;
  /** Triage: when the client's newest urgent message not yet answered arrived; absent once answered. */
  readonly urgentSince?: number;
  /** Triage: the status the therapist set by hand; holds until the next message ("done": until the client writes). */
  readonly statusByHand?: 'needs-reply' | 'waiting' | 'done';
  /** Triage: hidden from the inbox until then; kept once due ("back from snooze") until the thread is opened. */
  readonly snoozedUntil?: number;
  /** Therapist side: labels and a private note about this client, on this device only (never sent). */
  readonly labels?: readonly string[];
  readonly privateNote?: string;
  /** Client side: the newest practice information verified against the pinned therapist (client/messages/practice.ts). */
  readonly practice?: SignedPractice;
}

/** A version of the therapist's consent text (client/data/consent.ts); a type, so a vault value as it is. */
export type ConsentOffer = {
  readonly version: number;
  readonly text: string;
  /** SHA-256 of `text` (b64url). */
  readonly digest: string;
  /** When it was offered (the therapist's `sentAt`). */
  readonly at: number;
};

export interface LocalInvite {
  readonly hash: string;
  readonly label: string;
  readonly link: string;
  readonly capability: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The conversation that answered it. */
  readonly usedBy?: string;
  /** A re-invite for an existing conversation (the person's new device). */
  readonly replaces?: string;
  /** When the therapist withdrew it (issue 11): the relay no longer has it, the inbox no longer lists it. */
  readonly revokedAt?: number;
}

/** The session address of a conversation's pinned peer. */
export const addressOf = (c: Conversation): string => c.address ?? c.id;

export interface OutboxItem {
  readonly key: string;
  readonly conversationId: string;
  readonly messageId: string;
  /** The encoded payload (encrypted at rest by the vault), sealed when first sent. */
  readonly payload: Uint8Array;
  /** The sealed envelope, once made: a retry resends these exact bytes (idempotent at the relay). */
  readonly envelope?: Uint8Array;
  readonly createdAt: number;
  readonly attempts: number;
  /** A refusal that retrying cannot fix (e.g. capability revoked). */
  readonly failed?: string;
  /** The relay message id when it differs from `messageId` (a re-send of a payload sent before). */
  readonly relayId?: string;
  /** The one automatic re-send, on the peer's retry request, of what was sent under this relay id. */
  readonly resendOf?: string;
}

/** A payload this device sent, kept for a re-send on the peer's retry request (client/sync/retry.ts). */
export interface SentRecord {
  readonly relayId: string;
  readonly conversationId: string;
  /** The payload id. */
  readonly messageId: string;
  readonly payload: Uint8Array;
  readonly sentAt: number;
  /** This is the one automatic re-send of the payload sent under that relay id. */
  readonly resendOf?: string;
  /** Re-sent once already on a retry request. */
  readonly resent?: boolean;
}

/** An envelope from a peer we could not open and asked them to re-send. */
export interface RetryAsk {
  readonly relayId: string;
  readonly askedAt: number;
}

/** What the person was writing in a conversation and has not sent (client/data/drafts.ts). */
export interface Draft {
  readonly text: string;
  readonly urgent?: boolean;
  /** The message id the draft replies to. */
  readonly replyTo?: string;
  readonly savedAt: number;
}

const C = {
  profile: 'profile',
  conversations: 'conversations',
  messages: 'messages',
  messageKeys: 'message-keys',
  invites: 'invites',
  outbox: 'outbox',
  sync: 'sync',
  drafts: 'drafts',
  sent: 'sent',
  retryAsks: 'retry-asks',
} as const;

const ROOT = '';

/** Sort key of a message: time first (base 36, fixed width), then the id for ties. */
export const messageKey = (sentAt: number, id: string): string => `${Math.max(0, Math.floor(sentAt)).toString(36).padStart(11, '0')}:${id}`;

let outboxCounter = 0;
/** Queue order: creation time, then a per-load counter. */
export const outboxKey = (now: number): string => `${now.toString(36).padStart(11, '0')}:${(outboxCounter++).toString(36).padStart(6, '0')}`;

const asValue = (x: object): VaultValue => x as unknown as VaultValue;
/** A list read from `collection`, each record checked (schemas.ts). */
const values = <T>(schema: v.GenericSchema<unknown, T>, collection: string, entries: VaultEntry<VaultValue>[]): T[] => entries.map((e) => checked(schema, collection, e.value));
/** One record read from `collection`, checked; absent stays undefined. */
const one = <T>(schema: v.GenericSchema<unknown, T>, collection: string, value: VaultValue | undefined): T | undefined =>
  value === undefined ? undefined : checked(schema, collection, value);

/** Typed access to the vault's records (the vault must be unlocked). */
export class Records {
  constructor(readonly vault: Vault) {}

  async profile(): Promise<Profile | undefined> {
    return one(ProfileSchema, C.profile, await this.vault.getJSON(C.profile, ROOT, 'me'));
  }
  async saveProfile(p: Profile): Promise<void> {
    await this.vault.putJSON(C.profile, ROOT, 'me', asValue(p));
  }

  async conversations(): Promise<Conversation[]> {
    return values(ConversationSchema, C.conversations, await this.vault.listJSON(C.conversations, ROOT));
  }
  async conversation(id: string): Promise<Conversation | undefined> {
    return one(ConversationSchema, C.conversations, await this.vault.getJSON(C.conversations, ROOT, id));
  }
  async saveConversation(c: Conversation): Promise<void> {
    await this.vault.putJSON(C.conversations, ROOT, c.id, asValue(c));
  }

  /** Messages of a conversation in time order; `before`/`limit` page backwards from the newest. */
  async messages(conversationId: string, options: { limit?: number; beforeKey?: string } = {}): Promise<{ key: string; message: StoredMessage }[]> {
    const page = await this.vault.listJSON(C.messages, conversationId, {
      reverse: true,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.beforeKey !== undefined ? { after: options.beforeKey } : {}),
    });
    return page.map((e) => ({ key: String(e.id), message: checked(StoredMessageSchema, C.messages, e.value) })).reverse();
  }
  async message(conversationId: string, id: string): Promise<StoredMessage | undefined> {
    const key = await this.vault.getJSON(C.messageKeys, conversationId, id);
    if (typeof key !== 'string') return undefined;
    return one(StoredMessageSchema, C.messages, await this.vault.getJSON(C.messages, conversationId, key));
  }
  /** Which of `ids` this conversation holds a message of, in one vault read (the receiver's duplicate check). */
  async storedMessageIds(conversationId: string, ids: readonly string[]): Promise<Set<string>> {
    const keys = await this.vault.getMany(C.messageKeys, conversationId, ids);
    return new Set(ids.filter((_, i) => keys[i] !== undefined));
  }
  /** The ops that store `m` (for one atomic batch with other records). */
  messageOps(conversationId: string, m: StoredMessage): { collection: string; partition: string; id: string; value: VaultValue }[] {
    const key = messageKey(m.sentAt, m.id);
    return [
      { collection: C.messages, partition: conversationId, id: key, value: asValue(m) },
      { collection: C.messageKeys, partition: conversationId, id: m.id, value: key },
    ];
  }
  async saveMessage(conversationId: string, m: StoredMessage): Promise<void> {
    await this.putJSONMany(this.messageOps(conversationId, m));
  }

  async invites(): Promise<LocalInvite[]> {
    return values(LocalInviteSchema, C.invites, await this.vault.listJSON(C.invites, ROOT));
  }
  async invite(hash: string): Promise<LocalInvite | undefined> {
    return one(LocalInviteSchema, C.invites, await this.vault.getJSON(C.invites, ROOT, hash));
  }
  async saveInvite(i: LocalInvite): Promise<void> {
    await this.vault.putJSON(C.invites, ROOT, i.hash, asValue(i));
  }

  async outbox(): Promise<OutboxItem[]> {
    return values(OutboxItemSchema, C.outbox, await this.vault.listJSON(C.outbox, ROOT));
  }
  async outboxItem(key: string): Promise<OutboxItem | undefined> {
    return one(OutboxItemSchema, C.outbox, await this.vault.getJSON(C.outbox, ROOT, key));
  }
  outboxOp(item: OutboxItem): { collection: string; partition: string; id: string; value: VaultValue } {
    return { collection: C.outbox, partition: ROOT, id: item.key, value: asValue(item) };
  }
  async saveOutboxItem(item: OutboxItem): Promise<void> {
    await this.vault.putJSON(C.outbox, ROOT, item.key, asValue(item));
  }
  outboxRemoveOp(key: string): VaultOp {
    return { type: 'delete', collection: C.outbox, partition: ROOT, id: key };
  }
  async removeOutboxItem(key: string): Promise<void> {
    await this.vault.delete(C.outbox, ROOT, key);
  }

  async sentRecord(relayId: string): Promise<SentRecord | undefined> {
    return one(SentRecordSchema, C.sent, await this.vault.getJSON(C.sent, ROOT, relayId));
  }
  async sentRecords(): Promise<SentRecord[]> {
    return values(SentRecordSchema, C.sent, await this.vault.listJSON(C.sent, ROOT));
  }
  sentOp(r: SentRecord): { collection: string; partition: string; id: string; value: VaultValue } {
    return { collection: C.sent, partition: ROOT, id: r.relayId, value: asValue(r) };
  }
  async saveSentRecord(r: SentRecord): Promise<void> {
    await this.putJSONMany([this.sentOp(r)]);
  }
  async removeSentRecord(relayId: string): Promise<void> {
    await this.vault.delete(C.sent, ROOT, relayId);
  }

  async retryAsks(conversationId: string): Promise<RetryAsk[]> {
    return values(RetryAskSchema, C.retryAsks, await this.vault.listJSON(C.retryAsks, conversationId));
  }
  retryAskOp(conversationId: string, ask: RetryAsk): { collection: string; partition: string; id: string; value: VaultValue } {
    return { collection: C.retryAsks, partition: conversationId, id: ask.relayId, value: asValue(ask) };
  }
  async removeRetryAsk(conversationId: string, relayId: string): Promise<void> {
    await this.vault.delete(C.retryAsks, conversationId, relayId);
  }

  async syncCursor(mailbox: string): Promise<number> {
    const v = await this.vault.getJSON(C.sync, ROOT, mailbox);
    return typeof v === 'object' && v !== null && 'after' in v && typeof v.after === 'number' ? v.after : 0;
  }
  async saveSyncCursor(mailbox: string, after: number): Promise<void> {
    await this.vault.putJSON(C.sync, ROOT, mailbox, { after });
  }

  async draft(conversationId: string): Promise<Draft | undefined> {
    return one(DraftSchema, C.drafts, await this.vault.getJSON(C.drafts, conversationId, 'draft'));
  }
  async saveDraft(conversationId: string, d: Draft): Promise<void> {
    await this.vault.batch([this.draftOp(conversationId, d)]);
  }
  async removeDraft(conversationId: string): Promise<void> {
    await this.vault.batch([this.draftOp(conversationId, undefined)]);
  }
  /** The op that stores `d` as the conversation's draft, or removes the draft (undefined). */
  draftOp(conversationId: string, d: Draft | undefined): VaultOp {
    return d === undefined
      ? { type: 'delete', collection: C.drafts, partition: conversationId, id: 'draft' }
      : { type: 'put', collection: C.drafts, partition: conversationId, id: 'draft', value: encodeValue(asValue(d)) };
  }

  /** JSON records as vault put operations (for one transaction with other writes). */
  toVaultOps(entries: readonly { collection: string; partition: string; id: string; value: VaultValue }[]): VaultOp[] {
    return entries.map((e) => ({ type: 'put' as const, collection: e.collection, partition: e.partition, id: e.id, value: encodeValue(e.value) }));
  }

  /** Several JSON records in one transaction: all or none. */
  async putJSONMany(entries: readonly { collection: string; partition: string; id: string; value: VaultValue }[]): Promise<void> {
    await this.vault.batch(this.toVaultOps(entries));
  }

  inviteOp(i: LocalInvite): { collection: string; partition: string; id: string; value: VaultValue } {
    return { collection: C.invites, partition: ROOT, id: i.hash, value: asValue(i) };
  }

  conversationOp(c: Conversation): { collection: string; partition: string; id: string; value: VaultValue } {
    return { collection: C.conversations, partition: ROOT, id: c.id, value: asValue(c) };
  }

  /**
   * Removes a message (its record and its key record) in one transaction; derived data that
   * follows the vault's commits (the search index, client/search/) forgets it too. No UI
   * deletes messages yet: this is the path a deletion feature calls.
   */
  async removeMessage(conversationId: string, id: string): Promise<boolean> {
    const key = await this.vault.getJSON(C.messageKeys, conversationId, id);
    if (typeof key !== 'string') return false;
    await this.vault.batch([
      { type: 'delete', collection: C.messages, partition: conversationId, id: key },
      { type: 'delete', collection: C.messageKeys, partition: conversationId, id },
    ]);
    return true;
  }

  /** How many messages a conversation holds (notices included), without decrypting any (client/search/). */
  async messageCount(conversationId: string): Promise<number> {
    return this.vault.count(C.messages, conversationId);
  }
}

/** A message stored, replaced or removed, as a vault commit shows it (`messageChanges`). */
export type MessageChange =
  | { readonly type: 'put'; readonly conversationId: string; readonly key: string; readonly message: StoredMessage }
  | { readonly type: 'delete'; readonly conversationId: string; readonly key: string }
  | { readonly type: 'delete-conversation'; readonly conversationId: string };

/**
 * The message writes among a committed batch's changes (`Vault.onCommit`), decoded; every
 * other collection is left out, and so is a value that does not decode as a message (the
 * writer's problem, not the listener's).
 */
export function messageChanges(changes: readonly VaultChange[]): MessageChange[] {
  const out: MessageChange[] = [];
  for (const ch of changes) {
    if (ch.collection !== C.messages) continue;
    if (ch.type === 'delete-partition') out.push({ type: 'delete-conversation', conversationId: ch.partition });
    else if (ch.type === 'delete') out.push({ type: 'delete', conversationId: ch.partition, key: String(ch.id) });
    else {
      try {
        out.push({ type: 'put', conversationId: ch.partition, key: String(ch.id), message: checked(StoredMessageSchema, C.messages, decodeValue(ch.value)) });
      } catch {
        // not a message: nothing to follow
      }
    }
  }
  return out;
}
