/**
 * Sealed sender (PROTOCOL.md §6): the outer envelope the relay sees. Modelled on Signal's
 * sealed sender v1 (libsignal `sealed_sender.rs`), with ChaCha20-Poly1305 (AEAD below) in place
 * of AES-CTR + HMAC and the mailbox id bound into both layers.
 *
 *   header   = version(1) || mailboxId(16)                 visible to the relay
 *   E        = fresh X25519;  eDH = DH(E, IK_R)
 *   k1, n1   = HKDF(ikm = eDH, salt = header || E_pub || IK_R, info = LABEL.sealedStatic, 44)
 *   static   = AEAD(k1, n1, IK_S (sender's X25519 identity key), aad = header || E_pub)
 *   sDH      = DH(IK_S, IK_R)
 *   k2, n2   = HKDF(ikm = eDH || sDH, salt = header || E_pub || static, info = LABEL.sealedContent, 44)
 *   content  = AEAD(k2, n2, senderIdentity(129) || type(1) || message, aad = header || E_pub || static)
 *   envelope = header || E_pub(32) || static(48) || content
 *
 * Only the recipient's identity key opens the first layer; only the holder of IK_S (or IK_R)
 * can have made the second, so the sender is authenticated to the recipient and to nobody else.
 * The decrypted sender identity must carry IK_S and a valid certificate.
 * Does not: pad (done by the caller before the ratchet) or prove anything to the relay (the
 * delivery capability does, outside the envelope).
 * @module
 */
import { LABEL, MAILBOX_ID_LEN, SEALED_STATIC_CACHE_MAX, WIRE_VERSION, X25519_LEN } from './consts.ts';
import { AEAD_TAG_LEN, aeadOpen, aeadSeal } from './_aead.ts';
import { abytes, concat, Reader, wipe } from './_bytes.ts';
import { equalBytes } from './bytes.ts';
import { hkdf } from './_kdf.ts';
import { fail } from './errors.ts';
import type { MailboxId } from './ids.ts';
import { decodePublicIdentity, encodePublicIdentity, PUBLIC_IDENTITY_LEN, verifyPublicIdentity, type Identity, type PublicIdentity } from './keys.ts';
import { getProvider, type CryptoProvider } from './provider.ts';
import { toBase64url } from './encoding.ts';

/** version(1) || mailboxId(16). */
export const ENVELOPE_HEADER_LEN = 1 + MAILBOX_ID_LEN;
const STATIC_LEN = X25519_LEN + AEAD_TAG_LEN;
/** Smallest possible envelope: header, ephemeral key, static layer, content with an empty body. */
export const MIN_ENVELOPE_LEN = ENVELOPE_HEADER_LEN + X25519_LEN + STATIC_LEN + PUBLIC_IDENTITY_LEN + 1 + AEAD_TAG_LEN;

export interface SealedContent {
  readonly sender: PublicIdentity;
  /** MESSAGE_TYPE_RATCHET or MESSAGE_TYPE_PREKEY. */
  readonly type: number;
  readonly message: Uint8Array;
}

/**
 * DH(IK_S, IK_R) is the same for every envelope between two identities, so each side keeps it
 * instead of recomputing it per message (one X25519 saved per seal and per open). Keyed by
 * both public keys; bounded; dropped with `clearSealedSenderCache()` when the vault locks.
 */
const staticSecrets = new Map<string, Uint8Array>();

export function clearSealedSenderCache(): void {
  for (const v of staticSecrets.values()) v.fill(0);
  staticSecrets.clear();
}

async function staticSecret(p: CryptoProvider, ours: Identity, theirs: Uint8Array): Promise<Uint8Array> {
  const id = toBase64url(ours.agreement.publicKey) + toBase64url(theirs);
  let secret = staticSecrets.get(id);
  if (!secret) {
    secret = await p.x25519(ours.agreement.secretKey, theirs);
    if (staticSecrets.size >= SEALED_STATIC_CACHE_MAX) clearSealedSenderCache();
    staticSecrets.set(id, secret);
  }
  return secret.slice();
}

function keysFrom(ikm: Uint8Array, salt: Uint8Array, label: string): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdf(ikm, salt, label, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
}

/** The recipient mailbox id, the only thing the relay reads; validates the outer shape. */
export function envelopeMailboxId(envelope: Uint8Array): MailboxId {
  abytes(envelope, undefined, 'envelope');
  if (envelope.length < MIN_ENVELOPE_LEN) throw fail('malformed', `envelope is ${envelope.length} bytes, needs at least ${MIN_ENVELOPE_LEN}`);
  if (envelope[0] !== WIRE_VERSION) throw fail('unsupported_version', `envelope version ${envelope[0]}`);
  return envelope.slice(1, ENVELOPE_HEADER_LEN) as MailboxId;
}

export async function sealEnvelope(
  sender: Identity,
  recipient: PublicIdentity,
  mailboxId: MailboxId,
  content: { type: number; message: Uint8Array },
  provider?: CryptoProvider,
): Promise<Uint8Array> {
  abytes(mailboxId, MAILBOX_ID_LEN, 'mailboxId');
  abytes(content.message, undefined, 'message');
  const p = provider ?? (await getProvider());
  const header = concat(Uint8Array.of(WIRE_VERSION), mailboxId);
  const ephemeral = await p.x25519Generate();
  const [eDH, sDH] = await Promise.all([
    p.x25519(ephemeral.secretKey, recipient.agreementKey),
    staticSecret(p, sender, recipient.agreementKey),
  ]);
  const k1 = keysFrom(eDH, concat(header, ephemeral.publicKey, recipient.agreementKey), LABEL.sealedStatic);
  const staticLayer = aeadSeal(k1.key, k1.nonce, sender.agreement.publicKey, concat(header, ephemeral.publicKey));
  const ikm2 = concat(eDH, sDH);
  const k2 = keysFrom(ikm2, concat(header, ephemeral.publicKey, staticLayer), LABEL.sealedContent);
  const inner = concat(encodePublicIdentity(sender.publicIdentity), Uint8Array.of(content.type), content.message);
  const contentLayer = aeadSeal(k2.key, k2.nonce, inner, concat(header, ephemeral.publicKey, staticLayer));
  wipe(eDH, sDH, ikm2, k1.key, k2.key, ephemeral.secretKey);
  return concat(header, ephemeral.publicKey, staticLayer, contentLayer);
}

/**
 * Open an envelope addressed to `recipient`. Throws `malformed`, `unsupported_version`,
 * `bad_mac`, `invalid_key`, `bad_signature` (sender certificate) or `identity_mismatch`
 * (certificate names another key than the one that sealed).
 */
export async function openEnvelope(
  recipient: Identity,
  envelope: Uint8Array,
  provider?: CryptoProvider,
): Promise<SealedContent & { mailboxId: MailboxId }> {
  const mailboxId = envelopeMailboxId(envelope);
  const p = provider ?? (await getProvider());
  const r = new Reader(envelope, 'envelope');
  const header = r.raw(ENVELOPE_HEADER_LEN);
  const ephemeralKey = r.raw(X25519_LEN);
  const staticLayer = r.raw(STATIC_LEN);
  const contentLayer = r.rest();
  const eDH = await p.x25519(recipient.agreement.secretKey, ephemeralKey);
  const k1 = keysFrom(eDH, concat(header, ephemeralKey, recipient.agreement.publicKey), LABEL.sealedStatic);
  const senderKey = aeadOpen(k1.key, k1.nonce, staticLayer, concat(header, ephemeralKey));
  const sDH = await staticSecret(p, recipient, senderKey);
  const ikm2 = concat(eDH, sDH);
  const k2 = keysFrom(ikm2, concat(header, ephemeralKey, staticLayer), LABEL.sealedContent);
  const inner = aeadOpen(k2.key, k2.nonce, contentLayer, concat(header, ephemeralKey, staticLayer));
  wipe(eDH, sDH, ikm2, k1.key, k2.key);
  if (inner.length < PUBLIC_IDENTITY_LEN + 1) throw fail('malformed', `sealed content is ${inner.length} bytes`);
  const sender = decodePublicIdentity(inner.subarray(0, PUBLIC_IDENTITY_LEN));
  if (!equalBytes(sender.agreementKey, senderKey)) {
    throw fail('identity_mismatch', 'sender certificate names a different key than the one that sealed the envelope');
  }
  await verifyPublicIdentity(sender, p);
  return { mailboxId, sender, type: inner[PUBLIC_IDENTITY_LEN]!, message: inner.slice(PUBLIC_IDENTITY_LEN + 1) };
}
