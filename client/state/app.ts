/**
 * The app's state as signals, and the session that exists only while the vault is unlocked.
 *
 * Phases: `starting` (looking for a vault) → `welcome` (none on this device; set up or join) or
 * `locked` → `ready` (unlocked: records, identity, protocol store, outbox, receiver and live
 * channel exist). Locking stops the session, drops every decrypted value held in signals and
 * locks the vault, so nothing readable is left in memory that the UI could show.
 * @module
 */
import { batch, signal } from '@preact/signals';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeInvite, isInviteExpired, type Invite } from '../../shared/invite.ts';
import { deriveIdentity, identityId, type Identity } from '../../shared/keys.ts';
import { verifyBundle } from '../../shared/prekeys.ts';
import { randomBytes } from '../../shared/provider.ts';
import { startSession } from '../../shared/session.ts';
import { acceptConsent, checkInvite, conversationFromInvite, createInvite, createMailboxOnce, keepProvisioned, newProfile, registerClient, registerTherapist } from '../account/onboarding.ts';
import { OfflineError, RelayApi } from '../api/relay.ts';
import { VaultProtocolStore } from '../vault/protocol-store.ts';
import { Records, type Conversation, type LocalInvite, type Profile, type StoredMessage } from '../data/records.ts';
import { Drafts } from '../data/drafts.ts';
import { buildConsent } from '../messages/consent.ts';
import { buildHello } from '../messages/hello.ts';
import { newMessage } from '../messages/message.ts';
import { buildReceipt, MAX_RECEIPT_IDS } from '../messages/receipt.ts';
import { Outbox } from '../outbox/outbox.ts';
import { resend } from '../outbox/delivery.ts';
import { confirmNewIdentity, revokeRetired } from '../account/replaced-device.ts';
import { pruneRetryRecords } from '../sync/retry.ts';
import { LiveChannel, type LiveState } from '../sync/live.ts';
import { Receiver } from '../sync/receive.ts';
import { BEFORE_LOCK_MAX_MS, startAutoLock as startVaultAutoLock, type AutoLock } from '../vault/auto-lock.ts';
import { createVault, openVault, vaultExists, type Vault } from '../vault/vault.ts';

export type Phase = 'starting' | 'welcome' | 'locked' | 'ready';

export const phase = signal<Phase>('starting');
/** The URL fragment route (`#/join/...`, `#/c/<id>`, ...). */
export const route = signal<string>(typeof location === 'undefined' ? '' : location.hash);
export const profile = signal<Profile | undefined>(undefined);
export const conversations = signal<readonly Conversation[]>([]);
export const invites = signal<readonly LocalInvite[]>([]);
/** Bumped when a conversation's messages change; views re-read their page. */
export const messagesVersion = signal(0);
export const liveState = signal<LiveState>('offline');
export const outboxPending = signal(0);
export const browserOnline = signal(typeof navigator === 'undefined' ? true : navigator.onLine);

const DB_NAME = 'confidant-vault';

export const navigate = (hash: string): void => {
  if (location.hash !== hash) location.hash = hash;
  route.value = hash;
};

/** Everything that exists only while unlocked. */
export class Session {
  readonly records: Records;
  readonly outbox: Outbox;
  readonly receiver: Receiver;
  /** What the person is writing, kept in the vault across locks. */
  readonly drafts: Drafts;
  private live: LiveChannel | undefined;
  private retryTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly vault: Vault,
    readonly store: VaultProtocolStore,
    readonly identity: Identity,
    readonly profile: Profile,
    readonly api: RelayApi,
  ) {
    this.records = new Records(vault);
    this.drafts = new Drafts(this.records);
    // Each reports the conversations it changed; only those are read again.
    this.outbox = new Outbox({ records: this.records, store: this.store, api, onChange: (id) => refreshLists(this, [id]) });
    this.receiver = new Receiver({ records: this.records, store: this.store, api, identity, profile, outbox: this.outbox, onChange: (ids) => void refreshLists(this, ids) });
  }

  start(): void {
    this.live = new LiveChannel({
      url: this.api.liveUrl(),
      identity: this.identity,
      mailboxId: this.profile.mailboxId,
      onNotice: () => void this.sync(),
      onState: (s) => {
        liveState.value = s;
        if (s === 'live') void this.outbox.flush().then(() => refreshLists(this));
      },
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
  }
  private prunedAt = 0;

  /** The person's retry of a message shown as "Not delivered" (client/outbox/delivery.ts). */
  async resend(conversationId: string, messageId: string): Promise<void> {
    if (await resend(this.records, conversationId, messageId, Date.now())) {
      await refreshLists(this, [conversationId]);
      void this.outbox.flush(); // reports what it changes
    }
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
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** Writes a message (queued in the vault first), then tries to send it. */
  async send(conversation: Conversation, draft: { text: string; urgent?: boolean; replyTo?: string; attachments?: StoredMessage['attachments'] }): Promise<void> {
    const { payload, message } = newMessage(draft, Date.now());
    await this.outbox.enqueue(conversation, payload, message); // refreshes this conversation
    void this.outbox.flush(); // and again once it is sent
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
    const invite = await createInvite(this.api, this.identity, this.profile, this.records, label, location.origin, Date.now(), replaces);
    await refreshLists(this);
    return invite;
  }

  /**
   * The person confirmed a conversation's new identity: it becomes the pinned one (unverified),
   * the replaced device's capability is revoked (account/replaced-device.ts), and messages held
   * back go out.
   */
  async acceptNewIdentity(conversation: Conversation): Promise<void> {
    if (!(await confirmNewIdentity(this, conversation))) return;
    await refreshLists(this, [conversation.id]);
    void this.outbox.flush();
  }

  async saveProfile(next: Profile): Promise<void> {
    await this.records.saveProfile(next);
    profile.value = next;
  }
}

let current: Session | undefined;
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

async function begin(vault: Vault): Promise<void> {
  const records = new Records(vault);
  const p = await records.profile();
  if (!p) throw new Error('The vault holds no profile');
  const store = await VaultProtocolStore.open(vault);
  const identity = await store.getIdentity();
  const s = new Session(vault, store, identity, p, new RelayApi());
  current = s;
  s.onEnd(
    vault.onLockChange((unlocked) => {
      if (!unlocked && current === s) endSession();
    }),
  );
  batch(() => {
    profile.value = p;
    phase.value = 'ready';
  });
  await refreshLists(s);
  s.start();
  startAutoLock(p.autoLockMinutes);
}

function endSession(): void {
  current?.stop();
  current = undefined;
  stopAutoLock();
  batch(() => {
    profile.value = undefined;
    conversations.value = [];
    invites.value = [];
    outboxPending.value = 0;
    liveState.value = 'offline';
    messagesVersion.value++;
    phase.value = 'locked';
  });
}

let lockedVault: Vault | undefined;

/** At load: is there a vault on this device? */
export async function boot(): Promise<void> {
  addEventListener('hashchange', () => (route.value = location.hash));
  addEventListener('online', () => {
    browserOnline.value = true;
    void current?.sync();
  });
  addEventListener('offline', () => (browserOnline.value = false));
  phase.value = (await vaultExists(DB_NAME)) ? 'locked' : 'welcome';
}

/** Unlocks with the passphrase; rejects with the vault's `wrong_passphrase` error otherwise. */
export async function unlock(passphrase: string, onProgress?: (fraction: number) => void): Promise<void> {
  lockedVault ??= await openVault(DB_NAME);
  await lockedVault.unlock(passphrase, onProgress ? { onProgress } : {});
  await begin(lockedVault);
}

/** Locks now, once the draft being written is saved (the vault cannot write after the lock); bounded like auto-lock's. */
export async function lockNow(): Promise<void> {
  const saving = current?.drafts.flush();
  if (saving) await Promise.race([saving, new Promise((r) => setTimeout(r, BEFORE_LOCK_MAX_MS))]);
  const vault = current?.vault;
  endSession();
  vault?.lock();
  lockedVault = vault ?? lockedVault;
}

// Auto-lock after inactivity (client/vault/auto-lock.ts keeps the deadline). Input counts as
// activity; sync never does. A page coming back into view checks the deadline at once, since
// browsers throttle the timers of hidden pages.
let autoLock: AutoLock | undefined;
const activity = (): void => autoLock?.touch();
const visibility = (): void => autoLock?.check();
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'scroll'] as const;

/** (Re)starts auto-lock for the open session with `minutes` of allowed inactivity. */
export function startAutoLock(minutes: number): void {
  stopAutoLock();
  const vault = current?.vault;
  if (!vault || !(minutes > 0)) return;
  const s = current;
  autoLock = startVaultAutoLock(vault, minutes * 60_000, { beforeLock: () => s?.drafts.flush() ?? Promise.resolve() });
  for (const e of ACTIVITY_EVENTS) addEventListener(e, activity, { passive: true, capture: true });
  document.addEventListener('visibilitychange', visibility);
}

function stopAutoLock(): void {
  autoLock?.stop();
  autoLock = undefined;
  for (const e of ACTIVITY_EVENTS) removeEventListener(e, activity, { capture: true });
  document.removeEventListener('visibilitychange', visibility);
}

/** A therapist's first run: register with the code, then create the vault and provision. */
export async function setUpTherapist(input: { rootSecret: Uint8Array; passphrase: string; code: string; practiceName: string; onProgress?: (f: number) => void }): Promise<void> {
  const api = new RelayApi();
  const identity = await deriveIdentity(input.rootSecret);
  await registerTherapist(api, identity, input.code);
  const p = newProfile('therapist', input.practiceName.trim(), Date.now());
  const vault = await createVault(input.passphrase, { dbName: DB_NAME, ...(input.onProgress ? { onProgress: input.onProgress } : {}) });
  const store = await VaultProtocolStore.create(vault, { rootSecret: input.rootSecret });
  const records = new Records(vault);
  await records.saveProfile(p);
  await keepProvisioned(api, identity, store, records, p).catch((e) => {
    if (!(e instanceof OfflineError)) throw e;
  });
  store.close();
  navigate('#/');
  await begin(vault);
}

/** Parses the invite in a `#/join/<invite>` route; throws with a plain-words message. */
export async function inviteFromRoute(hash: string): Promise<Invite> {
  const encoded = hash.replace(/^#\/join\//, '');
  let invite: Invite;
  try {
    invite = await decodeInvite(decodeURIComponent(encoded));
  } catch {
    throw new Error('This invite link is damaged or incomplete. Ask your therapist to send it again, and open the whole link.');
  }
  if (isInviteExpired(invite, Date.now())) throw new Error('This invite has expired. Ask your therapist for a new invite link.');
  return invite;
}

/**
 * Asks the relay, as the join screen opens, whether the invite can still be used (onboarding's
 * `checkInvite`): its expiry, or OnboardingError `invite_refused`, or OfflineError.
 */
export const checkJoinInvite = (invite: Invite): Promise<number> => checkInvite(new RelayApi(), invite);

/**
 * A client's first run from an invite. Every step that needs the relay and can be refused or
 * fail (registration, our mailbox and its capability for the therapist, the therapist's bundle,
 * checked against the identity the invite pinned) runs BEFORE the vault is created: a failure
 * leaves the person on the same screen, able to retry, instead of with a vault and no
 * conversation. Each of those steps is safe to repeat. Then the vault, the session, hello and
 * the signed consent (queued in the outbox, so they go out whenever the network allows), and the
 * prekey upload (retried at every unlock if it fails here).
 */
export async function joinFromInvite(input: { invite: Invite; rootSecret: Uint8Array; passphrase: string; onProgress?: (f: number) => void }): Promise<void> {
  const { invite } = input;
  const api = new RelayApi();
  const identity = await deriveIdentity(input.rootSecret);
  const p = newProfile('client', invite.practiceName, Date.now());
  await registerClient(api, identity, invite);
  await createMailboxOnce(api, identity, p.mailboxId);
  const issued = randomBytes(32);
  await api.addCapability(identity, p.mailboxId, sha256(issued));
  const bundle = await api.fetchBundle(identity, invite.therapist.signingKey);
  await verifyBundle(bundle, invite.therapist);

  const vault = await createVault(input.passphrase, { dbName: DB_NAME, ...(input.onProgress ? { onProgress: input.onProgress } : {}) });
  const store = await VaultProtocolStore.create(vault, { rootSecret: input.rootSecret });
  const records = new Records(vault);
  const conversationId = identityId(invite.therapist);
  await store.transact((session) => startSession(session, conversationId, bundle, { expectedIdentity: invite.therapist }));
  const consent = await acceptConsent(identity, invite.consentText);
  const conversation = conversationFromInvite(invite, issued, Date.now(), consent.documentDigest);
  await records.saveProfile(p);
  await records.saveConversation(conversation);

  const outbox = new Outbox({ records, store, api });
  const now = Date.now();
  await outbox.enqueue(conversation, buildHello({ mailboxId: p.mailboxId, capability: issued, inviteHash: conversation.inviteHash! }, now));
  await outbox.enqueue(conversation, buildConsent({ action: 'accept', ...consent }, now));
  await keepProvisioned(api, identity, store, records, p).catch((e) => {
    if (!(e instanceof OfflineError)) throw e;
  });
  await outbox.flush().catch(() => {});
  store.close();
  navigate(`#/c/${encodeURIComponent(conversationId)}`);
  await begin(vault);
}
