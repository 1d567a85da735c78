/**
 * The embedded storage adapter: one SQLite file (better-sqlite3, WAL, `synchronous=FULL`) that
 * implements the relay's Store (../types.ts). better-sqlite3 is synchronous: each method runs
 * its statements to completion before it returns, and every method that touches several rows
 * does so in one `BEGIN IMMEDIATE` transaction, so no two calls interleave and a call is
 * atomic. The methods are async only because the interface is shared with PostgreSQL.
 *
 * Does not: hold blob bytes (files.ts does), or serve several relay processes (use PostgreSQL).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { equalBytes } from '../../../shared/bytes.ts';
import { ConfidantError } from '../../../shared/index.ts';
import type {
  Account,
  AccountKind,
  BlobInfo,
  BundleRow,
  MailboxQuota,
  OneTimePreKeyLimit,
  OneTimePreKeyRow,
  PutMessageResult,
  SignedPreKeyRow,
  Store,
  StoredMessage,
  SweepResult,
} from '../types.ts';
import type Database from 'better-sqlite3';
import {
  GRANT_SECRET_LEN,
  ackedEnvelopeHash,
  ackedMessageTag,
  blobOwnerTag,
  grantEpoch,
  grantPairTag,
  grantSecretExpiry,
} from '../_tags.ts';
import { BUSY_TIMEOUT_MS, openDatabase, type SqliteDatabase } from './database.ts';
import { applyMigrations } from './migrations.ts';
import { InProcessNotifier } from './notifier.ts';

/** File name of the database under DATA_DIR. */
export const SQLITE_FILE = 'relay.sqlite';

/** better-sqlite3 hands BLOBs out as Buffers; callers get plain Uint8Array views. */
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * Everything bound as a BLOB must be bytes: a string would be stored as TEXT and then never
 * equal the bytes it was meant to be, so it is refused instead.
 */
function bytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ConfidantError('invalid_argument', `${name} must be a Uint8Array, got ${typeof value}`);
  }
  return value;
}

function time(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ConfidantError('invalid_argument', `${name} must be an integer number of ms, got ${String(value)}`);
  }
  return value;
}

/** A one-time prekey limit's fields, checked like every other argument. */
function checkLimit(limit: OneTimePreKeyLimit): void {
  bytes(limit.requester, 'limit.requester');
  count(limit.max, 'limit.max');
  time(limit.now, 'limit.now');
  if (count(limit.windowMs, 'limit.windowMs') < 1) {
    throw new ConfidantError('invalid_argument', `limit.windowMs must be >= 1, got ${String(limit.windowMs)}`);
  }
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfidantError('invalid_argument', `${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

interface AccountDbRow {
  signing_key: Buffer;
  agreement_key: Buffer;
  identity: Buffer;
  kind: AccountKind;
  created_at: number;
}
interface PreKeyDbRow {
  key_id: number;
  public_key: Buffer;
  signature: Buffer;
}
interface MessageDbRow {
  seq: number;
  mailbox_id: Buffer;
  message_id: Buffer;
  envelope: Buffer;
  received_at: number;
  expires_at: number;
}
interface BlobDbRow {
  blob_id: Buffer;
  size: number;
  complete: 0 | 1;
  created_at: number;
  expires_at: number;
}

const toAccount = (r: AccountDbRow): Account => ({
  signingKey: u8(r.signing_key),
  agreementKey: u8(r.agreement_key),
  identity: u8(r.identity),
  kind: r.kind,
  createdAt: r.created_at,
});
const toSigned = (r: PreKeyDbRow): SignedPreKeyRow => ({
  id: r.key_id,
  publicKey: u8(r.public_key),
  signature: u8(r.signature),
});
const toMessage = (r: MessageDbRow): StoredMessage => ({
  messageId: u8(r.message_id),
  mailboxId: u8(r.mailbox_id),
  envelope: u8(r.envelope),
  receivedAt: r.received_at,
  expiresAt: r.expires_at,
  seq: r.seq,
});
const toBlob = (r: BlobDbRow): BlobInfo => ({
  blobId: u8(r.blob_id),
  size: r.size,
  complete: r.complete === 1,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** Most mailboxes whose usage bound is remembered at once (see `SqliteStore.#usage`). */
const USAGE_BOUNDS = 10_000;

/** A mailbox's usage: messages and envelope bytes. */
interface Usage {
  n: number;
  bytes: number;
}

/** The statements, prepared once after the schema exists. */
function prepare(db: SqliteDatabase) {
  return {
    addCode: db.prepare('INSERT INTO registration_codes (code_hash, created_at, expires_at) VALUES (?, ?, ?)'),
    useCode: db.prepare(
      'UPDATE registration_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?',
    ),
    addInvite: db.prepare(
      `INSERT INTO invites (invite_hash, therapist_key, created_at, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (invite_hash) DO NOTHING`,
    ),
    useInvite: db.prepare('UPDATE invites SET used_at = ? WHERE invite_hash = ? AND used_at IS NULL AND expires_at > ?'),
    inviteExpiry: db.prepare('SELECT expires_at FROM invites WHERE invite_hash = ? AND used_at IS NULL AND expires_at > ?').pluck(),
    accountExists: db.prepare('SELECT 1 FROM accounts WHERE signing_key = ?').pluck(),
    insertAccount: db.prepare(
      'INSERT INTO accounts (signing_key, agreement_key, identity, kind, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    getAccount: db.prepare('SELECT * FROM accounts WHERE signing_key = ?'),
    rememberNonce: db.prepare('INSERT OR IGNORE INTO nonces (signing_key, nonce, expires_at) VALUES (?, ?, ?)'),
    hasNonce: db.prepare('SELECT 1 FROM nonces WHERE signing_key = ? AND nonce = ?').pluck(),
    setSigned: db.prepare(
      `INSERT INTO signed_prekeys (signing_key, key_id, public_key, signature, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (signing_key) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
         signature = excluded.signature, updated_at = excluded.updated_at`,
    ),
    setKem: db.prepare(
      `INSERT INTO kem_prekeys (signing_key, key_id, public_key, signature, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (signing_key) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
         signature = excluded.signature, updated_at = excluded.updated_at`,
    ),
    getSigned: db.prepare('SELECT key_id, public_key, signature FROM signed_prekeys WHERE signing_key = ?'),
    getKem: db.prepare('SELECT key_id, public_key, signature FROM kem_prekeys WHERE signing_key = ?'),
    addOneTime: db.prepare('INSERT OR IGNORE INTO one_time_prekeys (signing_key, key_id, public_key) VALUES (?, ?, ?)'),
    countOneTime: db.prepare('SELECT count(*) FROM one_time_prekeys WHERE signing_key = ?').pluck(),
    firstOneTime: db.prepare(
      'SELECT key_id, public_key FROM one_time_prekeys WHERE signing_key = ? ORDER BY key_id LIMIT 1',
    ),
    deleteOneTime: db.prepare('DELETE FROM one_time_prekeys WHERE signing_key = ? AND key_id = ?'),
    // The open window of a pair, under this epoch's tag or the previous one's (see _tags.ts).
    getGrant: db.prepare(
      'SELECT pair, granted, expires_at FROM prekey_grants WHERE pair IN (?, ?) AND expires_at > ? ORDER BY expires_at DESC LIMIT 1',
    ),
    setGrant: db.prepare(
      `INSERT INTO prekey_grants (pair, granted, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (pair) DO UPDATE SET granted = excluded.granted, expires_at = excluded.expires_at`,
    ),
    getGrantKey: db.prepare('SELECT secret FROM prekey_grant_keys WHERE window_ms = ? AND epoch = ?').pluck(),
    addGrantKey: db.prepare(
      'INSERT OR IGNORE INTO prekey_grant_keys (window_ms, epoch, secret, expires_at) VALUES (?, ?, ?, ?)',
    ),
    getIdentity: db.prepare('SELECT identity FROM accounts WHERE signing_key = ?').pluck(),
    createMailbox: db.prepare('INSERT OR IGNORE INTO mailboxes (mailbox_id, owner, created_at) VALUES (?, ?, ?)'),
    mailboxOwner: db.prepare('SELECT owner FROM mailboxes WHERE mailbox_id = ?').pluck(),
    addCapability: db.prepare(
      'INSERT OR IGNORE INTO capabilities (capability_hash, mailbox_id, created_at) VALUES (?, ?, ?)',
    ),
    revokeCapability: db.prepare(
      'UPDATE capabilities SET revoked_at = ? WHERE capability_hash = ? AND mailbox_id = ? AND revoked_at IS NULL',
    ),
    checkCapability: db
      .prepare('SELECT 1 FROM capabilities WHERE capability_hash = ? AND mailbox_id = ? AND revoked_at IS NULL')
      .pluck(),
    findMessage: db.prepare('SELECT seq, envelope FROM messages WHERE mailbox_id = ? AND message_id = ?'),
    findTombstone: db.prepare('SELECT seq, envelope_hash FROM acked_messages WHERE tag = ?'),
    addTombstone: db.prepare(
      'INSERT OR IGNORE INTO acked_messages (tag, seq, envelope_hash, expires_at) VALUES (?, ?, ?, ?)',
    ),
    // One scan gives both the quota figure (unexpired at receivedAt) and the bound (every row).
    mailboxUsage: db.prepare(
      `SELECT coalesce(sum(expires_at > ?), 0) AS n, coalesce(sum(CASE WHEN expires_at > ? THEN size ELSE 0 END), 0) AS bytes,
         count(*) AS allN, coalesce(sum(size), 0) AS allBytes
       FROM messages WHERE mailbox_id = ?`,
    ),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
    insertMessage: db.prepare(
      `INSERT INTO messages (mailbox_id, message_id, size, received_at, expires_at, envelope)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    listMessages: db.prepare(
      `SELECT seq, mailbox_id, message_id, envelope, received_at, expires_at FROM messages
       WHERE mailbox_id = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?`,
    ),
    ackMessage: db.prepare(
      'DELETE FROM messages WHERE mailbox_id = ? AND message_id = ? RETURNING seq, envelope, expires_at',
    ),
    createBlob: db.prepare(
      'INSERT OR IGNORE INTO blobs (blob_id, owner_tag, created_at, expires_at) VALUES (?, ?, ?, ?)',
    ),
    completeBlob: db.prepare('UPDATE blobs SET size = ?, complete = 1 WHERE blob_id = ?'),
    getBlob: db.prepare('SELECT blob_id, size, complete, created_at, expires_at FROM blobs WHERE blob_id = ?'),
    deleteBlob: db.prepare('DELETE FROM blobs WHERE blob_id = ?'),
    deleteOwnedBlob: db.prepare('DELETE FROM blobs WHERE blob_id = ? AND owner_tag = ?'),
    sweepMessages: db.prepare('DELETE FROM messages WHERE expires_at <= ?'),
    sweepBlobs: db
      .prepare('DELETE FROM blobs WHERE expires_at <= ? OR (complete = 0 AND created_at < ?) RETURNING blob_id')
      .pluck(),
    sweepNonces: db.prepare('DELETE FROM nonces WHERE expires_at <= ?'),
    sweepCodes: db.prepare('DELETE FROM registration_codes WHERE expires_at <= ? OR used_at IS NOT NULL'),
    sweepInvites: db.prepare('DELETE FROM invites WHERE expires_at <= ? OR used_at IS NOT NULL'),
    sweepGrants: db.prepare('DELETE FROM prekey_grants WHERE expires_at <= ?'),
    sweepGrantKeys: db.prepare('DELETE FROM prekey_grant_keys WHERE expires_at <= ?'),
    sweepTombstones: db.prepare('DELETE FROM acked_messages WHERE expires_at <= ?'),
  };
}
type Statements = ReturnType<typeof prepare>;

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly notifier = new InProcessNotifier();
  readonly #db: SqliteDatabase;
  #s: Statements | undefined;
  /**
   * Per mailbox (key: id as latin1), an upper bound of its usage: every row, expired or not.
   * The quota counts only unexpired rows, and that count needs a scan of the mailbox's index
   * entries on each send: ~80 ns an entry, so ~0.8 ms per send into a 10,000-message mailbox,
   * more than everything else a send costs (bench relay_send_1k). When the bound plus the new
   * envelope fits the quota, the exact figure does too, and the scan is skipped; otherwise the
   * scan decides as before and refreshes the bound. The decision is the same either way.
   *
   * The bound must never fall below the truth. Only `putMessage` adds rows, and it raises the
   * bound after its commit; acks and sweeps only lower the truth. Another connection could add
   * rows: `PRAGMA data_version` changes whenever one commits, and then every bound is dropped.
   */
  readonly #usage = new Map<string, Usage>();
  #dataVersion: unknown;

  /** Opens (creating if missing) the database file; call `migrate()` before anything else. */
  constructor(file: string) {
    this.#db = openDatabase(file);
  }

  get #stmts(): Statements {
    if (this.#s === undefined) throw new Error('sqlite: migrate() must run before the store is used');
    return this.#s;
  }

  /**
   * One transaction wrapper for every call: better-sqlite3's `transaction()` builds its wrapper
   * functions each time it is called (~20 us, as much as a small commit on tmpfs), so it is
   * built once and handed the work.
   */
  #runner: Database.Transaction<(fn: () => unknown) => unknown> | undefined;

  /** Runs `fn` in one BEGIN IMMEDIATE transaction (takes the write lock up front: no upgrade deadlock). */
  #tx<T>(fn: () => T): T {
    this.#runner ??= this.#db.transaction((work: () => unknown) => work());
    return this.#runner.immediate(fn) as T;
  }

  async migrate(): Promise<void> {
    // A migration that rewrote rows (v4 drops account keys from blob and limit rows) leaves the
    // old pages in the WAL: checkpoint them away too.
    if (applyMigrations(this.#db).length > 0) this.checkpoint();
    this.#s ??= prepare(this.#db);
  }

  async ping(): Promise<boolean> {
    try {
      return this.#db.prepare('SELECT 1').pluck().get() === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  async addRegistrationCode(codeHash: Uint8Array, createdAt: number, expiresAt: number): Promise<void> {
    this.#stmts.addCode.run(bytes(codeHash, 'codeHash'), time(createdAt, 'createdAt'), time(expiresAt, 'expiresAt'));
  }

  #register(account: Account, kind: AccountKind, consume: () => boolean): 'created' | 'exists' | 'invalid' {
    if (account.kind !== kind) {
      throw new ConfidantError('invalid_argument', `account.kind must be ${kind}, got ${String(account.kind)}`);
    }
    const s = this.#stmts;
    const row = [
      bytes(account.signingKey, 'account.signingKey'),
      bytes(account.agreementKey, 'account.agreementKey'),
      bytes(account.identity, 'account.identity'),
      kind,
      time(account.createdAt, 'account.createdAt'),
    ] as const;
    return this.#tx(() => {
      if (s.accountExists.get(row[0]) !== undefined) return 'exists';
      if (!consume()) return 'invalid';
      s.insertAccount.run(...row);
      return 'created';
    });
  }

  async registerTherapist(account: Account, codeHash: Uint8Array, now: number) {
    const s = this.#stmts;
    bytes(codeHash, 'codeHash');
    time(now, 'now');
    const r = this.#register(account, 'therapist', () => s.useCode.run(now, codeHash, now).changes === 1);
    return r === 'invalid' ? 'code_invalid' : r;
  }

  async addInvite(inviteHash: Uint8Array, therapistKey: Uint8Array, createdAt: number, expiresAt: number): Promise<'created' | 'exists'> {
    // ON CONFLICT covers the key only: a therapist key without an account still throws (FOREIGN KEY).
    const r = this.#stmts.addInvite.run(
      bytes(inviteHash, 'inviteHash'),
      bytes(therapistKey, 'therapistKey'),
      time(createdAt, 'createdAt'),
      time(expiresAt, 'expiresAt'),
    );
    return r.changes === 1 ? 'created' : 'exists';
  }

  async inviteExpiry(inviteHash: Uint8Array, now: number): Promise<number | undefined> {
    const r = this.#stmts.inviteExpiry.get(bytes(inviteHash, 'inviteHash'), time(now, 'now')) as number | bigint | undefined;
    return r === undefined ? undefined : Number(r);
  }

  async registerClient(account: Account, inviteHash: Uint8Array, now: number) {
    const s = this.#stmts;
    bytes(inviteHash, 'inviteHash');
    time(now, 'now');
    const r = this.#register(account, 'client', () => s.useInvite.run(now, inviteHash, now).changes === 1);
    return r === 'invalid' ? 'invite_invalid' : r;
  }

  async getAccount(signingKey: Uint8Array): Promise<Account | undefined> {
    const row = this.#stmts.getAccount.get(bytes(signingKey, 'signingKey')) as AccountDbRow | undefined;
    return row && toAccount(row);
  }

  async rememberNonce(signingKey: Uint8Array, nonce: Uint8Array, expiresAt: number): Promise<boolean> {
    const r = this.#stmts.rememberNonce.run(bytes(signingKey, 'signingKey'), bytes(nonce, 'nonce'), time(expiresAt, 'expiresAt'));
    return r.changes === 1;
  }

  async hasNonce(signingKey: Uint8Array, nonce: Uint8Array): Promise<boolean> {
    return this.#stmts.hasNonce.get(bytes(signingKey, 'signingKey'), bytes(nonce, 'nonce')) !== undefined;
  }

  async setSignedPreKey(signingKey: Uint8Array, row: SignedPreKeyRow, now: number): Promise<void> {
    this.#setPreKey(this.#stmts.setSigned, signingKey, row, now);
  }

  async setKemPreKey(signingKey: Uint8Array, row: SignedPreKeyRow, now: number): Promise<void> {
    this.#setPreKey(this.#stmts.setKem, signingKey, row, now);
  }

  /** Signed and KEM prekeys share one row shape; only the table differs. */
  #setPreKey(stmt: Statements['setSigned'], signingKey: Uint8Array, row: SignedPreKeyRow, now: number): void {
    stmt.run(
      bytes(signingKey, 'signingKey'),
      count(row.id, 'row.id'),
      bytes(row.publicKey, 'row.publicKey'),
      bytes(row.signature, 'row.signature'),
      time(now, 'now'),
    );
  }

  async addOneTimePreKeys(signingKey: Uint8Array, rows: readonly OneTimePreKeyRow[]): Promise<number> {
    const s = this.#stmts;
    bytes(signingKey, 'signingKey');
    for (const [i, r] of rows.entries()) {
      count(r.id, `rows[${i}].id`);
      bytes(r.publicKey, `rows[${i}].publicKey`);
    }
    return this.#tx(() => {
      for (const r of rows) s.addOneTime.run(signingKey, r.id, r.publicKey);
      return s.countOneTime.get(signingKey) as number;
    });
  }

  async countOneTimePreKeys(signingKey: Uint8Array): Promise<number> {
    return this.#stmts.countOneTime.get(bytes(signingKey, 'signingKey')) as number;
  }

  async takeBundle(signingKey: Uint8Array, limit?: OneTimePreKeyLimit): Promise<BundleRow | undefined> {
    const s = this.#stmts;
    bytes(signingKey, 'signingKey');
    if (limit !== undefined) checkLimit(limit);
    return this.#tx(() => {
      const identity = s.getIdentity.get(signingKey) as Buffer | undefined;
      const signed = s.getSigned.get(signingKey) as PreKeyDbRow | undefined;
      const kem = s.getKem.get(signingKey) as PreKeyDbRow | undefined;
      if (identity === undefined || signed === undefined || kem === undefined) return undefined;
      // The requester's window for this target: still open, or a new one starting now.
      const grant = limit && this.#openGrant(limit, signingKey);
      const granted = grant?.granted ?? 0;
      const allowed = limit === undefined || granted < limit.max;
      const one = allowed ? (s.firstOneTime.get(signingKey) as Omit<PreKeyDbRow, 'signature'> | undefined) : undefined;
      if (one !== undefined) {
        s.deleteOneTime.run(signingKey, one.key_id);
        if (limit !== undefined) {
          const pair = grant?.pair ?? this.#newGrantPair(limit, signingKey);
          s.setGrant.run(pair, granted + 1, grant?.expiresAt ?? limit.now + limit.windowMs);
        }
      }
      return {
        identity: u8(identity),
        signedPreKey: toSigned(signed),
        kemPreKey: toSigned(kem),
        oneTimePreKey: one && { id: one.key_id, publicKey: u8(one.public_key) },
        oneTimePreKeysLeft: s.countOneTime.get(signingKey) as number,
      };
    });
  }

  /** The pair's window open at `limit.now`, found under this epoch's secret or the previous one's. */
  #openGrant(limit: OneTimePreKeyLimit, target: Uint8Array): { pair: Buffer; granted: number; expiresAt: number } | undefined {
    const s = this.#stmts;
    const epoch = grantEpoch(limit.now, limit.windowMs);
    const tags = [epoch, epoch - 1].map((e) => {
      const secret = s.getGrantKey.get(limit.windowMs, e) as Buffer | undefined;
      return secret && Buffer.from(grantPairTag(secret, limit.requester, target));
    });
    if (tags[0] === undefined && tags[1] === undefined) return undefined;
    const row = s.getGrant.get(tags[0] ?? tags[1], tags[1] ?? tags[0], limit.now) as
      | { pair: Buffer; granted: number; expires_at: number }
      | undefined;
    return row && { pair: row.pair, granted: row.granted, expiresAt: row.expires_at };
  }

  /** The key of a new window of the pair, under this epoch's secret (made on first use). */
  #newGrantPair(limit: OneTimePreKeyLimit, target: Uint8Array): Buffer {
    const s = this.#stmts;
    const epoch = grantEpoch(limit.now, limit.windowMs);
    let secret = s.getGrantKey.get(limit.windowMs, epoch) as Buffer | undefined;
    if (secret === undefined) {
      secret = randomBytes(GRANT_SECRET_LEN);
      s.addGrantKey.run(limit.windowMs, epoch, secret, grantSecretExpiry(epoch, limit.windowMs));
    }
    return Buffer.from(grantPairTag(secret, limit.requester, target));
  }

  async createMailbox(mailboxId: Uint8Array, owner: Uint8Array, now: number): Promise<'created' | 'exists'> {
    const r = this.#stmts.createMailbox.run(bytes(mailboxId, 'mailboxId'), bytes(owner, 'owner'), time(now, 'now'));
    return r.changes === 1 ? 'created' : 'exists';
  }

  async mailboxOwner(mailboxId: Uint8Array): Promise<Uint8Array | undefined> {
    const owner = this.#stmts.mailboxOwner.get(bytes(mailboxId, 'mailboxId')) as Buffer | undefined;
    return owner && u8(owner);
  }

  async addCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array, now: number): Promise<void> {
    this.#stmts.addCapability.run(bytes(capabilityHash, 'capabilityHash'), bytes(mailboxId, 'mailboxId'), time(now, 'now'));
  }

  async revokeCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array, now: number): Promise<boolean> {
    const r = this.#stmts.revokeCapability.run(
      time(now, 'now'),
      bytes(capabilityHash, 'capabilityHash'),
      bytes(mailboxId, 'mailboxId'),
    );
    return r.changes === 1;
  }

  async checkCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array): Promise<boolean> {
    return (
      this.#stmts.checkCapability.get(bytes(capabilityHash, 'capabilityHash'), bytes(mailboxId, 'mailboxId')) !==
      undefined
    );
  }

  async putMessage(message: Omit<StoredMessage, 'seq'>, quota: MailboxQuota): Promise<PutMessageResult> {
    const s = this.#stmts;
    const mailboxId = bytes(message.mailboxId, 'message.mailboxId');
    const messageId = bytes(message.messageId, 'message.messageId');
    const envelope = bytes(message.envelope, 'message.envelope');
    const receivedAt = time(message.receivedAt, 'message.receivedAt');
    const expiresAt = time(message.expiresAt, 'message.expiresAt');
    const maxMessages = count(quota.maxMessages, 'quota.maxMessages');
    const maxBytes = count(quota.maxBytes, 'quota.maxBytes');
    const key = Buffer.from(mailboxId.buffer, mailboxId.byteOffset, mailboxId.byteLength).toString('latin1');
    let bound: Usage | undefined;
    const result = this.#tx((): PutMessageResult => {
      const prior = s.findMessage.get(mailboxId, messageId) as { seq: number; envelope: Buffer } | undefined;
      if (prior !== undefined) {
        return equalBytes(prior.envelope, envelope) ? { status: 'duplicate', seq: prior.seq } : { status: 'conflict' };
      }
      const acked = s.findTombstone.get(ackedMessageTag(mailboxId, messageId)) as { seq: number; envelope_hash: Buffer } | undefined;
      if (acked !== undefined) {
        return equalBytes(acked.envelope_hash, ackedEnvelopeHash(envelope)) ? { status: 'duplicate', seq: acked.seq } : { status: 'conflict' };
      }
      const version = s.dataVersion.get();
      if (version !== this.#dataVersion) {
        this.#usage.clear();
        this.#dataVersion = version;
      }
      bound = this.#usage.get(key);
      if (bound === undefined || bound.n + 1 > maxMessages || bound.bytes + envelope.length > maxBytes) {
        const usage = s.mailboxUsage.get(receivedAt, receivedAt, mailboxId) as Usage & { allN: number; allBytes: number };
        bound = { n: usage.allN, bytes: usage.allBytes };
        if (usage.n + 1 > maxMessages || usage.bytes + envelope.length > maxBytes) return { status: 'quota' };
      }
      const r = s.insertMessage.run(mailboxId, messageId, envelope.length, receivedAt, expiresAt, envelope);
      return { status: 'stored', seq: Number(r.lastInsertRowid) };
    });
    // Committed: raise the bound (or remember it, keeping the map bounded).
    if (result.status === 'stored' && bound !== undefined) {
      if (!this.#usage.has(key) && this.#usage.size >= USAGE_BOUNDS) this.#usage.clear();
      this.#usage.set(key, { n: bound.n + 1, bytes: bound.bytes + envelope.length });
    }
    return result;
  }

  async listMessages(
    mailboxId: Uint8Array,
    options: { after: number; limit: number; now: number },
  ): Promise<StoredMessage[]> {
    const rows = this.#stmts.listMessages.all(
      bytes(mailboxId, 'mailboxId'),
      count(options.after, 'options.after'),
      time(options.now, 'options.now'),
      count(options.limit, 'options.limit'),
    ) as MessageDbRow[];
    return rows.map(toMessage);
  }

  async ackMessages(mailboxId: Uint8Array, messageIds: readonly Uint8Array[]): Promise<number> {
    const s = this.#stmts;
    bytes(mailboxId, 'mailboxId');
    messageIds.forEach((id, i) => bytes(id, `messageIds[${i}]`));
    const deleted = this.#tx(() => {
      let n = 0;
      for (const id of messageIds) {
        const gone = s.ackMessage.get(mailboxId, id) as { seq: number; envelope: Buffer; expires_at: number } | undefined;
        if (gone === undefined) continue;
        s.addTombstone.run(ackedMessageTag(mailboxId, id), gone.seq, ackedEnvelopeHash(gone.envelope), gone.expires_at);
        n++;
      }
      return n;
    });
    // The envelope's bytes are zeroed in the page (secure_delete), but the WAL still holds the
    // frames that wrote them: copy the WAL into the file and truncate it now.
    if (deleted > 0) this.checkpoint();
    return deleted;
  }

  /**
   * `PRAGMA wal_checkpoint(TRUNCATE)`: every WAL frame is copied into the database file and the
   * WAL is cut to zero bytes, so bytes that deleted rows once held (zeroed in the file by
   * secure_delete) are left in no file. Never waits: with busy_timeout 0 a checkpoint that
   * another connection blocks (a reader's snapshot, a backup) gives up at once instead of
   * stalling the relay, and the next ack or sweep tries again. True when it completed.
   */
  checkpoint(): boolean {
    this.#db.pragma('busy_timeout = 0');
    try {
      const [row] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      return row !== undefined && row.busy === 0 && row.log === 0;
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY') || (e as { code?: string }).code?.startsWith('SQLITE_LOCKED')) return false;
      throw e;
    } finally {
      this.#db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  async createBlob(info: Omit<BlobInfo, 'complete' | 'size'> & { owner: Uint8Array }): Promise<'created' | 'exists'> {
    const blobId = bytes(info.blobId, 'info.blobId');
    const r = this.#stmts.createBlob.run(
      blobId,
      Buffer.from(blobOwnerTag(blobId, bytes(info.owner, 'info.owner'))),
      time(info.createdAt, 'info.createdAt'),
      time(info.expiresAt, 'info.expiresAt'),
    );
    return r.changes === 1 ? 'created' : 'exists';
  }

  async completeBlob(blobId: Uint8Array, size: number): Promise<boolean> {
    return this.#stmts.completeBlob.run(count(size, 'size'), bytes(blobId, 'blobId')).changes === 1;
  }

  async getBlob(blobId: Uint8Array): Promise<BlobInfo | undefined> {
    const row = this.#stmts.getBlob.get(bytes(blobId, 'blobId')) as BlobDbRow | undefined;
    return row && toBlob(row);
  }

  async deleteBlob(blobId: Uint8Array, owner?: Uint8Array): Promise<boolean> {
    const s = this.#stmts;
    bytes(blobId, 'blobId');
    const r =
      owner === undefined
        ? s.deleteBlob.run(blobId)
        : s.deleteOwnedBlob.run(blobId, Buffer.from(blobOwnerTag(blobId, bytes(owner, 'owner'))));
    return r.changes === 1;
  }

  async sweep(
    now: number,
    options: { readonly incompleteBlobsBefore?: number } = {},
  ): Promise<SweepResult & { expiredBlobIds: Uint8Array[] }> {
    const s = this.#stmts;
    time(now, 'now');
    // Without the option no incomplete row is old enough: created_at < MIN_SAFE_INTEGER is never true.
    const before = time(options.incompleteBlobsBefore ?? Number.MIN_SAFE_INTEGER, 'options.incompleteBlobsBefore');
    const result = this.#tx(() => {
      const blobIds = (s.sweepBlobs.all(now, before) as Buffer[]).map(u8);
      // Ended prekey limit windows, their secrets and ack tombstones: deleted, not counted (see Store.sweep).
      s.sweepGrants.run(now);
      s.sweepGrantKeys.run(now);
      s.sweepTombstones.run(now);
      return {
        messages: s.sweepMessages.run(now).changes,
        blobs: blobIds.length,
        nonces: s.sweepNonces.run(now).changes,
        registrationCodes: s.sweepCodes.run(now).changes,
        invites: s.sweepInvites.run(now).changes,
        expiredBlobIds: blobIds,
      };
    });
    // Expired ciphertext, and any acked one whose checkpoint was blocked: out of the WAL too.
    this.checkpoint();
    return result;
  }
}

/** Open (creating if needed) and migrate the store in `file`. */
export async function openSqliteStore(file: string): Promise<SqliteStore> {
  const store = new SqliteStore(file);
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
