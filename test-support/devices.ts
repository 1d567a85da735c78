/**
 * Test harness for the client's sending and receiving logic without the UI: the real relay app
 * in process over a real SQLite store in a temp dir (relay/testing/app-fixture.ts), reached
 * through `RelayApi`'s `fetch` option, and devices with real vaults on fake-indexeddb (a cheap
 * KDF), real protocol stores and real shared/ crypto, made by the product's own flows
 * (client/account/flows.ts `setUpPractice` and `joinFromInvite`, the functions the app's
 * screens call), then wired the way the session is (client/state/session.ts), minus
 * navigation and the live socket. Test support, not product: the app never imports it
 * (shared/purity.test.ts).
 *
 * The only double is the network: each device's `Net` passes requests to the relay unchanged
 * unless a test cuts it. Cut, a request throws a `TypeError` as a browser's `fetch` does with no
 * network, before the relay sees it (`offline`, `refuse`) or after the relay handled it and the
 * answer was lost (`dropAnswer`).
 * @module
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach } from 'vitest';
import type { Invite } from '../shared/invite.ts';
import { generateRootSecret, identityId, type Identity } from '../shared/keys.ts';
import type { MailboxQuota } from '../relay/storage/types.ts';
import { appFixture, onRealClock, type AppFixture } from '../relay/testing/app-fixture.ts';
import { joinFromInvite, setUpPractice, type FlowDeps } from '../client/account/flows.ts';
import { createInvite, openInviteLink } from '../client/account/onboarding.ts';
import { RelayApi } from '../client/api/relay.ts';
import { Records, type Conversation, type LocalInvite, type Profile, type StoredMessage } from '../client/data/records.ts';
import { newMessage } from '../client/messages/message.ts';
import { Outbox } from '../client/outbox/outbox.ts';
import { Receiver } from '../client/sync/receive.ts';
import type { KdfCost } from '../client/vault/kdf.ts';
import { VaultProtocolStore } from '../client/vault/protocol-store.ts';
import { createVault, openVault, type Vault } from '../client/vault/vault.ts';

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
  const fx = onRealClock(await appFixture(), options.mailboxQuota ? { mailboxQuota: options.mailboxQuota } : {});
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

async function newDevice(relay: Relay): Promise<{ rootSecret: Uint8Array; net: Net; deps: FlowDeps }> {
  const rootSecret = generateRootSecret();
  const net = new Net(relay.fx);
  const api = new RelayApi({ origin: ORIGIN, fetch: net.fetch });
  return { rootSecret, net, deps: { api, createVault: (passphrase) => createVault(passphrase, { dbName: freshDbName('device'), kdf: FAST_KDF }), now: () => Date.now() } };
}

/** The device a flow left: its vault opened as a session opens it (client/state/session.ts `openSession`). */
async function opened(vault: Vault, net: Net, api: RelayApi): Promise<Device> {
  const profile = await new Records(vault).profile();
  if (!profile) throw new Error('harness: the flow left no profile');
  const store = await VaultProtocolStore.open(vault);
  return wire(profile.role, await store.getIdentity(), vault, store, profile, api, net);
}

/** A therapist, made by `setUpPractice` with a fresh registration code. */
export async function therapistDevice(relay: Relay, practiceName = 'Harbour Practice'): Promise<Device> {
  const { rootSecret, net, deps } = await newDevice(relay);
  const { vault } = await setUpPractice(deps, { rootSecret, passphrase: PASSPHRASE, code: await relay.fx.mintCode(), practiceName });
  return opened(vault, net, deps.api);
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

/** The invite in a link made by `createInvite`, its body fetched through `api` (what `inviteFromRoute` reads, without `location`). */
export const inviteFromLink = (link: string, api: RelayApi): Promise<Invite> =>
  openInviteLink(api, decodeURIComponent(link.slice(link.indexOf('#/join/') + '#/join/'.length)), Date.now());


export interface JoinedClient {
  readonly device: Device;
  readonly invite: Invite;
  readonly localInvite: LocalInvite;
  /** The client's conversation with the therapist. */
  readonly conversation: Conversation;
}

/**
 * A client joining from a fresh invite of `therapist` labelled `label`, by `joinFromInvite`:
 * register, capability for the therapist, session from the therapist's bundle, vault,
 * conversation, hello + consent queued and sent, provisioned. `flush: false`: the flow's send
 * finds no network (hello and consent wait in the outbox). `replaces`: a re-invite for that
 * conversation (the person's new device).
 */
export async function joinClient(relay: Relay, therapist: Device, label: string, options: { flush?: boolean; replaces?: string } = {}): Promise<JoinedClient> {
  const localInvite = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, label, ORIGIN, Date.now(), options.replaces);
  const invite = await inviteFromLink(localInvite.link, therapist.api);
  const { rootSecret, net, deps } = await newDevice(relay);
  if (options.flush === false) net.refuse = (r) => r.method === 'POST' && r.path === '/v1/messages';
  const { vault, conversationId } = await joinFromInvite(deps, { rootSecret, passphrase: PASSPHRASE, invite });
  net.refuse = undefined;
  const device = await opened(vault, net, deps.api);
  const conversation = await device.records.conversation(conversationId);
  if (!conversation) throw new Error('harness: the join left no conversation');
  return { device, invite, localInvite, conversation };
}

/**
 * The fixture of a client test file, called once at its top: before each test a fresh relay,
 * then `setup` (which may open devices, pushing them onto the list it is given); after each
 * test every device on the returned list is closed, then the relay. Tests push the devices they
 * open themselves onto the same list.
 */
export function relayPerTest(setup: (relay: Relay, devices: Device[]) => Promise<void> = async () => {}): Device[] {
  const devices: Device[] = [];
  let relay: Relay | undefined;
  beforeEach(async () => {
    relay = await startRelay();
    await setup(relay, devices);
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) await d.close();
    await relay?.close();
  });
  return devices;
}

/** A therapist and a client who joined from its invite labelled `label` (hello and consent sent), on `devices`. */
export async function therapistAndClient(
  relay: Relay,
  label: string,
  devices: Device[],
): Promise<{ relay: Relay; therapist: Device; joined: JoinedClient; client: Device; toTherapist: Conversation }> {
  const therapist = await therapistDevice(relay);
  devices.push(therapist);
  const joined = await joinClient(relay, therapist, label);
  devices.push(joined.device);
  return { relay, therapist, joined, client: joined.device, toTherapist: joined.conversation };
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
