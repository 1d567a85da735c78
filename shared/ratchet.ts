/**
 * The Double Ratchet (Signal, "The Double Ratchet Algorithm", rev. 1, 2016; PROTOCOL.md §5),
 * with header fields in the clear inside the sealed envelope.
 *
 *   KDF_RK(rk, dh)  = HKDF-SHA-256(salt = rk, ikm = dh, info = LABEL.ratchetRoot, 64) -> (rk', ck)
 *   KDF_CK(ck)      = (HMAC-SHA-256(ck, 0x01) = mk, HMAC-SHA-256(ck, 0x02) = ck')
 *   message keys    = HKDF-SHA-256(salt = 0^32, ikm = mk, info = LABEL.ratchetMessageKeys, 44)
 *                     -> ChaCha20-Poly1305 key(32) || nonce(12); AAD = session AD || message header
 *
 * Every step is pure: `(state, input) -> { state, output }` on a copy, so a tampered, replayed,
 * truncated or garbage message throws a typed error and the caller's state is exactly as it
 * was (libsignal's "decrypt on a copy, commit on success"). Skipped keys are bounded by
 * MAX_SKIP per chain and MAX_STORED_SKIPPED_KEYS in all (consts.ts).
 * Does not: set up sessions (handshake.ts), hide the sender (sealed.ts) or pad (padding.ts).
 * @module
 */
import {
  KEY_LEN,
  LABEL,
  MAX_PREVIOUS_RATCHET_KEYS,
  MAX_SKIP,
  MAX_STORED_SKIPPED_KEYS,
  WIRE_VERSION,
  X25519_LEN,
} from './consts.ts';
import { abytes, Reader, wipe, Writer } from './_bytes.ts';
import { equalBytes } from './bytes.ts';
import { AEAD_TAG_LEN, aeadOpen, aeadSeal } from './_aead.ts';
import { hkdf, hmacSha256 } from './_kdf.ts';
import { fail } from './errors.ts';
import { getProvider, type CryptoProvider, type KeyPair } from './provider.ts';

export interface ChainState {
  readonly key: Uint8Array;
  /** Index of the next message key this chain will produce. */
  readonly n: number;
}

export interface SkippedKey {
  readonly ratchetKey: Uint8Array;
  readonly n: number;
  readonly messageKey: Uint8Array;
}

/**
 * Everything a conversation needs between messages. Treat as immutable: every function here
 * returns a new state and never mutates its input.
 */
export interface RatchetState {
  /** Associated data bound into every message: initiator identity || responder identity. */
  readonly ad: Uint8Array;
  readonly rootKey: Uint8Array;
  readonly sendingRatchet: KeyPair;
  readonly receivingRatchetKey: Uint8Array | undefined;
  readonly sendingChain: ChainState | undefined;
  readonly receivingChain: ChainState | undefined;
  /** Length of our previous sending chain (PN in the header). */
  readonly previousCount: number;
  /** Oldest first; evicted from the front when over MAX_STORED_SKIPPED_KEYS. */
  readonly skipped: readonly SkippedKey[];
  /** Receiving ratchet keys we have moved past, newest last, for duplicate detection. */
  readonly previousRatchetKeys: readonly Uint8Array[];
}

/** Parsed header of a ratchet message. */
export interface RatchetHeader {
  readonly ratchetKey: Uint8Array;
  readonly previousCount: number;
  readonly n: number;
}

/** Header wire format: version(1) || type(1) = 0x01 || ratchetKey(32) || PN(4, BE) || N(4, BE). */
export const RATCHET_HEADER_LEN = 1 + 1 + X25519_LEN + 4 + 4;
export const MESSAGE_TYPE_RATCHET = 0x01;

export function encodeHeader(h: RatchetHeader): Uint8Array {
  return new Writer().u8(WIRE_VERSION).u8(MESSAGE_TYPE_RATCHET).raw(h.ratchetKey).u32(h.previousCount).u32(h.n).finish();
}

/** Split a ratchet message into header and AEAD ciphertext. */
export function decodeRatchetMessage(message: Uint8Array): { header: RatchetHeader; headerBytes: Uint8Array; ciphertext: Uint8Array } {
  abytes(message, undefined, 'message');
  if (message.length < RATCHET_HEADER_LEN + AEAD_TAG_LEN) {
    throw fail('malformed', `ratchet message is ${message.length} bytes, needs at least ${RATCHET_HEADER_LEN + AEAD_TAG_LEN}`);
  }
  const r = new Reader(message, 'ratchet message');
  const version = r.u8();
  if (version !== WIRE_VERSION) throw fail('unsupported_version', `ratchet message version ${version}`);
  const type = r.u8();
  if (type !== MESSAGE_TYPE_RATCHET) throw fail('malformed', `ratchet message type ${type}`);
  const header = { ratchetKey: r.raw(X25519_LEN), previousCount: r.u32(), n: r.u32() };
  return { header, headerBytes: message.subarray(0, RATCHET_HEADER_LEN), ciphertext: r.rest() };
}

const ZERO_SALT = new Uint8Array(32);
const CK_MESSAGE = Uint8Array.of(0x01);
const CK_NEXT = Uint8Array.of(0x02);

function kdfRoot(rootKey: Uint8Array, dhOut: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const out = hkdf(dhOut, rootKey, LABEL.ratchetRoot, 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32, 64) };
}

function kdfChain(chain: ChainState): { messageKey: Uint8Array; next: ChainState } {
  if (chain.n >= 0xffff_ffff) throw fail('too_large', 'chain counter exhausted');
  return {
    messageKey: hmacSha256(chain.key, CK_MESSAGE),
    next: { key: hmacSha256(chain.key, CK_NEXT), n: chain.n + 1 },
  };
}

function messageCipherKeys(messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdf(messageKey, ZERO_SALT, LABEL.ratchetMessageKeys, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

function aadFor(ad: Uint8Array, headerBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(ad.length + headerBytes.length);
  out.set(ad);
  out.set(headerBytes, ad.length);
  return out;
}

/**
 * Alice's side (spec §3.3 RatchetInitAlice): she knows Bob's signed prekey, which serves as
 * his first ratchet key, and can send at once.
 */
export async function initAlice(
  sharedSecret: Uint8Array,
  ad: Uint8Array,
  bobRatchetKey: Uint8Array,
  provider?: CryptoProvider,
): Promise<RatchetState> {
  abytes(sharedSecret, KEY_LEN, 'sharedSecret');
  abytes(bobRatchetKey, X25519_LEN, 'bobRatchetKey');
  const p = provider ?? (await getProvider());
  const sendingRatchet = await p.x25519Generate();
  const { rootKey, chainKey } = kdfRoot(sharedSecret, await p.x25519(sendingRatchet.secretKey, bobRatchetKey));
  return {
    ad,
    rootKey,
    sendingRatchet,
    receivingRatchetKey: bobRatchetKey,
    sendingChain: { key: chainKey, n: 0 },
    receivingChain: undefined,
    previousCount: 0,
    skipped: [],
    previousRatchetKeys: [],
  };
}

/** Bob's side (spec §3.3 RatchetInitBob): his signed prekey pair is his first ratchet key. */
export function initBob(sharedSecret: Uint8Array, ad: Uint8Array, signedPreKey: KeyPair): RatchetState {
  abytes(sharedSecret, KEY_LEN, 'sharedSecret');
  return {
    ad,
    rootKey: sharedSecret.slice(),
    sendingRatchet: signedPreKey,
    receivingRatchetKey: undefined,
    sendingChain: undefined,
    receivingChain: undefined,
    previousCount: 0,
    skipped: [],
    previousRatchetKeys: [],
  };
}

/** True when the state can send (Bob cannot until Alice's first message arrives). */
export function canSend(state: RatchetState): boolean {
  return state.sendingChain !== undefined;
}

/** Encrypt one plaintext. Returns the new state and the ratchet message (header || ciphertext). */
export async function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  provider?: CryptoProvider,
): Promise<{ state: RatchetState; message: Uint8Array }> {
  abytes(plaintext, undefined, 'plaintext');
  if (!state.sendingChain) throw fail('no_session', 'session cannot send before it has received a message');
  const p = provider ?? (await getProvider());
  const { messageKey, next } = kdfChain(state.sendingChain);
  const headerBytes = encodeHeader({ ratchetKey: state.sendingRatchet.publicKey, previousCount: state.previousCount, n: state.sendingChain.n });
  const { key, nonce } = messageCipherKeys(messageKey);
  const ciphertext = aeadSeal(key, nonce, plaintext, aadFor(state.ad, headerBytes));
  wipe(messageKey, key);
  const message = new Uint8Array(headerBytes.length + ciphertext.length);
  message.set(headerBytes);
  message.set(ciphertext, headerBytes.length);
  return { state: { ...state, sendingChain: next }, message };
}

/** Mutable working copy used inside one decrypt; only returned when decryption succeeded. */
type Draft = { -readonly [K in keyof RatchetState]: RatchetState[K] } & { skipped: SkippedKey[]; previousRatchetKeys: Uint8Array[] };

function draftOf(state: RatchetState): Draft {
  // Entries are immutable, so copying the arrays (not their entries) is enough.
  return { ...state, skipped: [...state.skipped], previousRatchetKeys: [...state.previousRatchetKeys] };
}

/** Derive and store keys of the receiving chain up to (not including) `until`. */
function skipTo(d: Draft, until: number): void {
  const chain = d.receivingChain;
  if (!chain || !d.receivingRatchetKey) return;
  if (until <= chain.n) return;
  if (until - chain.n > MAX_SKIP) {
    throw fail('too_far_ahead', `message ${until} is ${until - chain.n} ahead of chain position ${chain.n} (MAX_SKIP ${MAX_SKIP})`);
  }
  let c = chain;
  while (c.n < until) {
    const { messageKey, next } = kdfChain(c);
    d.skipped.push({ ratchetKey: d.receivingRatchetKey, n: c.n, messageKey });
    c = next;
  }
  d.receivingChain = c;
  if (d.skipped.length > MAX_STORED_SKIPPED_KEYS) {
    const evicted = d.skipped.splice(0, d.skipped.length - MAX_STORED_SKIPPED_KEYS);
    // Evicted keys belong to no state any more; their copies in the old state are the caller's.
    void evicted;
  }
}

async function dhRatchet(d: Draft, ratchetKey: Uint8Array, p: CryptoProvider): Promise<void> {
  d.previousCount = d.sendingChain?.n ?? 0;
  if (d.receivingRatchetKey) {
    d.previousRatchetKeys.push(d.receivingRatchetKey);
    if (d.previousRatchetKeys.length > MAX_PREVIOUS_RATCHET_KEYS) d.previousRatchetKeys.shift();
  }
  d.receivingRatchetKey = ratchetKey;
  // The new sending key pair does not depend on the first DH: let both run at once.
  const [dhRecv, nextRatchet] = await Promise.all([p.x25519(d.sendingRatchet.secretKey, ratchetKey), p.x25519Generate()]);
  const recv = kdfRoot(d.rootKey, dhRecv);
  d.receivingChain = { key: recv.chainKey, n: 0 };
  d.sendingRatchet = nextRatchet;
  const send = kdfRoot(recv.rootKey, await p.x25519(d.sendingRatchet.secretKey, ratchetKey));
  d.rootKey = send.rootKey;
  d.sendingChain = { key: send.chainKey, n: 0 };
}

/**
 * Decrypt one ratchet message. On any failure throws a ConfidantError (`malformed`,
 * `unsupported_version`, `duplicate`, `too_far_ahead`, `bad_mac`, `invalid_key`) and the
 * given state is untouched; on success returns the new state to persist.
 */
export async function ratchetDecrypt(
  state: RatchetState,
  message: Uint8Array,
  provider?: CryptoProvider,
): Promise<{ state: RatchetState; plaintext: Uint8Array }> {
  const { header, headerBytes, ciphertext } = decodeRatchetMessage(message);
  const p = provider ?? (await getProvider());
  const aad = aadFor(state.ad, headerBytes);

  // 1. A key we skipped earlier: use it once and forget it.
  const skippedIndex = state.skipped.findIndex((s) => s.n === header.n && equalBytes(s.ratchetKey, header.ratchetKey));
  if (skippedIndex >= 0) {
    const { key, nonce } = messageCipherKeys(state.skipped[skippedIndex]!.messageKey);
    const plaintext = aeadOpen(key, nonce, ciphertext, aad);
    const skipped = [...state.skipped];
    skipped.splice(skippedIndex, 1);
    return { state: { ...state, skipped }, plaintext };
  }

  const d = draftOf(state);
  const current = d.receivingRatchetKey !== undefined && equalBytes(d.receivingRatchetKey, header.ratchetKey);
  if (current) {
    // Alice's initial state names Bob's signed prekey as his ratchet key without a chain: Bob
    // never sends under it, so a message that does is forged.
    if (!d.receivingChain) throw fail('malformed', 'message uses the initial prekey as its ratchet key');
    if (header.n < d.receivingChain.n) throw fail('duplicate', `message ${header.n} of the current chain was already received`);
  } else {
    if (equalBytes(header.ratchetKey, d.sendingRatchet.publicKey)) {
      throw fail('malformed', 'message carries our own ratchet key (reflected)');
    }
    if (d.previousRatchetKeys.some((k) => equalBytes(k, header.ratchetKey))) {
      throw fail('duplicate', `message ${header.n} belongs to a finished chain and was already received or expired`);
    }
    // A new ratchet key: close the current receiving chain up to PN, then step the DH ratchet.
    skipTo(d, header.previousCount);
    await dhRatchet(d, header.ratchetKey, p);
  }
  skipTo(d, header.n);
  const { messageKey, next } = kdfChain(d.receivingChain!);
  const { key, nonce } = messageCipherKeys(messageKey);
  const plaintext = aeadOpen(key, nonce, ciphertext, aad);
  wipe(messageKey, key);
  d.receivingChain = next;
  return { state: d, plaintext };
}

// ---------------------------------------------------------------------------------------------
// Serialization (PROTOCOL.md §5.4). Fixed order, u32 counts, presence bytes for optionals.

const STATE_VERSION = 1;

export function encodeRatchetState(s: RatchetState): Uint8Array {
  const w = new Writer()
    .u8(STATE_VERSION)
    .bytes(s.ad)
    .raw(s.rootKey)
    .raw(s.sendingRatchet.secretKey)
    .raw(s.sendingRatchet.publicKey)
    .optional(s.receivingRatchetKey);
  for (const c of [s.sendingChain, s.receivingChain]) {
    if (c) w.u8(1).raw(c.key).u32(c.n);
    else w.u8(0);
  }
  w.u32(s.previousCount).u32(s.skipped.length);
  for (const k of s.skipped) w.raw(k.ratchetKey).u32(k.n).raw(k.messageKey);
  w.u32(s.previousRatchetKeys.length);
  for (const k of s.previousRatchetKeys) w.raw(k);
  return w.finish();
}

/** Parse a serialized state from a reader (used by the session record), validating every bound. */
export function readRatchetState(r: Reader): RatchetState {
  const version = r.u8();
  if (version !== STATE_VERSION) throw fail('unsupported_version', `ratchet state version ${version}`);
  const ad = r.bytes(1024);
  const rootKey = r.raw(KEY_LEN);
  const sendingRatchet = { secretKey: r.raw(32), publicKey: r.raw(32) };
  const receivingRatchetKey = r.optional(X25519_LEN);
  const chains: (ChainState | undefined)[] = [];
  for (let i = 0; i < 2; i++) {
    const flag = r.u8();
    if (flag === 0) chains.push(undefined);
    else if (flag === 1) chains.push({ key: r.raw(KEY_LEN), n: r.u32() });
    else throw fail('malformed', `ratchet state: chain flag ${flag}`);
  }
  const previousCount = r.u32();
  const skippedCount = r.u32();
  if (skippedCount > MAX_STORED_SKIPPED_KEYS) throw fail('malformed', `ratchet state: ${skippedCount} skipped keys`);
  const skipped: SkippedKey[] = [];
  for (let i = 0; i < skippedCount; i++) skipped.push({ ratchetKey: r.raw(X25519_LEN), n: r.u32(), messageKey: r.raw(KEY_LEN) });
  const prevCount = r.u32();
  if (prevCount > MAX_PREVIOUS_RATCHET_KEYS) throw fail('malformed', `ratchet state: ${prevCount} previous ratchet keys`);
  const previousRatchetKeys: Uint8Array[] = [];
  for (let i = 0; i < prevCount; i++) previousRatchetKeys.push(r.raw(X25519_LEN));
  return {
    ad,
    rootKey,
    sendingRatchet,
    receivingRatchetKey,
    sendingChain: chains[0],
    receivingChain: chains[1],
    previousCount,
    skipped,
    previousRatchetKeys,
  };
}

export function decodeRatchetState(bytes: Uint8Array): RatchetState {
  const r = new Reader(abytes(bytes, undefined, 'state'), 'ratchet state');
  const s = readRatchetState(r);
  r.end();
  return s;
}
