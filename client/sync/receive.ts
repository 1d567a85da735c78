/**
 * Receiving: pull our mailbox from the relay (the source of truth), open each envelope, store
 * what it says, and only then acknowledge it, so the relay deletes nothing this device has not
 * kept.
 *
 * - Pages of up to 200 envelopes, opened in slices (up to `SLICE` envelopes or `SLICE_MS` of
 *   work). A slice's session steps and everything its envelopes say (messages, statuses,
 *   conversations) are written to the vault in ONE transaction (`VaultProtocolStore.batch`), so
 *   either the ratchet advanced and the messages are stored, or neither: a crash in between
 *   opens them again next time. A crash after the write but before the ack means the same
 *   envelopes come again: the ratchet reports them as `duplicate` and they are acknowledged
 *   without a second copy. One transaction per slice instead of several per envelope is what
 *   makes a backlog of hundreds quick (bench/browser: backlog_500_decrypt).
 * - A message that fails to open (tampered, replayed, from an unknown or changed identity the
 *   protocol refuses) is counted and acknowledged: it can never be opened, and the protocol
 *   leaves session state untouched when it refuses (shared/session.ts). When its sealed layer
 *   opened and names a peer, that peer is asked to re-send it, or the conversation shows that
 *   it could not be opened (sync/retry.ts); a retry request from a peer re-sends ours
 *   (client/messages/retry.ts).
 * - Work yields to the browser between slices (`scheduler.yield` where there is one: a nested
 *   `setTimeout(0)` is clamped to 4 ms) so a backlog opens without freezing the page.
 * - What each payload does is its kind's handler (client/messages/kinds.ts). The receipts and
 *   retry requests a pull queues wait in the outbox for the caller's flush (`Session.sync` flushes
 *   once after pulling); the receiver reports the conversations each page changed (`onChange`).
 * @module
 */
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity, PublicIdentity } from '../../shared/keys.ts';
import { decodePayload, type Payload } from '../../shared/payload.ts';
import { isRejectedMessage, openMessage } from '../../shared/session.ts';
import type { RelayApi, StoredEnvelope } from '../api/relay.ts';
import { addressOf, type Conversation, type LocalInvite, type Profile, type Records, type StoredMessage } from '../data/records.ts';
import type { ReceiveWriter } from '../messages/context.ts';
import { applyReceived } from '../messages/kinds.ts';
import { buildReceipt, MAX_RECEIPT_IDS } from '../messages/receipt.ts';
import type { Outbox } from '../outbox/outbox.ts';
import { RetryRequests } from './retry.ts';
import type { VaultValue } from '../vault/codec.ts';
import type { ProtocolStoreBatch, VaultProtocolStore } from '../vault/protocol-store.ts';
import type { VaultOp } from '../vault/vault.ts';

export interface ReceiveDeps {
  readonly records: Records;
  readonly store: VaultProtocolStore;
  readonly api: RelayApi;
  readonly identity: Identity;
  readonly profile: Profile;
  /** Where receipts and retry requests are queued; sending them is the caller's flush. */
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
/** A slice ends after this many envelopes or this much time, whichever comes first. */
const SLICE = 100;
const SLICE_MS = 50;

const yieldToBrowser = (): Promise<void> => {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  return scheduler?.yield ? scheduler.yield() : new Promise((r) => setTimeout(r, 0));
};

type Outcome = 'stored' | 'rejected' | 'duplicate';

/** One envelope of a slice after the session step: its payload to apply, or how it ended. */
type Opened =
  | { readonly payload: Payload; readonly sender: PublicIdentity; readonly address: string; readonly receivedAt: number }
  | { readonly unopened: { readonly envelope: Uint8Array; readonly relayId: string; readonly receivedAt: number } }
  | { readonly outcome: 'rejected' | 'duplicate' };

/**
 * What one slice changes, held in memory until the slice commits: conversations (read once,
 * updated in place), my messages whose status moved, new messages, invites marked used.
 */
class SliceWriter implements ReceiveWriter {
  private conversationList: Conversation[] | undefined;
  readonly conversations = new Map<string, Conversation>();
  readonly ops: { collection: string; partition: string; id: string; value: VaultValue }[] = [];
  private readonly touchedMessages = new Map<string, StoredMessage>();
  /** Payload ids known to have no stored message, per conversation (`knownAbsent`). */
  private readonly absent = new Map<string, Set<string>>();

  constructor(private readonly records: Records) {}

  private async all(): Promise<Conversation[]> {
    this.conversationList ??= await this.records.conversations();
    return this.conversationList;
  }

  async byId(id: string): Promise<Conversation | undefined> {
    return this.conversations.get(id) ?? (await this.all()).find((c) => c.id === id);
  }

  /** The conversation whose pinned or pending peer has this session address. */
  async byAddress(address: string): Promise<Conversation | undefined> {
    for (const c of this.conversations.values()) if (addressOf(c) === address || c.pendingAddress === address) return c;
    return (await this.all()).find((c) => !this.conversations.has(c.id) && (addressOf(c) === address || c.pendingAddress === address));
  }

  setConversation(c: Conversation): void {
    this.conversations.set(c.id, c);
  }

  async message(conversationId: string, id: string): Promise<StoredMessage | undefined> {
    const touched = this.touchedMessages.get(`${conversationId}/${id}`);
    if (touched || this.absent.get(conversationId)?.has(id)) return touched;
    return this.records.message(conversationId, id);
  }

  /**
   * Reads, in one vault transaction per conversation, which of `ids` the vault holds, so that
   * `message` answers "none" for the others without a read of its own: the duplicate check of
   * every received message (client/messages/message.ts) then costs one batched lookup per slice.
   */
  async knownAbsent(conversationId: string, ids: readonly string[]): Promise<void> {
    const stored = await this.records.storedMessageIds(conversationId, ids);
    const absent = this.absent.get(conversationId) ?? new Set<string>();
    for (const id of ids) if (!stored.has(id)) absent.add(id);
    this.absent.set(conversationId, absent);
  }

  putMessage(conversationId: string, m: StoredMessage): void {
    this.touchedMessages.set(`${conversationId}/${m.id}`, m);
  }

  putInvite(invite: LocalInvite): void {
    this.ops.push(this.records.inviteOp(invite));
  }

  /** Every pending record, as vault ops. */
  vaultOps(): VaultOp[] {
    const entries = [
      ...this.ops,
      ...[...this.touchedMessages].flatMap(([key, m]) => this.records.messageOps(key.slice(0, key.indexOf('/')), m)),
      ...[...this.conversations.values()].map((c) => this.records.conversationOp(c)),
    ];
    return this.records.toVaultOps(entries);
  }
}



export class Receiver {
  private running: Promise<PullResult> | undefined;
  private again = false;
  /** The current page's retry requests (sync/retry.ts). */
  private retries: RetryRequests | undefined;
  /**
   * Payloads opened and stored that changed nothing by design, by reason (a consent `revoke`,
   * a receipt from no conversation...: client/messages/), since this receiver was made.
   */
  readonly ignored = new Map<string, number>();

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
      const retries: RetryRequests['requests'][number][] = [];
      for (let start = 0; start < page.messages.length; ) {
        const done = await this.slice(page.messages, start, changed, delivered, retries);
        for (const outcome of done) {
          if (outcome === 'stored') received++;
          else if (outcome === 'rejected') rejected++;
        }
        start += done.length;
        await yieldToBrowser();
      }
      // One "delivered" receipt per conversation per page, queued before the ack.
      for (const [conversationId, messageIds] of delivered) {
        const conversation = await records.conversation(conversationId);
        for (let i = 0; conversation && i < messageIds.length; i += MAX_RECEIPT_IDS) {
          await this.deps.outbox.enqueue(conversation, buildReceipt({ status: 'delivered', messageIds: messageIds.slice(i, i + MAX_RECEIPT_IDS) }, this.now()));
        }
      }
      for (const { conversationId, payload } of retries) {
        const conversation = await records.conversation(conversationId);
        if (conversation) await this.deps.outbox.enqueue(conversation, payload);
      }
      await api.ack(identity, profile.mailboxId, page.messages.map((m) => m.messageId));
      await records.saveSyncCursor(mailbox, page.messages.reduce((top, m) => Math.max(top, m.seq), after));
      if (changed.size > 0) this.deps.onChange?.(changed);
      if (!page.more) break;
    }
    return { received, rejected };
  }

  /**
   * Opens envelopes from `start` until the slice is full, then commits their session steps and
   * records in one transaction. One session step at a time across every tab and worker of the
   * origin (`VaultProtocolStore.transact`): the outbox may be sealing meanwhile, and another tab
   * may be opening the same envelopes, which it then finds already stored (`duplicate`).
   */
  private async slice(
    envelopes: readonly StoredEnvelope[],
    start: number,
    changed: Set<string>,
    delivered: Map<string, string[]>,
    retryRequests: RetryRequests['requests'][number][],
  ): Promise<Outcome[]> {
    const { outcomes, newMessages, requests, ignored } = await this.deps.store.transact(async (session) => {
      // Built afresh on each attempt: a redone step starts from what the vault holds now
      // (retry requests included: one asked in a step that did not commit was never recorded).
      const writer = new SliceWriter(this.deps.records);
      const retries = (this.retries = new RetryRequests(this.deps.records, this.deps.identity, () => this.now()));
      const outcomes: Outcome[] = [];
      const began = Date.now();
      const newMessages: [string, string][] = [];
      const ignored: string[] = [];
      // The session steps first, in order; then one lookup of the message ids the slice's
      // payloads name; then each payload applied, in the same order, as before.
      const opened: Opened[] = [];
      for (let i = start; i < envelopes.length && opened.length < SLICE && (opened.length === 0 || Date.now() - began < SLICE_MS); i++) {
        const m = envelopes[i]!;
        opened.push(await this.open(session, m.envelope, m.receivedAt, m.messageId));
      }
      await this.lookUpMessageIds(writer, opened);
      for (const o of opened) {
        if ('outcome' in o) outcomes.push(o.outcome);
        else if ('unopened' in o) outcomes.push(await this.unopened(writer, o.unopened, changed));
        else {
          const id = await this.apply(writer, o.sender, o.address, o.payload, o.receivedAt, newMessages, ignored);
          if (id !== undefined) changed.add(id);
          outcomes.push('stored');
        }
      }
      session.stage(writer.vaultOps());
      return { outcomes, newMessages, requests: retries.requests, ignored };
    });
    for (const reason of ignored) this.ignored.set(reason, (this.ignored.get(reason) ?? 0) + 1);
    retryRequests.push(...requests);
    for (const [conversationId, messageId] of newMessages) delivered.set(conversationId, [...(delivered.get(conversationId) ?? []), messageId]);
    return outcomes;
  }

  /** The session step of one envelope and its payload, checked; nothing recorded yet. */
  private async open(session: ProtocolStoreBatch, envelope: Uint8Array, receivedAt: number, relayId: string): Promise<Opened> {
    let opened;
    try {
      opened = await openMessage(session, envelope);
    } catch (e) {
      if (isRejectedMessage(e)) return e.code === 'duplicate' ? { outcome: 'duplicate' } : { unopened: { envelope, relayId, receivedAt } };
      throw e;
    }
    try {
      return { payload: decodePayload(opened.plaintext), sender: opened.sender, address: opened.address, receivedAt };
    } catch (e) {
      // Opened (the ratchet step stands) but unreadable: never shown as text. A newer app's
      // payload is not asked for again (a re-send would not help).
      if (isRejectedMessage(e)) return e.code === 'unsupported_version' ? { outcome: 'rejected' } : { unopened: { envelope, relayId, receivedAt } };
      throw e;
    }
  }

  /** Could not be opened: tell its sender if the sealed layer names one (sync/retry.ts). */
  private async unopened(writer: SliceWriter, u: Extract<Opened, { unopened: unknown }>['unopened'], changed: Set<string>): Promise<Outcome> {
    const id = await this.retries?.unopened(writer, u.envelope, u.relayId, u.receivedAt);
    if (id !== undefined) changed.add(id);
    return 'rejected';
  }

  /**
   * The message ids the slice's `message` payloads carry, looked up at once per conversation,
   * for their duplicate check (a re-sent message: client/messages/message.ts). A payload from
   * a conversation a hello earlier in the slice makes is looked up on its own, as before.
   */
  private async lookUpMessageIds(writer: SliceWriter, opened: readonly Opened[]): Promise<void> {
    const ids = new Map<string, string[]>();
    for (const o of opened) {
      if (!('payload' in o) || o.payload.type !== 'message') continue;
      const conversation = await writer.byAddress(o.address);
      if (conversation) ids.set(conversation.id, [...(ids.get(conversation.id) ?? []), o.payload.id]);
    }
    for (const [conversationId, list] of ids) await writer.knownAbsent(conversationId, list);
  }

  /**
   * Records what `payload` from the peer at session `address` says, in the slice, through its
   * kind's handler (client/messages/kinds.ts). Returns the conversation it changed, if any.
   */
  private async apply(
    writer: SliceWriter,
    sender: PublicIdentity,
    address: string,
    payload: Payload,
    receivedAt: number,
    newMessages: [string, string][],
    ignored: string[],
  ): Promise<string | undefined> {
    return applyReceived(payload, {
      records: this.deps.records,
      writer,
      profile: this.deps.profile,
      sender,
      self: this.deps.identity.publicIdentity,
      address,
      conversation: await writer.byAddress(address),
      receivedAt,
      now: this.now(),
      deliveredReceipt: (conversationId, messageId) => void newMessages.push([conversationId, messageId]),
      ignore: (reason) => void ignored.push(reason),
    });
  }
}
