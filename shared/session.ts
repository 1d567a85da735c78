/**
 * Session management (PROTOCOL.md §8): the records a device keeps per peer, and the
 * operations that read them from a store, run the pure protocol steps, and commit only when a
 * step succeeded — libsignal's `session_management` shape. A failed decrypt of any kind leaves
 * every store (sessions, prekeys) exactly as it was.
 *
 * A session record holds the peer's identity, the PQXDH base key that created the session
 * (to recognise a repeated prekey message), the prekey header Alice repeats until Bob answers,
 * base keys of sessions it replaced (to refuse replayed old prekey messages) and the ratchet.
 * Does not: decide whom to trust beyond pinning (the app shows identity changes), or persist
 * anything itself: `ProtocolStore` is implemented by the client's encrypted vault.
 * @module
 */
import { MAILBOX_ID_LEN, MAX_PREVIOUS_BASE_KEYS, X25519_LEN } from './consts.ts';
import { abytes, Reader, Writer } from './_bytes.ts';
import { equalBytes } from './bytes.ts';
import { ConfidantError, fail } from './errors.ts';
import type { MailboxId } from './ids.ts';
import {
  decodePreKeyHeader,
  decodePreKeyMessage,
  encodePreKeyHeader,
  encodePreKeyMessage,
  MESSAGE_TYPE_PREKEY,
  pqxdhInitiate,
  pqxdhRespond,
  type PreKeyHeader,
} from './handshake.ts';
import { decodePublicIdentity, encodePublicIdentity, identitiesEqual, identityId, PUBLIC_IDENTITY_LEN, type Identity, type PublicIdentity } from './keys.ts';
import { pad, unpad } from './padding.ts';
import type { KemPreKeyRecord, OneTimePreKeyRecord, PreKeyBundle, SignedPreKeyRecord } from './prekeys.ts';
import { getProvider, type CryptoProvider } from './provider.ts';
import { encodeRatchetState, initAlice, initBob, MESSAGE_TYPE_RATCHET, ratchetDecrypt, ratchetEncrypt, readRatchetState, type RatchetState } from './ratchet.ts';
import { openEnvelope, sealEnvelope } from './sealed.ts';


export interface SessionRecord {
  readonly remoteIdentity: PublicIdentity;
  readonly baseKey: Uint8Array;
  /** Set on the initiator until the first reply arrives: every message is a prekey message. */
  readonly pendingPreKey: PreKeyHeader | undefined;
  readonly previousBaseKeys: readonly Uint8Array[];
  readonly ratchet: RatchetState;
}

/** The storage a device provides. All methods may be asynchronous (IndexedDB). */
export interface ProtocolStore {
  getIdentity(): Promise<Identity>;
  loadSession(address: string): Promise<Uint8Array | undefined>;
  storeSession(address: string, record: Uint8Array): Promise<void>;
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined>;
  loadKemPreKey(id: number): Promise<KemPreKeyRecord | undefined>;
  loadOneTimePreKey(id: number): Promise<OneTimePreKeyRecord | undefined>;
  removeOneTimePreKey(id: number): Promise<void>;
}

const RECORD_VERSION = 1;

export function encodeSessionRecord(s: SessionRecord): Uint8Array {
  const w = new Writer().u8(RECORD_VERSION).raw(encodePublicIdentity(s.remoteIdentity)).raw(s.baseKey);
  if (s.pendingPreKey) w.u8(1).bytes(encodePreKeyHeader(s.pendingPreKey));
  else w.u8(0);
  w.u32(s.previousBaseKeys.length);
  for (const k of s.previousBaseKeys) w.raw(k);
  return w.raw(encodeRatchetState(s.ratchet)).finish();
}

export function decodeSessionRecord(bytes: Uint8Array): SessionRecord {
  const r = new Reader(abytes(bytes, undefined, 'record'), 'session record');
  const version = r.u8();
  if (version !== RECORD_VERSION) throw fail('unsupported_version', `session record version ${version}`);
  const remoteIdentity = decodePublicIdentity(r.raw(PUBLIC_IDENTITY_LEN));
  const baseKey = r.raw(X25519_LEN);
  const flag = r.u8();
  let pendingPreKey: PreKeyHeader | undefined;
  if (flag === 1) pendingPreKey = decodePreKeyHeader(r.bytes(4096));
  else if (flag !== 0) throw fail('malformed', `session record: pending flag ${flag}`);
  const count = r.u32();
  if (count > MAX_PREVIOUS_BASE_KEYS) throw fail('malformed', `session record: ${count} previous base keys`);
  const previousBaseKeys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) previousBaseKeys.push(r.raw(X25519_LEN));
  const ratchet = readRatchetState(r);
  r.end();
  return { remoteIdentity, baseKey, pendingPreKey, previousBaseKeys, ratchet };
}

// ---------------------------------------------------------------------------------------------
// Pure steps: (record, input) -> { record, output }.

/** Alice: a new session from Bob's bundle. The record's first messages carry the prekey header. */
export async function initiateSession(
  ours: Identity,
  bundle: PreKeyBundle,
  options: { expectedIdentity?: PublicIdentity; previous?: SessionRecord; provider?: CryptoProvider } = {},
): Promise<SessionRecord> {
  const p = options.provider ?? (await getProvider());
  const { sharedSecret, ad, header } = await pqxdhInitiate(ours, bundle, { ...options, provider: p });
  const ratchet = await initAlice(sharedSecret, ad, bundle.signedPreKey.publicKey, p);
  sharedSecret.fill(0);
  return {
    remoteIdentity: bundle.identity,
    baseKey: header.baseKey,
    pendingPreKey: header,
    previousBaseKeys: rememberBaseKey(options.previous),
    ratchet,
  };
}

function rememberBaseKey(previous: SessionRecord | undefined): Uint8Array[] {
  if (!previous) return [];
  return [...previous.previousBaseKeys, previous.baseKey].slice(-MAX_PREVIOUS_BASE_KEYS);
}

/** Encrypt `plaintext` (already padded by the caller) in `record`'s session. */
export async function sessionEncrypt(
  record: SessionRecord,
  plaintext: Uint8Array,
  provider?: CryptoProvider,
): Promise<{ record: SessionRecord; type: number; message: Uint8Array }> {
  const { state, message } = await ratchetEncrypt(record.ratchet, plaintext, provider);
  const next = { ...record, ratchet: state };
  if (record.pendingPreKey) return { record: next, type: MESSAGE_TYPE_PREKEY, message: encodePreKeyMessage(record.pendingPreKey, message) };
  return { record: next, type: MESSAGE_TYPE_RATCHET, message };
}

/** What `sessionDecrypt` needs to answer a prekey message: the device's own private prekeys. */
export interface PreKeyLookup {
  identity: Identity;
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined>;
  loadKemPreKey(id: number): Promise<KemPreKeyRecord | undefined>;
  loadOneTimePreKey(id: number): Promise<OneTimePreKeyRecord | undefined>;
}

/**
 * Decrypt a ratchet or prekey message from `sender`. Returns the record to store and, for a
 * prekey message that created a session, the one-time prekey id to delete. Nothing is
 * consumed or stored here; on error nothing has changed.
 */
export async function sessionDecrypt(
  existing: SessionRecord | undefined,
  sender: PublicIdentity,
  type: number,
  message: Uint8Array,
  lookup: PreKeyLookup,
  provider?: CryptoProvider,
): Promise<{ record: SessionRecord; plaintext: Uint8Array; consumedOneTimePreKeyId: number | undefined }> {
  const p = provider ?? (await getProvider());
  if (existing && !identitiesEqual(existing.remoteIdentity, sender)) {
    throw fail('identity_mismatch', 'message is from a different identity than this session');
  }
  if (type === MESSAGE_TYPE_RATCHET) {
    if (!existing) throw fail('no_session', 'ratchet message without a session');
    const { state, plaintext } = await ratchetDecrypt(existing.ratchet, message, p);
    // Bob has answered: stop repeating the prekey header.
    return { record: { ...existing, ratchet: state, pendingPreKey: undefined }, plaintext, consumedOneTimePreKeyId: undefined };
  }
  if (type !== MESSAGE_TYPE_PREKEY) throw fail('malformed', `message type ${type}`);

  const { header, ratchetMessage } = decodePreKeyMessage(message);
  if (!identitiesEqual(header.identity, sender)) {
    throw fail('identity_mismatch', 'prekey message identity differs from the sealed sender');
  }
  // The same session's prekey message again (Alice repeats it until we answer): just a message.
  if (existing && equalBytes(existing.baseKey, header.baseKey)) {
    const { state, plaintext } = await ratchetDecrypt(existing.ratchet, ratchetMessage, p);
    return { record: { ...existing, ratchet: state }, plaintext, consumedOneTimePreKeyId: undefined };
  }
  if (existing?.previousBaseKeys.some((k) => equalBytes(k, header.baseKey))) {
    throw fail('duplicate', 'prekey message of a session that was already replaced');
  }
  const [signedPreKey, kemPreKey, oneTimePreKey] = await Promise.all([
    lookup.loadSignedPreKey(header.signedPreKeyId),
    lookup.loadKemPreKey(header.kemPreKeyId),
    header.oneTimePreKeyId === undefined ? undefined : lookup.loadOneTimePreKey(header.oneTimePreKeyId),
  ]);
  if (!signedPreKey) throw fail('unknown_prekey', `signed prekey ${header.signedPreKeyId}`);
  if (!kemPreKey) throw fail('unknown_prekey', `ML-KEM prekey ${header.kemPreKeyId}`);
  if (header.oneTimePreKeyId !== undefined && !oneTimePreKey) {
    // Already used (or never ours): a replayed first message lands here.
    throw fail('unknown_prekey', `one-time prekey ${header.oneTimePreKeyId}`);
  }
  const { sharedSecret, ad } = await pqxdhRespond(lookup.identity, header, { signedPreKey, kemPreKey, oneTimePreKey }, p);
  const fresh = initBob(sharedSecret, ad, signedPreKey.keyPair);
  sharedSecret.fill(0);
  const { state, plaintext } = await ratchetDecrypt(fresh, ratchetMessage, p);
  return {
    record: {
      remoteIdentity: header.identity,
      baseKey: header.baseKey,
      pendingPreKey: undefined,
      previousBaseKeys: rememberBaseKey(existing),
      ratchet: state,
    },
    plaintext,
    consumedOneTimePreKeyId: header.oneTimePreKeyId,
  };
}

// ---------------------------------------------------------------------------------------------
// Store-backed operations: read, step, commit on success.

/** Default address of a peer in the store: its identity id. */
export const addressOf = identityId;

async function loadRecord(store: ProtocolStore, address: string): Promise<SessionRecord | undefined> {
  const bytes = await store.loadSession(address);
  return bytes ? decodeSessionRecord(bytes) : undefined;
}

/** Start (or restart) a session with the owner of `bundle`, storing it under `address`. */
export async function startSession(
  store: ProtocolStore,
  address: string,
  bundle: PreKeyBundle,
  options: { expectedIdentity?: PublicIdentity; provider?: CryptoProvider } = {},
): Promise<void> {
  const previous = await loadRecord(store, address);
  if (previous && !options.expectedIdentity && !identitiesEqual(previous.remoteIdentity, bundle.identity)) {
    throw fail('identity_mismatch', 'bundle identity differs from the existing session; acknowledge the change first');
  }
  const record = await initiateSession(await store.getIdentity(), bundle, { ...options, ...(previous ? { previous } : {}) });
  await store.storeSession(address, encodeSessionRecord(record));
}

/**
 * Pad, ratchet-encrypt and seal `plaintext` for the peer at `address`, addressed to
 * `mailboxId`. Returns the envelope the relay stores.
 */
export async function sealMessage(
  store: ProtocolStore,
  address: string,
  mailboxId: MailboxId,
  plaintext: Uint8Array,
  provider?: CryptoProvider,
): Promise<Uint8Array> {
  abytes(mailboxId, MAILBOX_ID_LEN, 'mailboxId');
  const p = provider ?? (await getProvider());
  const record = await loadRecord(store, address);
  if (!record) throw fail('no_session', `no session for ${address}`);
  const { record: next, type, message } = await sessionEncrypt(record, pad(plaintext), p);
  const envelope = await sealEnvelope(await store.getIdentity(), record.remoteIdentity, mailboxId, { type, message }, p);
  await store.storeSession(address, encodeSessionRecord(next));
  return envelope;
}

export interface OpenedMessage {
  readonly sender: PublicIdentity;
  readonly address: string;
  readonly mailboxId: Uint8Array;
  readonly plaintext: Uint8Array;
}

/**
 * Open a sealed envelope: unseal, decrypt in the sender's session (creating it from a prekey
 * message), unpad, and only then commit the session and consume the one-time prekey.
 * `addressFor` maps the authenticated sender to its store address (default: identity id).
 */
export async function openMessage(
  store: ProtocolStore,
  envelope: Uint8Array,
  options: { addressFor?: (sender: PublicIdentity) => string | Promise<string>; provider?: CryptoProvider } = {},
): Promise<OpenedMessage> {
  const p = options.provider ?? (await getProvider());
  const identity = await store.getIdentity();
  const { sender, type, message, mailboxId } = await openEnvelope(identity, envelope, p);
  const address = await (options.addressFor ?? addressOf)(sender);
  const existing = await loadRecord(store, address);
  const lookup: PreKeyLookup = {
    identity,
    loadSignedPreKey: (id) => store.loadSignedPreKey(id),
    loadKemPreKey: (id) => store.loadKemPreKey(id),
    loadOneTimePreKey: (id) => store.loadOneTimePreKey(id),
  };
  const { record, plaintext, consumedOneTimePreKeyId } = await sessionDecrypt(existing, sender, type, message, lookup, p);
  const unpadded = unpad(plaintext);
  await store.storeSession(address, encodeSessionRecord(record));
  if (consumedOneTimePreKeyId !== undefined) await store.removeOneTimePreKey(consumedOneTimePreKeyId);
  return { sender, address, mailboxId, plaintext: unpadded };
}

/** Is `e` an error that means "this message is bad", as opposed to a programming error? */
export function isRejectedMessage(e: unknown): e is ConfidantError {
  return ConfidantError.is(e) && e.code !== 'invalid_argument';
}

