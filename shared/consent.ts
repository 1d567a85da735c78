/**
 * Consent statements (PROTOCOL.md §9.2): the bytes a client signs with their identity key when
 * they accept a version of their therapist's consent text or withdraw their consent, and the
 * check either device makes of such a signature.
 *
 *   statement = utf8(label) || 0x00 || version (u32) || SHA-256(text) (32)
 *               || therapist's identity signing key (32) || at (u64, ms since the epoch)
 *
 * with `label` `LABEL.consentAccept` or `LABEL.consentWithdraw`, so an acceptance can never be
 * shown as a withdrawal (or anything else the identity key signs), and the version, the exact
 * text, the therapist it was given to and the moment are all fixed by one signature (Ed25519,
 * RFC 8032, strict verification: provider.ts).
 *
 * Does not: decide which versions exist or what a statement changes (the therapist's device
 * knows its versions: client/messages/consent.ts), carry the text, or keep records.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, concat, u32be, utf8 } from './_bytes.ts';
import { ED25519_PUBLIC_LEN, ED25519_SIGNATURE_LEN, LABEL, MAX_CONSENT_VERSION, MAX_TIMESTAMP, SHA256_LEN } from './consts.ts';
import { fail } from './errors.ts';
import type { Identity } from './keys.ts';
import { getProvider } from './provider.ts';

export type ConsentAction = 'accept' | 'withdraw';

/** What one consent signature says. */
export interface ConsentStatement {
  readonly action: ConsentAction;
  /** The version of the therapist's consent text (1 is the text of the first invite). */
  readonly version: number;
  /** SHA-256 of the exact text (UTF-8) of that version. */
  readonly digest: Uint8Array;
  /** The Ed25519 signing key of the therapist's identity: whom the consent was given to. */
  readonly therapist: Uint8Array;
  /** When, in milliseconds since the epoch (the payload's `sentAt`). */
  readonly at: number;
}

const LABELS: Readonly<Record<ConsentAction, string>> = { accept: LABEL.consentAccept, withdraw: LABEL.consentWithdraw };

/** SHA-256 of a consent text's UTF-8 bytes: what a statement and a payload name the text by. */
export const consentTextDigest = (text: string): Uint8Array => sha256(utf8.encode(text));

function u64be(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false);
  return out;
}

/** The canonical bytes of a statement. Throws `invalid_argument` for an action, version, length or time out of range. */
export function consentMessage(s: ConsentStatement): Uint8Array {
  const label = LABELS[s.action];
  if (label === undefined) throw fail('invalid_argument', `action must be accept or withdraw, got ${String(s.action)}`);
  if (!Number.isInteger(s.version) || s.version < 1 || s.version > MAX_CONSENT_VERSION) {
    throw fail('invalid_argument', `version must be an integer in 1..${MAX_CONSENT_VERSION}, got ${String(s.version)}`);
  }
  if (!Number.isInteger(s.at) || s.at < 0 || s.at > MAX_TIMESTAMP) throw fail('invalid_argument', `at must be a time in ms, got ${String(s.at)}`);
  abytes(s.digest, SHA256_LEN, 'digest');
  abytes(s.therapist, ED25519_PUBLIC_LEN, 'therapist');
  return concat(utf8.encode(label), Uint8Array.of(0), u32be(s.version), s.digest, s.therapist, u64be(s.at));
}

/** The client's Ed25519 signature over the statement, by their identity signing key. */
export async function signConsent(identity: Identity, s: ConsentStatement): Promise<Uint8Array> {
  return (await getProvider()).ed25519Sign(identity.signing.secretKey, consentMessage(s));
}

/** True when `signature` is the signer's (their identity signing key) over exactly this statement. */
export async function verifyConsent(signer: Uint8Array, s: ConsentStatement, signature: Uint8Array): Promise<boolean> {
  abytes(signer, ED25519_PUBLIC_LEN, 'signer');
  abytes(signature, ED25519_SIGNATURE_LEN, 'signature');
  return (await getProvider()).ed25519Verify(signer, consentMessage(s), signature);
}

/** `verifyConsent`, throwing `bad_signature` when it does not verify. */
export async function checkConsent(signer: Uint8Array, s: ConsentStatement, signature: Uint8Array): Promise<void> {
  if (!(await verifyConsent(signer, s, signature))) throw fail('bad_signature', `consent ${s.action} of version ${s.version} does not verify`);
}
