/**
 * The argument checks and row mapping both adapters share (`sqlite/`, `postgres/`), so the two
 * refuse the same inputs with the same ConfidantError and hand out the same shapes. Every store
 * method checks its arguments here before it touches the database: anything bound as a BLOB or
 * BYTEA must be bytes (a string would be stored as text and then never equal the bytes it stood
 * for), times are integer milliseconds, counts and ids non-negative integers.
 *
 * Does not: know any SQL, or check lengths (the routes check those against shared/consts.ts).
 * @module
 */
import { ConfidantError } from '../../shared/index.ts';
import type {
  Account,
  AccountKind,
  BlobInfo,
  MailboxQuota,
  OneTimePreKeyLimit,
  OneTimePreKeyRow,
  SignedPreKeyRow,
  StoredMessage,
} from './types.ts';

/** Bytes, or `invalid_argument`. */
export function checkBytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ConfidantError('invalid_argument', `${name} must be a Uint8Array, got ${typeof value}`);
  }
  return value;
}

/** Integer milliseconds since the epoch, or `invalid_argument`. */
export function checkTime(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ConfidantError('invalid_argument', `${name} must be an integer number of ms, got ${String(value)}`);
  }
  return value;
}

/** A count, size or key id: a non-negative safe integer, or `invalid_argument`. */
export function checkCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfidantError('invalid_argument', `${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** A one-time prekey limit's fields, checked like every other argument. */
export function checkLimit(limit: OneTimePreKeyLimit): void {
  checkBytes(limit.requester, 'limit.requester');
  checkCount(limit.max, 'limit.max');
  checkTime(limit.now, 'limit.now');
  if (checkCount(limit.windowMs, 'limit.windowMs') < 1) {
    throw new ConfidantError('invalid_argument', `limit.windowMs must be >= 1, got ${String(limit.windowMs)}`);
  }
}

/** The values of a new account row (signing key, agreement key, identity, kind, created at); `kind` must match. */
export function accountValues(account: Account, kind: AccountKind): [Uint8Array, Uint8Array, Uint8Array, AccountKind, number] {
  if (account.kind !== kind) {
    throw new ConfidantError('invalid_argument', `account.kind must be ${kind}, got ${String(account.kind)}`);
  }
  return [
    checkBytes(account.signingKey, 'account.signingKey'),
    checkBytes(account.agreementKey, 'account.agreementKey'),
    checkBytes(account.identity, 'account.identity'),
    kind,
    checkTime(account.createdAt, 'account.createdAt'),
  ];
}

/** A signed or KEM prekey row's fields, checked. */
export function checkSignedPreKey(row: SignedPreKeyRow): SignedPreKeyRow {
  return {
    id: checkCount(row.id, 'row.id'),
    publicKey: checkBytes(row.publicKey, 'row.publicKey'),
    signature: checkBytes(row.signature, 'row.signature'),
  };
}

/** One-time prekey rows, each checked. */
export function checkOneTimePreKeys(rows: readonly OneTimePreKeyRow[]): void {
  for (const [i, r] of rows.entries()) {
    checkCount(r.id, `rows[${i}].id`);
    checkBytes(r.publicKey, `rows[${i}].publicKey`);
  }
}

/** A message to store and its mailbox's quota, checked. */
export function checkMessage(message: Omit<StoredMessage, 'seq'>, quota: MailboxQuota) {
  return {
    mailboxId: checkBytes(message.mailboxId, 'message.mailboxId'),
    messageId: checkBytes(message.messageId, 'message.messageId'),
    envelope: checkBytes(message.envelope, 'message.envelope'),
    receivedAt: checkTime(message.receivedAt, 'message.receivedAt'),
    expiresAt: checkTime(message.expiresAt, 'message.expiresAt'),
    maxMessages: checkCount(quota.maxMessages, 'quota.maxMessages'),
    maxBytes: checkCount(quota.maxBytes, 'quota.maxBytes'),
  };
}

/** `listMessages` paging options, checked. */
export function checkPage(options: { after: number; limit: number; now: number }): { after: number; limit: number; now: number } {
  return {
    after: checkCount(options.after, 'options.after'),
    now: checkTime(options.now, 'options.now'),
    limit: checkCount(options.limit, 'options.limit'),
  };
}

/** `sweep`'s time and the creation time before which an incomplete blob is abandoned, checked. */
export function checkSweep(now: number, options: { readonly incompleteBlobsBefore?: number }): { now: number; before: number } {
  checkTime(now, 'now');
  // Without the option no incomplete row is old enough: created_at < MIN_SAFE_INTEGER never holds.
  return { now, before: checkTime(options.incompleteBlobsBefore ?? Number.MIN_SAFE_INTEGER, 'options.incompleteBlobsBefore') };
}

// Row mapping. SQLite hands out numbers, pg hands BIGINT out as strings; both hand bytes out as
// Buffers, which become plain Uint8Arrays with their own memory (pg cuts small Buffers from a
// shared slab that callers must not reach through `.buffer`).

/** A database BLOB/BYTEA as a Uint8Array of its own. */
export const rowBytes = (value: Uint8Array): Uint8Array => new Uint8Array(value);
/** An INTEGER/BIGINT column as a number; our values stay below 2^53. */
export const rowInt = (value: number | string | bigint): number => Number(value);

type Int = number | string;

export interface AccountDbRow {
  signing_key: Uint8Array;
  agreement_key: Uint8Array;
  identity: Uint8Array;
  kind: AccountKind;
  created_at: Int;
}
export interface PreKeyDbRow {
  key_id: Int;
  public_key: Uint8Array;
  signature: Uint8Array;
}
export interface MessageDbRow {
  seq: Int;
  mailbox_id: Uint8Array;
  message_id: Uint8Array;
  envelope: Uint8Array;
  received_at: Int;
  expires_at: Int;
}
export interface BlobDbRow {
  blob_id: Uint8Array;
  size: Int;
  /** SQLite 0/1, PostgreSQL boolean. */
  complete: boolean | 0 | 1;
  created_at: Int;
  expires_at: Int;
}

export const toAccount = (r: AccountDbRow): Account => ({
  signingKey: rowBytes(r.signing_key),
  agreementKey: rowBytes(r.agreement_key),
  identity: rowBytes(r.identity),
  kind: r.kind,
  createdAt: rowInt(r.created_at),
});
export const toSigned = (r: PreKeyDbRow): SignedPreKeyRow => ({
  id: rowInt(r.key_id),
  publicKey: rowBytes(r.public_key),
  signature: rowBytes(r.signature),
});
export const toOneTime = (r: Omit<PreKeyDbRow, 'signature'>): OneTimePreKeyRow => ({
  id: rowInt(r.key_id),
  publicKey: rowBytes(r.public_key),
});
export const toMessage = (r: MessageDbRow): StoredMessage => ({
  messageId: rowBytes(r.message_id),
  mailboxId: rowBytes(r.mailbox_id),
  envelope: rowBytes(r.envelope),
  receivedAt: rowInt(r.received_at),
  expiresAt: rowInt(r.expires_at),
  seq: rowInt(r.seq),
});
export const toBlob = (r: BlobDbRow): BlobInfo => ({
  blobId: rowBytes(r.blob_id),
  size: rowInt(r.size),
  complete: r.complete === true || r.complete === 1,
  createdAt: rowInt(r.created_at),
  expiresAt: rowInt(r.expires_at),
});
