/**
 * The session: everything that exists only while the vault is unlocked (records, identity,
 * protocol store, outbox, receiver, live channel), and the one current session the views reach
 * through `session()`. Opening one fills the signals (signals.ts) from the vault; closing it
 * stops its timers and sockets and empties them. When to open and close is lock.ts's business.
 * @module
 */
import { batch } from '@preact/signals';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import type { Payload } from '../../shared/payload.ts';
import { acceptConsentVersion, consentToAccept, publishConsentVersion, withdrawConsent } from '../account/consent.ts';
import { createInvite, keepProvisioned, revokeInvite } from '../account/onboarding.ts';
import { AuditLog } from '../audit/log.ts';
import { finishRestore } from '../backup/restore.ts';
import { confirmNewIdentity, revokeRetired } from '../account/replaced-device.ts';
import { OfflineError, RelayApi } from '../api/relay.ts';
import { uploadAttachment, type OnProgress } from '../attachments/attachments.ts';
import { Drafts } from '../data/drafts.ts';
import { Records, type AttachmentMeta, type Conversation, type LocalInvite, type Profile, type StoredMessage } from '../data/records.ts';
import { resend } from '../outbox/delivery.ts';
import { newMessage } from '../messages/message.ts';
import { publishPractice, type PracticeEdit } from '../messages/practice.ts';
import { buildReceipt, MAX_RECEIPT_IDS } from '../messages/receipt.ts';
import { Outbox } from '../outbox/outbox.ts';
import { LiveChannel, type LiveOptions } from '../sync/live.ts';
import { SearchIndex } from '../search/index.ts';
import { Receiver } from '../sync/receive.ts';
import { pruneRetryRecords } from '../sync/retry.ts';
import { VaultProtocolStore } from '../vault/protocol-store.ts';
import type { Vault } from '../vault/vault.ts';
import { conversations, invites, liveState, messagesVersion, outboxPending, profile } from './signals.ts';

/** Everything that exists only while unlocked. */
export class Session {
  readonly records: Records;
  readonly outbox: Outbox;
  readonly receiver: Receiver;
  /** What the person is writing, kept in the vault across locks. */
  readonly drafts: Drafts;
  /** The device's security log (client/audit/log.ts). */
  readonly audit: AuditLog;
  /** Every conversation's messages, searchable (client/search/): loaded at start, following the vault's writes. */
  search: SearchIndex | undefined;
  private live: LiveChannel | undefined;
  private retryTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly vault: Vault,
    readonly store: VaultProtocolStore,
    readonly identity: Identity,
    public profile: Profile,
    readonly api: RelayApi,
    /** The live socket's WebSocket class (default: the browser's); tests pass their own. */
    private readonly options: { readonly WebSocket?: LiveOptions['WebSocket'] } = {},
  ) {
    this.records = new Records(vault);
    this.drafts = new Drafts(this.records);
    this.audit = new AuditLog(vault, identity);
    // Each reports the conversations it changed; only those are read again.
    this.outbox = new Outbox({ records: this.records, store: this.store, api, onChange: (id) => refreshLists(this, [id]) });
    this.receiver = new Receiver({ records: this.records, store: this.store, api, identity, profile, outbox: this.outbox, onChange: (ids) => void refreshLists(this, ids) });
  }

  start(): void {
    this.search = SearchIndex.open(this.records);
    this.live = new LiveChannel({
      url: this.api.liveUrl(),
      identity: this.identity,
      mailboxId: this.profile.mailboxId,
      onNotice: () => void this.sync(),
      onState: (s) => {
        liveState.value = s;
        if (s === 'live') void this.outbox.flush().then(() => refreshLists(this));
      },
      // A frame that failed shared/live.ts's schemas: reported like every other sync failure (by
      // its code only: a frame is the relay's text), and ignored; the channel keeps going.
      onError: (e) => console.warn('confidant: live frame refused', e.code),
      ...(this.options.WebSocket ? { WebSocket: this.options.WebSocket } : {}),
    });
    this.live.start();
    // Keys the relay may lack after an interrupted setup, and one-time prekeys used up since.
    void keepProvisioned(this.api, this.identity, this.store, this.records, this.profile).then((stored) => {
      if (current === this) profile.value = stored;
    }, (e: unknown) => {
      if (!(e instanceof OfflineError)) console.warn('confidant: prekey upload failed', (e as Error).name);
    });
    // Belt and braces for a socket that silently died: pull and flush every 30 s.
    this.retryTimer = setInterval(() => void this.sync(), 30_000);
    void this.sync();
  }

  /** Pull the mailbox and send what waits; network failures leave everything for next time. */
  async sync(): Promise<void> {
    await this.finishRestore();
    try {
      await this.receiver.pull();
    } catch (e) {
      if (!(e instanceof OfflineError)) console.warn('confidant: receive failed', (e as Error).name);
    }
    try {
      await this.outbox.flush();
    } catch (e) {
      if (!(e instanceof OfflineError)) console.warn('confidant: send failed', (e as Error).name);
    }
    try {
      // A replaced device's capability whose revocation did not reach the relay yet.
      await revokeRetired(this);
      if (Date.now() - this.prunedAt > 60 * 60 * 1000) {
        this.prunedAt = Date.now();
        await pruneRetryRecords(this.records, this.prunedAt);
      }
    } catch (e) {
      if (!(e instanceof OfflineError)) console.warn('confidant: housekeeping failed', (e as Error).name);
    }
    await refreshLists(this);
    // What another tab of this vault stored meanwhile (this tab's own writes are followed as they commit).
    void this.search?.reconcile().catch((e: unknown) => console.warn('confidant: search reconcile failed', (e as Error).name));
  }
  private prunedAt = 0;

  /** A vault restored from a backup restarts its sessions and republishes prekeys first (client/backup/restore.ts). */
  private async finishRestore(): Promise<void> {
    if (this.restoreFinished || !this.profile.restoredFrom || this.profile.restoredFrom.done) return;
    try {
      this.restoreFinishing ??= finishRestore(this, this.profile, Date.now());
      const done = await this.restoreFinishing;
      this.restoreFinished = true;
      this.profile = done;
      if (current === this) profile.value = done;
      await refreshLists(this);
    } catch (e) {
      if (!(e instanceof OfflineError)) console.warn('confidant: finishing the restore failed', (e as Error).name);
    } finally {
      this.restoreFinishing = undefined;
    }
  }
  private restoreFinished = false;
  private restoreFinishing: Promise<Profile> | undefined;

  /** The person's retry of a message shown as "Not delivered" (client/outbox/delivery.ts). */
  async resend(conversationId: string, messageId: string): Promise<void> {
    if (await resend(this.records, conversationId, messageId, Date.now())) {
      await refreshLists(this, [conversationId]);
      void this.outbox.flush(); // reports what it changes
    }
  }

  /** Reads the conversation, invite and outbox lists into their signals (only while current). */
  refresh(): Promise<void> {
    return refreshLists(this);
  }

  private readonly cleanups: (() => void)[] = [];
  /** Runs `cleanup` when the session stops. */
  onEnd(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  stop(): void {
    this.live?.stop();
    clearInterval(this.retryTimer);
    this.store.close();
    this.drafts.stop();
    this.search?.stop();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /**
   * Writes a message (queued in the vault first), then tries to send it. Its `files` are
   * encrypted and uploaded first, one after another (`onUpload` hears each one's progress);
   * an upload that fails rejects here with nothing queued, and the person can try again.
   */
  async send(
    conversation: Conversation,
    draft: { text: string; urgent?: boolean; replyTo?: string; attachments?: StoredMessage['attachments']; files?: readonly File[] },
    onUpload?: OnProgress,
  ): Promise<void> {
    // A client writes only under consent they have given (client/account/consent.ts); the composer is closed meanwhile.
    const stored = await this.records.conversation(conversation.id);
    if (this.profile.role === 'client' && stored && consentToAccept(stored)) throw new Error('Consent is needed before writing');
    if (draft.files?.length) draft = { ...draft, attachments: [...(draft.attachments ?? []), ...(await this.upload(draft.files, onUpload))] };
    const { payload, message } = newMessage(draft, Date.now());
    await this.outbox.enqueue(conversation, payload, message); // refreshes this conversation
    void this.outbox.flush(); // and again once it is sent
  }

  private async upload(files: readonly File[], onProgress?: OnProgress): Promise<AttachmentMeta[]> {
    const uploaded: AttachmentMeta[] = [];
    for (const file of files) uploaded.push(await uploadAttachment(this.api, this.identity, file, onProgress));
    return uploaded;
  }

  /** Marks a conversation read here and tells the peer which of their messages were read. */
  async markRead(conversation: Conversation): Promise<void> {
    const page = await this.records.messages(conversation.id, { limit: 500 });
    const unreadTheirs = page.filter((m) => !m.message.mine && !m.message.readSent && !m.message.notice).map((m) => m.message); // a notice is ours, not a message of theirs to receipt
    if (conversation.unread === 0 && unreadTheirs.length === 0) return;
    const updated = { ...conversation, unread: 0, urgentUnread: 0 };
    await this.records.putJSONMany([
      this.records.conversationOp(updated),
      ...unreadTheirs.flatMap((m) => this.records.messageOps(conversation.id, { ...m, readSent: true })),
    ]);
    if (unreadTheirs.length > 0) {
      await this.outbox.enqueue(updated, buildReceipt({ status: 'read', messageIds: unreadTheirs.map((m) => m.id).slice(-MAX_RECEIPT_IDS) }, Date.now())); // refreshes this conversation
      void this.outbox.flush();
    } else await refreshLists(this, [conversation.id]);
  }

  async createInvite(label: string, replaces?: string): Promise<LocalInvite> {
    // The stored profile: the consent text may have a new version since this session opened.
    const current = (await this.records.profile()) ?? this.profile;
    const invite = await createInvite(this.api, this.identity, current, this.records, label, location.origin, Date.now(), replaces);
    await refreshLists(this);
    return invite;
  }

  /** Withdraws a pending invite (onboarding's `revokeInvite`): the link stops working. */
  async revokeInvite(invite: LocalInvite): Promise<void> {
    await revokeInvite(this.api, this.identity, this.profile, this.records, invite, Date.now());
    await refreshLists(this);
  }

  /**
   * The person confirmed a conversation's new identity: it becomes the pinned one (unverified),
   * the replaced device's capability is revoked (account/replaced-device.ts), and messages held
   * back go out.
   */
  async acceptNewIdentity(conversation: Conversation): Promise<void> {
    if (!(await confirmNewIdentity(this, conversation))) return;
    await this.audit.record('identity_confirmed', { conversation: conversation.id });
    await refreshLists(this, [conversation.id]);
    void this.outbox.flush();
  }

  /** Therapist: a new consent text becomes a new version, offered to every conversation (client/account/consent.ts). */
  async publishConsent(text: string): Promise<void> {
    const before = (await this.records.profile())?.consentVersion ?? 1;
    const saved = await publishConsentVersion(this.consentDeps(), text);
    if ((saved.consentVersion ?? 1) !== before) await this.audit.record('settings_changed', { setting: 'consentText', value: saved.consentVersion ?? 1 });
    if (current === this) profile.value = saved;
    await refreshLists(this);
    void this.outbox.flush();
  }

  /** Client: accept the version waiting (a new one, or the one withdrawn), which reopens writing. */
  async acceptConsent(conversationId: string): Promise<void> {
    if (await acceptConsentVersion(this.consentDeps(), conversationId)) await this.afterConsent(conversationId);
  }

  /** Client: withdraw consent; writing closes until they accept again. */
  async withdrawConsent(conversationId: string): Promise<void> {
    if (await withdrawConsent(this.consentDeps(), conversationId)) await this.afterConsent(conversationId);
  }

  private consentDeps() {
    return { records: this.records, outbox: this.outbox, identity: this.identity, now: () => Date.now() };
  }
  private async afterConsent(conversationId: string): Promise<void> {
    await refreshLists(this, [conversationId]);
    void this.outbox.flush();
  }

  async saveProfile(next: Profile): Promise<void> {
    await this.records.saveProfile(next);
    this.profile = next; // what new invites carry
    profile.value = next;
  }

  /** The therapist saved their practice information: signed, kept, and sent to every client. */
  async savePractice(edit: PracticeEdit): Promise<void> {
    const next = await publishPractice(this, edit, Date.now());
    this.profile = next;
    profile.value = next;
    await refreshLists(this);
    void this.outbox.flush();
  }
}

let current: Session | undefined;
/** The open session, if the vault is unlocked. */
export const session = (): Session | undefined => current;

/**
 * Reads the lists again: with `only`, just those conversations and the queue length (what the
 * outbox and receiver report changing); without, every conversation and invite too.
 */
async function refreshLists(s: Session, only?: Iterable<string>): Promise<void> {
  if (current !== s) return;
  if (only) {
    const ids = [...only];
    const [changed, pending] = await Promise.all([Promise.all(ids.map((id) => s.records.conversation(id))), s.outbox.pending()]);
    if (current !== s) return;
    const byId = new Map(conversations.value.map((c) => [c.id, c]));
    ids.forEach((id, i) => (changed[i] ? byId.set(id, changed[i]) : byId.delete(id)));
    batch(() => {
      conversations.value = [...byId.values()].sort((a, b) => b.lastAt - a.lastAt);
      outboxPending.value = pending;
      messagesVersion.value++;
    });
    return;
  }
  const [list, inv, pending] = await Promise.all([s.records.conversations(), s.records.invites(), s.outbox.pending()]);
  if (current !== s) return;
  batch(() => {
    conversations.value = list.sort((a, b) => b.lastAt - a.lastAt);
    invites.value = inv.sort((a, b) => b.createdAt - a.createdAt);
    outboxPending.value = pending;
    messagesVersion.value++;
  });
}

/** Makes the session of an unlocked vault the current one (not started; `refresh` fills the lists). */
export async function openSession(vault: Vault): Promise<Session> {
  const records = new Records(vault);
  const p = await records.profile();
  if (!p) throw new Error('The vault holds no profile');
  const store = await VaultProtocolStore.open(vault);
  const identity = await store.getIdentity();
  const s = new Session(vault, store, identity, p, new RelayApi());
  current = s;
  return s;
}

/** Stops the current session and empties every signal that held something decrypted. */
export function closeSession(): void {
  current?.stop();
  current = undefined;
  batch(() => {
    profile.value = undefined;
    conversations.value = [];
    invites.value = [];
    outboxPending.value = 0;
    liveState.value = 'offline';
    messagesVersion.value++;
  });
}
