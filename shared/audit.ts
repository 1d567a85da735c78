/**
 * The device's security log (PROTOCOL.md §15): an append-only list of security events, each
 * entry signed by the device's identity signing key and chained to the one before it by hash,
 * and the export format a standalone verifier checks (`npm run audit:verify -- FILE`).
 *
 *   body(e)   = JSON [AUDIT_VERSION, seq, at, type, details as sorted [key, value] pairs, prev]
 *   sig(e)    = Ed25519-Sign(identity, LABEL.auditEntry || body(e))
 *   hash(e)   = SHA-256(LABEL.auditChain || body(e) || sig(e))
 *   prev(0)   = 32 zero bytes;  prev(n) = hash(entry n-1)
 *
 * An export ends with a checkpoint signed at export time over (count, hash of the last entry,
 * time), so a file cut short (the newest entries dropped) no longer matches what the device
 * signed. Editing, removing, reordering or inserting an entry breaks a signature or the chain.
 *
 * What an entry may hold: the event's type, its time, and small details (counts, ids the device
 * made up, version numbers). Never message text, names or labels: an export leaves the vault.
 * Does not: store anything (client/audit/log.ts keeps the log in the vault), or decide what
 * counts as an event.
 * @module
 */
import * as v from 'valibot';
import { concat, utf8 } from './_bytes.ts';
import { equalBytes } from './bytes.ts';
import { ED25519_SIGNATURE_LEN, LABEL, SHA256_LEN } from './consts.ts';
import { fromBase64url, toBase64url } from './encoding.ts';
import { decodePublicIdentity, encodePublicIdentity, PUBLIC_IDENTITY_LEN, verifyPublicIdentity, type Identity, type PublicIdentity } from './keys.ts';
import { getProvider, type CryptoProvider } from './provider.ts';
import { b64, parse, Timestamp } from './schemas.ts';

export const AUDIT_VERSION = 1;
/** The `format` field of an export file. */
export const AUDIT_EXPORT_FORMAT = 'confidant-audit-log';

/** The events the log records. Adding one: here, and where the app records it. */
export const AUDIT_EVENTS = [
  'log_started',
  'unlock',
  'unlock_failed',
  'lock',
  'passphrase_changed',
  'identity_changed',
  'identity_confirmed',
  'consent_given',
  'consent_withdrawn',
  'consent_version',
  'export',
  'import',
  'backup',
  'restore',
  'deletion',
  'retention_sweep',
  'record_shared',
  'settings_changed',
  'audit_exported',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/** Detail values: short strings, integers and flags only. */
export type AuditDetail = string | number | boolean;
export type AuditDetails = Readonly<Record<string, AuditDetail>>;

export const MAX_AUDIT_DETAILS = 8;
export const MAX_AUDIT_DETAIL_TEXT = 128;

export interface AuditEntry {
  /** Position in the log, from 0. */
  readonly seq: number;
  /** Milliseconds since the epoch, by the device's clock. */
  readonly at: number;
  readonly type: AuditEvent;
  readonly details: AuditDetails;
  /** base64url SHA-256 of the previous entry (32 zero bytes for the first). */
  readonly prev: string;
  /** base64url Ed25519 signature over the body. */
  readonly sig: string;
}

export interface AuditCheckpoint {
  /** Entries covered: the export holds exactly this many. */
  readonly count: number;
  /** base64url hash of the last entry covered (the zero hash for an empty log). */
  readonly head: string;
  readonly at: number;
  readonly sig: string;
}

export interface AuditExport {
  readonly format: typeof AUDIT_EXPORT_FORMAT;
  readonly version: typeof AUDIT_VERSION;
  /** base64url encoded public identity of the device that signed the log. */
  readonly device: string;
  readonly entries: readonly AuditEntry[];
  readonly checkpoint: AuditCheckpoint;
}

const DetailValue = v.union([
  v.pipe(v.string(), v.maxLength(MAX_AUDIT_DETAIL_TEXT)),
  v.pipe(v.number(), v.safeInteger()),
  v.boolean(),
]);
const Details = v.pipe(
  v.record(v.pipe(v.string(), v.regex(/^[a-zA-Z][a-zA-Z0-9]{0,31}$/)), DetailValue),
  v.check((d) => Object.keys(d).length <= MAX_AUDIT_DETAILS, `at most ${MAX_AUDIT_DETAILS} details`),
);
const Hash = b64(SHA256_LEN);
const Sig = b64(ED25519_SIGNATURE_LEN);
const Seq = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

export const AuditEntrySchema = v.strictObject({
  seq: Seq,
  at: Timestamp,
  type: v.picklist(AUDIT_EVENTS),
  details: Details,
  prev: Hash,
  sig: Sig,
});

export const AuditExportSchema = v.strictObject({
  format: v.literal(AUDIT_EXPORT_FORMAT),
  version: v.literal(AUDIT_VERSION),
  device: b64(PUBLIC_IDENTITY_LEN),
  entries: v.array(AuditEntrySchema),
  checkpoint: v.strictObject({ count: Seq, head: Hash, at: Timestamp, sig: Sig }),
});

/** The `prev` of the first entry, and the head of an empty log. */
export const ZERO_HASH = toBase64url(new Uint8Array(SHA256_LEN));

function entryBody(seq: number, at: number, type: AuditEvent, details: AuditDetails, prev: string): Uint8Array {
  const pairs = Object.keys(details)
    .sort()
    .map((k) => [k, details[k]]);
  return utf8.encode(JSON.stringify([AUDIT_VERSION, seq, at, type, pairs, prev]));
}

const checkpointBody = (count: number, head: string, at: number): Uint8Array => utf8.encode(JSON.stringify([AUDIT_VERSION, count, head, at]));

/** hash(e): what the next entry's `prev` and a checkpoint's `head` hold. */
export async function auditEntryHash(e: AuditEntry, provider?: CryptoProvider): Promise<string> {
  const p = provider ?? (await getProvider());
  const body = entryBody(e.seq, e.at, e.type, e.details, e.prev);
  return toBase64url(await p.sha256(concat(utf8.encode(LABEL.auditChain), body, fromBase64url(e.sig, ED25519_SIGNATURE_LEN))));
}

/** The entry that follows `head` (the previous entry's hash) at position `seq`, signed. */
export async function signAuditEntry(
  identity: Identity,
  fields: { readonly seq: number; readonly at: number; readonly type: AuditEvent; readonly details?: AuditDetails; readonly prev: string },
  provider?: CryptoProvider,
): Promise<AuditEntry> {
  const p = provider ?? (await getProvider());
  const details = parse(Details, fields.details ?? {}, 'audit details');
  const body = entryBody(fields.seq, fields.at, fields.type, details, fields.prev);
  const sig = await p.ed25519Sign(identity.signing.secretKey, concat(utf8.encode(LABEL.auditEntry), body));
  return parse(AuditEntrySchema, { seq: fields.seq, at: fields.at, type: fields.type, details, prev: fields.prev, sig: toBase64url(sig) }, 'audit entry');
}

/** The export of `entries` (the whole log, in order), closed by a checkpoint signed now. */
export async function exportAuditLog(identity: Identity, entries: readonly AuditEntry[], at: number, provider?: CryptoProvider): Promise<AuditExport> {
  const p = provider ?? (await getProvider());
  const last = entries.at(-1);
  const head = last ? await auditEntryHash(last, p) : ZERO_HASH;
  const sig = await p.ed25519Sign(identity.signing.secretKey, concat(utf8.encode(LABEL.auditCheckpoint), checkpointBody(entries.length, head, at)));
  return {
    format: AUDIT_EXPORT_FORMAT,
    version: AUDIT_VERSION,
    device: toBase64url(encodePublicIdentity(identity.publicIdentity)),
    entries,
    checkpoint: { count: entries.length, head, at, sig: toBase64url(sig) },
  };
}

/** Where verification stopped: `entry` is the index of the first bad entry, absent for the file or checkpoint. */
export interface AuditProblem {
  readonly entry?: number;
  readonly reason: string;
}

export type AuditVerdict =
  | { readonly ok: true; readonly device: PublicIdentity; readonly count: number; readonly first?: number; readonly last?: number }
  | ({ readonly ok: false } & AuditProblem);

/**
 * Checks a chain of entries from the start: positions, links and signatures. Returns the first
 * problem, or the hash of the last entry. Shared by the app's own check and the export's.
 */
export async function verifyAuditChain(signingKey: Uint8Array, entries: readonly AuditEntry[], provider?: CryptoProvider): Promise<{ head: string; problem?: AuditProblem }> {
  const p = provider ?? (await getProvider());
  let head = ZERO_HASH;
  for (const [i, e] of entries.entries()) {
    if (e.seq !== i) return { head, problem: { entry: i, reason: `entry ${i} says it is number ${e.seq}: entries were removed, added or reordered` } };
    if (e.prev !== head) return { head, problem: { entry: i, reason: `entry ${i} does not follow the entry before it: an entry was changed, removed or reordered` } };
    const body = concat(utf8.encode(LABEL.auditEntry), entryBody(e.seq, e.at, e.type, e.details, e.prev));
    if (!(await p.ed25519Verify(signingKey, body, fromBase64url(e.sig, ED25519_SIGNATURE_LEN)))) {
      return { head, problem: { entry: i, reason: `entry ${i} (${e.type}) is not signed by this device: it was edited or forged` } };
    }
    head = await auditEntryHash(e, p);
  }
  return { head };
}

/** Verifies an export file's content (parsed JSON): device certificate, every entry, the checkpoint. */
export async function verifyAuditExport(json: unknown, provider?: CryptoProvider): Promise<AuditVerdict> {
  const p = provider ?? (await getProvider());
  const shape = v.safeParse(AuditExportSchema, json);
  if (!shape.success) {
    const issue = shape.issues[0];
    const path = v.getDotPath(issue);
    const entry = path?.startsWith('entries.') ? Number(path.split('.')[1]) : undefined;
    return { ok: false, ...(entry !== undefined && Number.isInteger(entry) ? { entry } : {}), reason: `not a valid audit export${path ? ` at ${path}` : ''}: ${issue.message}` };
  }
  const file = shape.output;
  let device: PublicIdentity;
  try {
    device = decodePublicIdentity(fromBase64url(file.device, PUBLIC_IDENTITY_LEN));
    await verifyPublicIdentity(device, p);
  } catch {
    return { ok: false, reason: 'the device identity in the file is not valid' };
  }
  const { head, problem } = await verifyAuditChain(device.signingKey, file.entries, p);
  if (problem) return { ok: false, ...problem };
  const cp = file.checkpoint;
  const cpOk = await p.ed25519Verify(device.signingKey, concat(utf8.encode(LABEL.auditCheckpoint), checkpointBody(cp.count, cp.head, cp.at)), fromBase64url(cp.sig, ED25519_SIGNATURE_LEN));
  if (!cpOk) return { ok: false, reason: 'the closing checkpoint is not signed by this device' };
  if (cp.count !== file.entries.length || !equalBytes(fromBase64url(cp.head, SHA256_LEN), fromBase64url(head, SHA256_LEN))) {
    return {
      ok: false,
      ...(cp.count > file.entries.length ? { entry: file.entries.length } : {}),
      reason: `the checkpoint covers ${cp.count} entries but the file has ${file.entries.length}: entries were cut from the end or added`,
    };
  }
  const first = file.entries[0]?.at;
  const last = file.entries.at(-1)?.at;
  return { ok: true, device, count: file.entries.length, ...(first !== undefined ? { first } : {}), ...(last !== undefined ? { last } : {}) };
}
