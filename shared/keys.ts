/**
 * Device identity: one 32-byte random root secret, shown to the person once as a 24-word
 * BIP-39 phrase, from which every long-term key is derived (PROTOCOL.md §3).
 *
 *   signing seed   = HKDF-SHA-256(ikm = root, salt = none, info = LABEL.identitySigning)   -> Ed25519
 *   agreement key  = HKDF-SHA-256(ikm = root, salt = none, info = LABEL.identityAgreement) -> X25519
 *   certificate    = Ed25519-Sign(signing, LABEL.identityCertificate || signingPub || agreementPub)
 *
 * The public identity is the pair of public keys plus that self-signature, which binds the
 * agreement key to the signing key (Signal uses one XEdDSA key for both; we keep two standard
 * keys and a binding signature instead, see PROTOCOL.md §11 "Deviations").
 * The phrase encodes the root secret itself (BIP-39 entropy), not BIP-39's PBKDF2 seed.
 * Does not: store anything, or decide whom to trust (that is the session store's job).
 * @module
 */
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { base64urlnopad } from '@scure/base';
import { ED25519_PUBLIC_LEN, ED25519_SIGNATURE_LEN, LABEL, ROOT_SECRET_LEN, VERIFIED_IDENTITIES_MAX, WIRE_VERSION, X25519_LEN } from './consts.ts';
import { abytes, concat, Reader, utf8, wipe, Writer } from './_bytes.ts';
import { equalBytes } from './bytes.ts';
import { hkdf } from './_kdf.ts';
import { fail } from './errors.ts';
import { getProvider, randomBytes, type CryptoProvider, type KeyPair } from './provider.ts';

/** The public half of a device identity, as peers and the relay see it. */
export interface PublicIdentity {
  /** Ed25519 public key: signs prekeys, certificates and relay requests. */
  readonly signingKey: Uint8Array;
  /** X25519 public key: the identity key of PQXDH and sealed sender. */
  readonly agreementKey: Uint8Array;
  /** Ed25519 signature by `signingKey` binding `agreementKey` to it. */
  readonly certificate: Uint8Array;
}

/** A full device identity. Private keys never leave the device except in an encrypted backup. */
export interface Identity {
  readonly signing: KeyPair;
  readonly agreement: KeyPair;
  readonly publicIdentity: PublicIdentity;
}

/** Encoded public identity: version(1) || signingKey(32) || agreementKey(32) || certificate(64). */
export const PUBLIC_IDENTITY_LEN = 1 + ED25519_PUBLIC_LEN + X25519_LEN + ED25519_SIGNATURE_LEN;

/** 32 bytes from the platform CSPRNG. */
export function generateRootSecret(): Uint8Array {
  return randomBytes(ROOT_SECRET_LEN);
}

/** The 24-word English BIP-39 phrase that encodes `rootSecret` (with its 8-bit checksum). */
export function rootSecretToPhrase(rootSecret: Uint8Array): string {
  return entropyToMnemonic(abytes(rootSecret, ROOT_SECRET_LEN, 'rootSecret'), wordlist);
}

/**
 * Back from a phrase to the root secret. Tolerates case and extra white space (people type
 * these by hand); a wrong word or checksum is `invalid_argument`, never a different identity.
 */
export function phraseToRootSecret(phrase: string): Uint8Array {
  const normalized = phrase.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ');
  const words = normalized.split(' ').length;
  if (words !== 24) throw fail('invalid_argument', `recovery phrase must have 24 words, got ${words}`);
  if (!validateMnemonic(normalized, wordlist)) {
    throw fail('invalid_argument', 'recovery phrase has an unknown word or a bad checksum');
  }
  return mnemonicToEntropy(normalized, wordlist);
}

function certificateMessage(signingKey: Uint8Array, agreementKey: Uint8Array): Uint8Array {
  return concat(utf8.encode(LABEL.identityCertificate), signingKey, agreementKey);
}

/** Derive the device identity from its root secret: the same secret always gives the same keys. */
export async function deriveIdentity(rootSecret: Uint8Array, provider?: CryptoProvider): Promise<Identity> {
  abytes(rootSecret, ROOT_SECRET_LEN, 'rootSecret');
  const p = provider ?? (await getProvider());
  const signingSecret = hkdf(rootSecret, undefined, LABEL.identitySigning, 32);
  const agreementSecret = hkdf(rootSecret, undefined, LABEL.identityAgreement, 32);
  const signingKey = await p.ed25519PublicKey(signingSecret);
  const agreementKey = await p.x25519PublicKey(agreementSecret);
  const certificate = await p.ed25519Sign(signingSecret, certificateMessage(signingKey, agreementKey));
  return {
    signing: { secretKey: signingSecret, publicKey: signingKey },
    agreement: { secretKey: agreementSecret, publicKey: agreementKey },
    publicIdentity: { signingKey, agreementKey, certificate },
  };
}

export function encodePublicIdentity(id: PublicIdentity): Uint8Array {
  return new Writer()
    .u8(WIRE_VERSION)
    .raw(abytes(id.signingKey, ED25519_PUBLIC_LEN, 'signingKey'))
    .raw(abytes(id.agreementKey, X25519_LEN, 'agreementKey'))
    .raw(abytes(id.certificate, ED25519_SIGNATURE_LEN, 'certificate'))
    .finish();
}

/** Parse without verifying; call `verifyPublicIdentity` before trusting it. */
export function decodePublicIdentity(bytes: Uint8Array): PublicIdentity {
  abytes(bytes, undefined, 'publicIdentity');
  const r = new Reader(bytes, 'public identity');
  const version = r.u8();
  if (version !== WIRE_VERSION) throw fail('unsupported_version', `public identity version ${version}`);
  const id = { signingKey: r.raw(ED25519_PUBLIC_LEN), agreementKey: r.raw(X25519_LEN), certificate: r.raw(ED25519_SIGNATURE_LEN) };
  r.end();
  return id;
}

/** Verified encodings, so a peer's certificate is checked once per process, not per message. */
const verifiedIdentities = new Set<string>();

/** Throws `bad_signature` unless the certificate binds the agreement key to the signing key. */
export async function verifyPublicIdentity(id: PublicIdentity, provider?: CryptoProvider): Promise<void> {
  const encoded = encodePublicIdentity(id);
  const cacheKey = base64urlnopad.encode(encoded);
  if (verifiedIdentities.has(cacheKey)) return;
  const p = provider ?? (await getProvider());
  const ok = await p.ed25519Verify(id.signingKey, certificateMessage(id.signingKey, id.agreementKey), id.certificate);
  if (!ok) throw fail('bad_signature', 'identity certificate does not verify');
  if (verifiedIdentities.size > VERIFIED_IDENTITIES_MAX) verifiedIdentities.clear();
  verifiedIdentities.add(cacheKey);
}

export function identitiesEqual(a: PublicIdentity, b: PublicIdentity): boolean {
  return (
    equalBytes(a.signingKey, b.signingKey) &&
    equalBytes(a.agreementKey, b.agreementKey) &&
    equalBytes(a.certificate, b.certificate)
  );
}

/** A stable, printable id for a public identity: base64url of its Ed25519 key (43 chars). */
export function identityId(id: PublicIdentity): string {
  return base64urlnopad.encode(id.signingKey);
}

/** Wipe an identity's secrets (e.g. after an encrypted export, or on lock). */
export function wipeIdentity(identity: Identity): void {
  wipe(identity.signing.secretKey, identity.agreement.secretKey);
}
