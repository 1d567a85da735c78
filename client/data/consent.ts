/**
 * Consent over time, as the vault keeps it (records.ts lists the collections):
 *
 *   consent-versions  ''       version (10 digits)       ConsentOffer: each version of the
 *                                                        therapist's consent text (therapist)
 *   consent-records   conv id  consentRecordKey()        ConsentRecord: every acceptance and
 *                                                        withdrawal, signed by the client (both sides)
 *
 * A record keeps the signed statement's parts (shared/consent.ts) with the text it names, so
 * either person can read what was agreed and when; whether the signature holds is computed each
 * time the record is shown (`recordChecks`), never stored. The current version is the profile's
 * (`consentVersion`, absent: 1, with `consentText`); older ones are in `consent-versions`.
 * @module
 */
import * as v from 'valibot';
import { consentTextDigest, verifyConsent, type ConsentAction } from '../../shared/consent.ts';
import { equalBytes } from '../../shared/bytes.ts';
import { toBase64url } from '../../shared/encoding.ts';
import type { VaultValue } from '../vault/codec.ts';
import type { ConsentOffer, Profile, Records } from './records.ts';
import { checked, recordOf } from './schemas.ts';

const VERSIONS = 'consent-versions';
const RECORDS = 'consent-records';

/** One acceptance or withdrawal, as signed by the client (shared/consent.ts `ConsentStatement`). */
export type ConsentRecord = {
  readonly action: ConsentAction;
  readonly version: number;
  /** The text of that version, as this device knows it (absent: a withdrawal of a version this device never held). */
  readonly text?: string;
  /** SHA-256 of the text, as signed. */
  readonly digest: Uint8Array;
  /** The statement's time (the payload's `sentAt`). */
  readonly at: number;
  readonly signature: Uint8Array;
  /** The client's identity signing key that signed it. */
  readonly signer: Uint8Array;
  /** The therapist's identity signing key it names. */
  readonly therapist: Uint8Array;
};

const bytes = v.instance(Uint8Array);
const count = v.pipe(v.number(), v.integer(), v.minValue(0));

const ConsentRecordSchema = recordOf<ConsentRecord>()({
  action: v.picklist(['accept', 'withdraw']),
  version: count,
  text: v.optional(v.string()),
  digest: bytes,
  at: v.number(),
  signature: bytes,
  signer: bytes,
  therapist: bytes,
});

const ConsentVersionSchema = recordOf<ConsentOffer>()({ version: count, text: v.string(), digest: v.string(), at: v.number() });

type Entry = { collection: string; partition: string; id: string; value: VaultValue };
const asValue = (x: object): VaultValue => x as unknown as VaultValue;

/**
 * Time order, then the signature's first 12 bytes: the same statement delivered twice is one
 * record (Ed25519 signatures are deterministic, and only a verified one is kept). Record ids are
 * readable without the vault key (docs/VAULT.md §4): they say when, never accept or withdraw.
 */
export const consentRecordKey = (r: Pick<ConsentRecord, 'at' | 'signature'>): string =>
  `${Math.max(0, Math.floor(r.at)).toString(36).padStart(11, '0')}:${toBase64url(r.signature.subarray(0, 12))}`;

export const consentRecordOp = (conversationId: string, r: ConsentRecord): Entry => ({ collection: RECORDS, partition: conversationId, id: consentRecordKey(r), value: asValue(r) });

/** A conversation's acceptances and withdrawals, oldest first. */
export async function consentHistory(records: Records, conversationId: string): Promise<ConsentRecord[]> {
  return (await records.vault.listJSON(RECORDS, conversationId)).map((e) => checked(ConsentRecordSchema, RECORDS, e.value));
}

/** A version of the consent text with its digest. */
export const consentVersionOf = (version: number, text: string, at: number): ConsentOffer => ({ version, text, digest: toBase64url(consentTextDigest(text)), at });

export const consentVersionOp = (o: ConsentOffer): Entry => ({ collection: VERSIONS, partition: '', id: String(o.version).padStart(10, '0'), value: asValue(o) });

/** The therapist's current consent version (profile), absent version 1. */
export const currentConsentVersion = (p: Profile, defaultText: string): ConsentOffer => consentVersionOf(p.consentVersion ?? 1, p.consentText ?? defaultText, p.createdAt);

/** A version this therapist issued: the current one, or one kept in `consent-versions`. */
export async function issuedConsentVersion(records: Records, current: ConsentOffer, version: number): Promise<ConsentOffer | undefined> {
  if (version === current.version) return current;
  const stored = await records.vault.getJSON(VERSIONS, '', String(version).padStart(10, '0'));
  return stored === undefined ? undefined : checked(ConsentVersionSchema, VERSIONS, stored);
}

/**
 * Whether a record holds: the client's signature over its statement verifies, and the text kept
 * with it is the text it names. Computed when shown.
 */
export async function recordChecks(r: ConsentRecord): Promise<boolean> {
  if (r.text !== undefined && !equalBytes(consentTextDigest(r.text), r.digest)) return false;
  try {
    return await verifyConsent(r.signer, { action: r.action, version: r.version, digest: r.digest, therapist: r.therapist, at: r.at }, r.signature);
  } catch {
    return false; // a damaged record (wrong lengths) does not verify
  }
}
