/**
 * Test harness for the client's sending and receiving logic without the UI: the real relay app
 * in process over a real SQLite store in a temp dir (relay/testing/app-fixture.ts), reached
 * through `RelayApi`'s `fetch` option, and devices with real vaults on fake-indexeddb (a cheap
 * KDF), real protocol stores and real shared/ crypto, set up the way client/state/app.ts's
 * `setUpTherapist` and `joinFromInvite` do (same onboarding functions, minus `location`,
 * navigation and the live socket).
 *
 * The only double is the network: each device's `Net` passes requests to the relay unchanged
 * unless a test cuts it. Cut, a request throws a `TypeError` as a browser's `fetch` does with no
 * network, before the relay sees it (`offline`, `refuse`) or after the relay handled it and the
 * answer was lost (`dropAnswer`).
 * @module
 */
import 'fake-indexeddb/auto';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeInvite, type Invite } from '../../shared/invite.ts';
import { deriveIdentity, generateRootSecret, identityId, type Identity } from '../../shared/keys.ts';
import { verifyBundle } from '../../shared/prekeys.ts';
import { randomBytes } from '../../shared/provider.ts';
import { startSession } from '../../shared/session.ts';
import { createApp } from '../../relay/app.ts';
import type { MailboxQuota } from '../../relay/storage/types.ts';
import { appFixture, type AppFixture } from '../../relay/testing/app-fixture.ts';
import { acceptConsent, conversationFromInvite, createInvite, newProfile, provisionDevice, registerClient, registerTherapist } from '../account/onboarding.ts';
import { RelayApi } from '../api/relay.ts';
import { Records, type Conversation, type LocalInvite, type Profile, type StoredMessage } from '../data/records.ts';
import { buildConsent } from '../messages/consent.ts';
import { buildHello } from '../messages/hello.ts';
import { newMessage } from '../messages/message.ts';
import { Outbox } from '../outbox/outbox.ts';
import { Receiver } from '../sync/receive.ts';
import type { KdfCost } from '../vault/kdf.ts';
import { VaultProtocolStore } from '../vault/protocol-store.ts';
import { createVault, openVault, type Vault } from '../vault/vault.ts';

/** Cheap KDF: these tests are about messages, not passphrases. */
export const FAST_KDF: KdfCost = { algorithm: 'argon2id', m: 64, t: 1, p: 1 };
export const PASSPHRASE = 'harness passphrase';
export const ORIGIN = 'https://relay.test';

export interface SeenRequest {
  readonly method: string;
  /** Path and query, as the relay routes it. */
  readonly path: string;
}

/** One device's network. */
export class Net {
  /** No network at all: every request throws before reaching the relay. */
  offline = false;
  /** Requests refused as if offline (the relay never sees them). */
  refuse: ((r: SeenRequest) => boolean) | undefined;
  /** Rewrites a request's body on its way to the relay (a byte changed in transit); undefined: unchanged. */
  rewrite: ((r: SeenRequest, body: Uint8Array) => Uint8Array | undefined | Promise<Uint8Array | undefined>) | undefined;
  /** Requests the relay handles whose answer never arrives (the device sees a network error). */
  dropAnswer: ((r: SeenRequest) => boolean) | undefined;
  /** Every request that reached the relay, with its status. */
  readonly handled: (SeenRequest & { status: number })[] = [];
  /** The body of every `POST /v1/messages` that reached the relay (the sealed envelopes). */
  readonly envelopes: Uint8Array[] = [];

  constructor(private readonly relay: AppFixture) {}

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const seen: SeenRequest = { method: (init?.method ?? 'GET').toUpperCase(), path: url.pathname + url.search };
    if (this.offline || this.refuse?.(seen)) throw new TypeError('Failed to fetch');
    const rewritten = this.rewrite && init?.body instanceof Uint8Array ? await this.rewrite(seen, init.body) : undefined;
    const res = await this.relay.app.request(input, rewritten ? { ...init, body: rewritten as BodyInit } : init);
    this.handled.push({ ...seen, status: res.status });
    const body: unknown = init?.body;
    if (seen.method === 'POST' && seen.path === '/v1/messages' && body instanceof Uint8Array) this.envelopes.push(body.slice());
    if (this.dropAnswer?.(seen)) throw new TypeError('Failed to fetch');
    return res;
  };

  /** Handled requests of `method` to paths starting with `prefix`. */
  count(method: string, prefix: string, status?: number): number {
    return this.handled.filter((r) => r.method === method && r.path.startsWith(prefix) && (status === undefined || r.status === status)).length;
  }
}

export interface Relay {
  readonly fx: AppFixture;
  close(): Promise<void>;
}

/**
 * The relay in process. Its clock is the real one (devices sign requests with `Date.now()`),
 * and the rate limit is lifted: every in-process request shares one bucket, and a backlog test
 * sends hundreds of messages. `mailboxQuota` makes mailboxes fill up sooner (429 `quota`).
 */
export async function startRelay(options: { mailboxQuota?: MailboxQuota } = {}): Promise<Relay> {
  const fx = await appFixture();
  fx.now = Date.now();
  fx.app = createApp({
    store: fx.store,
    blobs: fx.blobs,
    now: () => Date.now(),
    rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
    ...(options.mailboxQuota ? { mailboxQuota: options.mailboxQuota } : {}),
  });
  return { fx, close: () => fx.close() };
}

export interface Device {
  readonly role: Profile['role'];
  readonly identity: Identity;
  readonly vault: Vault;
  readonly store: VaultProtocolStore;
  readonly records: Records;
  readonly profile: Profile;
  readonly api: RelayApi;
  readonly net: Net;
  readonly outbox: Outbox;
  readonly receiver: Receiver;
  /** Waits for a send the receiver started in the background, then closes the vault. */
  close(): Promise<void>;
}

let dbCounter = 0;
const freshDbName = (role: string): string => `harness-${role}-${process.pid}-${++dbCounter}`;

function wire(role: Profile['role'], identity: Identity, vault: Vault, store: VaultProtocolStore, profile: Profile, api: RelayApi, net: Net): Device {
  const records = new Records(vault);
  const outbox = new Outbox({ records, store, api });
  const receiver = new Receiver({ records, store, api, identity, profile, outbox });
  return {
    role,
    identity,
    vault,
    store,
    records,
    profile,
    api,
    net,
    outbox,
    receiver,
    async close() {
      // A flush a test started without awaiting it: flush() joins the running one.
      await outbox.flush().catch(() => undefined);
      store.close();
      vault.close();
    },
  };
}

async function newDevice(relay: Relay): Promise<{ rootSecret: Uint8Array; identity: Identity; net: Net; api: RelayApi }> {
  const rootSecret = generateRootSecret();
  const identity = await deriveIdentity(rootSecret.slice());
  const net = new Net(relay.fx);
  return { rootSecret, identity, net, api: new RelayApi({ origin: ORIGIN, fetch: net.fetch }) };
}

/** A therapist, as `setUpTherapist` makes one: registered with a fresh code, vault, provisioned. */
export async function therapistDevice(relay: Relay, practiceName = 'Harbour Practice'): Promise<Device> {
  const { rootSecret, identity, net, api } = await newDevice(relay);
  await registerTherapist(api, identity, await relay.fx.mintCode());
  const profile = newProfile('therapist', practiceName, Date.now());
  const vault = await createVault(PASSPHRASE, { dbName: freshDbName('therapist'), kdf: FAST_KDF });
  const store = await VaultProtocolStore.create(vault, { rootSecret });
  await new Records(vault).saveProfile(profile);
  await provisionDevice(api, identity, store, profile);
  return wire('therapist', identity, vault, store, profile, api, net);
}

/**
 * The same device open in a second tab: its own vault handle on the same IndexedDB database,
 * its own protocol store, outbox and receiver (as a second page would have), the same account.
 */
export async function secondTab(device: Device): Promise<Device> {
  const vault = await openVault(device.vault.dbName);
  await vault.unlock(PASSPHRASE);
  const store = await VaultProtocolStore.open(vault);
  return wire(device.role, device.identity, vault, store, device.profile, device.api, device.net);
}

/** The invite in a link made by `createInvite` (what `inviteFromRoute` reads, without `location`). */
export const inviteFromLink = (link: string): Promise<Invite> => decodeInvite(decodeURIComponent(link.slice(link.indexOf('#/join/') + '#/join/'.length)));


export interface JoinedClient {
  readonly device: Device;
  readonly invite: Invite;
  readonly localInvite: LocalInvite;
  /** The client's conversation with the therapist. */
  readonly conversation: Conversation;
}

/**
 * A client joining from a fresh invite of `therapist` labelled `label`, as `joinFromInvite`
 * does: register, vault, provision, capability for the therapist, session from the therapist's
 * bundle, conversation, hello + consent queued. `flush` (default true) sends them, as
 * `joinFromInvite` tries to. `replaces`: a re-invite for that conversation (the person's new device).
 */
export async function joinClient(relay: Relay, therapist: Device, label: string, options: { flush?: boolean; replaces?: string } = {}): Promise<JoinedClient> {
  const localInvite = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, label, ORIGIN, Date.now(), options.replaces);
  const invite = await inviteFromLink(localInvite.link);
  const { rootSecret, identity, net, api } = await newDevice(relay);
  await registerClient(api, identity, invite);
  const profile = newProfile('client', invite.practiceName, Date.now());
  const vault = await createVault(PASSPHRASE, { dbName: freshDbName('client'), kdf: FAST_KDF });
  const store = await VaultProtocolStore.create(vault, { rootSecret });
  const records = new Records(vault);
  await records.saveProfile(profile);
  await provisionDevice(api, identity, store, profile);

  const issued = randomBytes(32);
  await api.addCapability(identity, profile.mailboxId, sha256(issued));
  const bundle = await api.fetchBundle(identity, invite.therapist.signingKey);
  await verifyBundle(bundle, invite.therapist);
  const conversationId = identityId(invite.therapist);
  await store.transact((session) => startSession(session, conversationId, bundle, { expectedIdentity: invite.therapist }));
  const consent = await acceptConsent(identity, invite.consentText);
  const conversation = conversationFromInvite(invite, issued, Date.now(), consent.documentDigest);
  await records.saveConversation(conversation);

  const device = wire('client', identity, vault, store, profile, api, net);
  const now = Date.now();
  await device.outbox.enqueue(conversation, buildHello({ mailboxId: profile.mailboxId, capability: issued, inviteHash: conversation.inviteHash! }, now));
  await device.outbox.enqueue(conversation, buildConsent({ action: 'accept', ...consent }, now));
  if (options.flush ?? true) await device.outbox.flush();
  return { device, invite, localInvite, conversation };
}

let lastSentAt = 0;
/** Now, but later than any time handed out before: messages order by `sentAt` (ties by random id). */
const nextSentAt = (): number => (lastSentAt = Math.max(Date.now(), lastSentAt + 1));

/** Queues a text message as `Session.send` does (message stored `queued` with its outbox item). */
export async function queueText(device: Device, conversation: Conversation, text: string, sentAt = nextSentAt()): Promise<StoredMessage> {
  const { payload, message } = newMessage({ text }, sentAt);
  await device.outbox.enqueue(conversation, payload, message);
  return message;
}

/** The texts of a conversation's stored messages, in time order. */
export async function texts(device: Device, conversationId: string): Promise<string[]> {
  return (await device.records.messages(conversationId)).map((m) => m.message.text ?? '');
}

/** The conversation `device` keeps with `peer` (throws when it has none). */
export async function conversationWith(device: Device, peer: Device): Promise<Conversation> {
  const c = await device.records.conversation(identityId(peer.identity.publicIdentity));
  if (!c) throw new Error('harness: no conversation with that peer');
  return c;
}
