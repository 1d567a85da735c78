/**
 * The relay's Store on PostgreSQL (`pg`): several stateless relay instances on one database
 * (ARCHITECTURE.md, "Storage and scale"). Semantics are those of `../types.ts`, checked by the shared
 * conformance suite; this file says only how PostgreSQL provides them.
 *
 * - Atomicity: every multi-row method is one READ COMMITTED transaction (`transaction`).
 * - Durability: every pooled session runs `synchronous_commit = on` (index.ts), overriding a
 *   server, database or role default of `off`, so a write that resolved was flushed.
 * - takeBundle: `DELETE ... WHERE key_id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1)`, so
 *   concurrent fetches never take the same one-time prekey. A per-account advisory lock also
 *   serializes them, which makes the "left" count (the low-prekey signal) exact: without it a
 *   fetch would still count keys that a concurrent one is deleting.
 * - putMessage: a per-mailbox advisory transaction lock serializes sends to one mailbox, so the
 *   duplicate check, the quota check and the insert see a stable mailbox; it also makes `seq`
 *   (an identity column) commit in order within a mailbox: the next send takes the lock only
 *   after the previous commit is visible, so a reader paging with `seq > after` never skips one.
 * - Registration: the account insert comes first (`ON CONFLICT DO NOTHING`: `exists`), then the
 *   code is consumed with one conditional UPDATE, whose row lock makes a concurrent use of the
 *   same code wait and then fail; an unusable code rolls the account back.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
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
import { ConfidantError } from '../../../shared/index.ts';
import { LOCK_ACCOUNT, LOCK_MAILBOX, Rollback, bytes, count, int, lockKey, param, time, transaction } from './_pg.ts';
import { migrate } from './migrations.ts';
import {
  GRANT_SECRET_LEN,
  LABEL_ENVELOPE,
  ackedMessageTag,
  blobOwnerTag,
  grantEpoch,
  grantPairTag,
  grantSecretExpiry,
} from '../_tags.ts';
import type { PostgresNotifier } from './notifier.ts';

/** The label of a tombstone's envelope hash, as bytes for SQL: sha256(label || envelope) = _tags.ts ackedEnvelopeHash. */
const ENVELOPE_LABEL = Buffer.from(LABEL_ENVELOPE);

/** How long `ping` waits for the database before answering false. */
const PING_TIMEOUT_MS = 2_000;

interface AccountRow {
  signing_key: Buffer;
  agreement_key: Buffer;
  identity: Buffer;
  kind: AccountKind;
  created_at: string;
}

interface PreKeyRow {
  key_id: string;
  public_key: Buffer;
  signature: Buffer;
}

interface MessageRow {
  seq: string;
  mailbox_id: Buffer;
  message_id: Buffer;
  envelope: Buffer;
  received_at: string;
  expires_at: string;
}

interface BlobRow {
  blob_id: Buffer;
  size: string;
  complete: boolean;
  created_at: string;
  expires_at: string;
}

const toAccount = (row: AccountRow): Account => ({
  signingKey: bytes(row.signing_key),
  agreementKey: bytes(row.agreement_key),
  identity: bytes(row.identity),
  kind: row.kind,
  createdAt: int(row.created_at),
});

const toSigned = (row: PreKeyRow): SignedPreKeyRow => ({
  id: int(row.key_id),
  publicKey: bytes(row.public_key),
  signature: bytes(row.signature),
});

const toMessage = (row: MessageRow): StoredMessage => ({
  messageId: bytes(row.message_id),
  mailboxId: bytes(row.mailbox_id),
  envelope: bytes(row.envelope),
  receivedAt: int(row.received_at),
  expiresAt: int(row.expires_at),
  seq: int(row.seq),
});

const toBlob = (row: BlobRow): BlobInfo => ({
  blobId: bytes(row.blob_id),
  size: int(row.size),
  complete: row.complete,
  createdAt: int(row.created_at),
  expiresAt: int(row.expires_at),
});

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;

  constructor(
    /** The main pool (exposed for operators' diagnostics and tests; the Store owns it). */
    readonly pool: Pool,
    readonly notifier: PostgresNotifier,
    private readonly onClose: () => Promise<void>,
  ) {}

  async migrate(): Promise<void> {
    await migrate(this.pool);
  }

  async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
    });
    const query = this.pool.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.onClose();
  }

  // Registration codes and accounts.

  async addRegistrationCode(codeHash: Uint8Array, createdAt: number, expiresAt: number): Promise<void> {
    await this.pool.query('INSERT INTO registration_codes (code_hash, created_at, expires_at) VALUES ($1, $2, $3)', [
      param(codeHash, 'codeHash'),
      time(createdAt, 'createdAt'),
      time(expiresAt, 'expiresAt'),
    ]);
  }

  async registerTherapist(account: Account, codeHash: Uint8Array, now: number): Promise<'created' | 'exists' | 'code_invalid'> {
    const code = param(codeHash, 'codeHash');
    time(now, 'now');
    const result = await this.register(account, 'therapist', (client) =>
      client.query(
        'UPDATE registration_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2',
        [code, now],
      ),
    );
    return result === 'invalid' ? 'code_invalid' : result;
  }

  async addInvite(inviteHash: Uint8Array, therapistKey: Uint8Array, createdAt: number, expiresAt: number): Promise<'created' | 'exists'> {
    // ON CONFLICT names the key: a therapist key without an account still fails (foreign key).
    const inserted = await this.pool.query(
      `INSERT INTO invites (invite_hash, therapist_key, created_at, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (invite_hash) DO NOTHING`,
      [param(inviteHash, 'inviteHash'), param(therapistKey, 'therapistKey'), time(createdAt, 'createdAt'), time(expiresAt, 'expiresAt')],
    );
    return inserted.rowCount === 1 ? 'created' : 'exists';
  }

  async inviteExpiry(inviteHash: Uint8Array, now: number): Promise<number | undefined> {
    const r = await this.pool.query<{ expires_at: string }>(
      'SELECT expires_at FROM invites WHERE invite_hash = $1 AND used_at IS NULL AND expires_at > $2',
      [param(inviteHash, 'inviteHash'), time(now, 'now')],
    );
    const row = r.rows[0];
    return row === undefined ? undefined : int(row.expires_at);
  }

  async registerClient(account: Account, inviteHash: Uint8Array, now: number): Promise<'created' | 'exists' | 'invite_invalid'> {
    const invite = param(inviteHash, 'inviteHash');
    time(now, 'now');
    const result = await this.register(account, 'client', (client) =>
      client.query('UPDATE invites SET used_at = $2 WHERE invite_hash = $1 AND used_at IS NULL AND expires_at > $2', [
        invite,
        now,
      ]),
    );
    return result === 'invalid' ? 'invite_invalid' : result;
  }

  /**
   * Inserts the account, then runs `consume` (an UPDATE that marks the code or invite used).
   * `exists` changes nothing; when `consume` updates no row the insert is rolled back.
   */
  private register(
    account: Account,
    kind: AccountKind,
    consume: (client: PoolClient) => Promise<{ rowCount: number | null }>,
  ): Promise<'created' | 'exists' | 'invalid'> {
    if (account.kind !== kind) {
      throw new ConfidantError('invalid_argument', `account.kind must be ${kind}, got ${String(account.kind)}`);
    }
    const values = [
      param(account.signingKey, 'account.signingKey'),
      param(account.agreementKey, 'account.agreementKey'),
      param(account.identity, 'account.identity'),
      kind,
      time(account.createdAt, 'account.createdAt'),
    ];
    return transaction(this.pool, async (client) => {
      // A concurrent registration of the same key waits here on the unique index, then sees
      // ours (exists) or, if ours rolled back, inserts its own.
      const inserted = await client.query(
        `INSERT INTO accounts (signing_key, agreement_key, identity, kind, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (signing_key) DO NOTHING`,
        values,
      );
      if (inserted.rowCount !== 1) return 'exists';
      if ((await consume(client)).rowCount !== 1) throw new Rollback('invalid' as const);
      return 'created';
    });
  }

  async getAccount(signingKey: Uint8Array): Promise<Account | undefined> {
    const { rows } = await this.pool.query<AccountRow>('SELECT * FROM accounts WHERE signing_key = $1', [
      param(signingKey, 'signingKey'),
    ]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  async rememberNonce(signingKey: Uint8Array, nonce: Uint8Array, expiresAt: number): Promise<boolean> {
    const inserted = await this.pool.query(
      'INSERT INTO nonces (signing_key, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [param(signingKey, 'signingKey'), param(nonce, 'nonce'), time(expiresAt, 'expiresAt')],
    );
    return inserted.rowCount === 1;
  }

  async hasNonce(signingKey: Uint8Array, nonce: Uint8Array): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM nonces WHERE signing_key = $1 AND nonce = $2', [
      param(signingKey, 'signingKey'),
      param(nonce, 'nonce'),
    ]);
    return rowCount === 1;
  }

  // Prekeys.

  async setSignedPreKey(signingKey: Uint8Array, row: SignedPreKeyRow, now: number): Promise<void> {
    await this.upsertPreKey('signed_prekeys', signingKey, row, now);
  }

  async setKemPreKey(signingKey: Uint8Array, row: SignedPreKeyRow, now: number): Promise<void> {
    await this.upsertPreKey('kem_prekeys', signingKey, row, now);
  }

  private async upsertPreKey(
    table: 'signed_prekeys' | 'kem_prekeys',
    signingKey: Uint8Array,
    row: SignedPreKeyRow,
    now: number,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${table} (signing_key, key_id, public_key, signature, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (signing_key) DO UPDATE SET key_id = EXCLUDED.key_id, public_key = EXCLUDED.public_key,
         signature = EXCLUDED.signature, updated_at = EXCLUDED.updated_at`,
      [
        param(signingKey, 'signingKey'),
        count(row.id, 'row.id'),
        param(row.publicKey, 'row.publicKey'),
        param(row.signature, 'row.signature'),
        time(now, 'now'),
      ],
    );
  }

  async addOneTimePreKeys(signingKey: Uint8Array, rows: readonly OneTimePreKeyRow[]): Promise<number> {
    const key = param(signingKey, 'signingKey');
    const ids = rows.map((r, i) => count(r.id, `rows[${i}].id`));
    const publicKeys = rows.map((r, i) => param(r.publicKey, `rows[${i}].publicKey`));
    return transaction(this.pool, async (client) => {
      if (rows.length > 0) {
        // WITH ORDINALITY + DISTINCT ON: an id repeated within one call keeps its first key,
        // as an id already stored keeps the stored one.
        await client.query(
          `INSERT INTO one_time_prekeys (signing_key, key_id, public_key)
           SELECT DISTINCT ON (k.key_id) $1::bytea, k.key_id, k.public_key
             FROM unnest($2::bigint[], $3::bytea[]) WITH ORDINALITY AS k (key_id, public_key, i)
            ORDER BY k.key_id, k.i
           ON CONFLICT DO NOTHING`,
          [key, ids, publicKeys],
        );
      }
      return this.countOneTime(client, key);
    });
  }

  async countOneTimePreKeys(signingKey: Uint8Array): Promise<number> {
    return this.countOneTime(this.pool, param(signingKey, 'signingKey'));
  }

  private async countOneTime(client: Pool | PoolClient, key: Buffer): Promise<number> {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM one_time_prekeys WHERE signing_key = $1', [key]);
    return int(rows[0]?.n ?? 0);
  }

  async takeBundle(signingKey: Uint8Array, limit?: OneTimePreKeyLimit): Promise<BundleRow | undefined> {
    const key = param(signingKey, 'signingKey');
    const requester = limit && param(limit.requester, 'limit.requester');
    if (limit !== undefined) {
      count(limit.max, 'limit.max');
      time(limit.now, 'limit.now');
      if (count(limit.windowMs, 'limit.windowMs') < 1) {
        throw new ConfidantError('invalid_argument', `limit.windowMs must be >= 1, got ${String(limit.windowMs)}`);
      }
    }
    return transaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_ACCOUNT, lockKey(key)]);
      const found = await client.query<{ identity: Buffer }>('SELECT identity FROM accounts WHERE signing_key = $1', [key]);
      const signed = await client.query<PreKeyRow>('SELECT key_id, public_key, signature FROM signed_prekeys WHERE signing_key = $1', [key]);
      const kem = await client.query<PreKeyRow>('SELECT key_id, public_key, signature FROM kem_prekeys WHERE signing_key = $1', [key]);
      const account = found.rows[0];
      const signedRow = signed.rows[0];
      const kemRow = kem.rows[0];
      if (!account || !signedRow || !kemRow) return undefined;
      // The requester's window for this target (the account lock above serializes every take of
      // this target, so reading then writing the row cannot race): still open, or new from now.
      // The pair is found by its keyed hash under this epoch's secret or the previous one's
      // (_tags.ts); a new window is keyed under this epoch's, made on first use.
      let granted = 0;
      let windowEnd = 0;
      let pair: Buffer | undefined;
      const epoch = limit && grantEpoch(limit.now, limit.windowMs);
      if (limit !== undefined && epoch !== undefined) {
        const keys = await client.query<{ epoch: string; secret: Buffer }>(
          'SELECT epoch, secret FROM prekey_grant_keys WHERE window_ms = $1 AND epoch IN ($2, $3)',
          [limit.windowMs, epoch, epoch - 1],
        );
        const tags = keys.rows.map((r) => Buffer.from(grantPairTag(r.secret, requester!, key)));
        const grant =
          tags.length === 0
            ? { rows: [] }
            : await client.query<{ pair: Buffer; granted: string; expires_at: string }>(
                'SELECT pair, granted, expires_at FROM prekey_grants WHERE pair = ANY($1::bytea[]) AND expires_at > $2 ORDER BY expires_at DESC LIMIT 1',
                [tags, limit.now],
              );
        const row = grant.rows[0];
        granted = row ? int(row.granted) : 0;
        windowEnd = row ? int(row.expires_at) : limit.now + limit.windowMs;
        pair = row?.pair;
      }
      // SKIP LOCKED: even a fetch that got past the account lock (none does today) takes the next
      // key instead of the one another transaction is deleting.
      const taken =
        limit !== undefined && granted >= limit.max
          ? { rows: [] }
          : await client.query<{ key_id: string; public_key: Buffer }>(
              `DELETE FROM one_time_prekeys
                WHERE signing_key = $1
                  AND key_id = (SELECT key_id FROM one_time_prekeys WHERE signing_key = $1
                                 ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING key_id, public_key`,
              [key],
            );
      const oneTime = taken.rows[0];
      if (oneTime !== undefined && limit !== undefined && epoch !== undefined) {
        if (pair === undefined) {
          // Another target's fetch may create this epoch's secret at the same moment: DO NOTHING,
          // then read whichever committed (READ COMMITTED: the SELECT sees it).
          await client.query(
            `INSERT INTO prekey_grant_keys (window_ms, epoch, secret, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING`,
            [limit.windowMs, epoch, randomBytes(GRANT_SECRET_LEN), grantSecretExpiry(epoch, limit.windowMs)],
          );
          const secret = await client.query<{ secret: Buffer }>('SELECT secret FROM prekey_grant_keys WHERE window_ms = $1 AND epoch = $2', [
            limit.windowMs,
            epoch,
          ]);
          pair = Buffer.from(grantPairTag(secret.rows[0]!.secret, requester!, key));
        }
        await client.query(
          `INSERT INTO prekey_grants (pair, granted, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (pair) DO UPDATE SET granted = EXCLUDED.granted, expires_at = EXCLUDED.expires_at`,
          [pair, granted + 1, windowEnd],
        );
      }
      return {
        identity: bytes(account.identity),
        signedPreKey: toSigned(signedRow),
        kemPreKey: toSigned(kemRow),
        oneTimePreKey: oneTime ? { id: int(oneTime.key_id), publicKey: bytes(oneTime.public_key) } : undefined,
        oneTimePreKeysLeft: await this.countOneTime(client, key),
      };
    });
  }

  // Mailboxes and capabilities.

  async createMailbox(mailboxId: Uint8Array, owner: Uint8Array, now: number): Promise<'created' | 'exists'> {
    const inserted = await this.pool.query(
      'INSERT INTO mailboxes (mailbox_id, owner, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [param(mailboxId, 'mailboxId'), param(owner, 'owner'), time(now, 'now')],
    );
    return inserted.rowCount === 1 ? 'created' : 'exists';
  }

  async mailboxOwner(mailboxId: Uint8Array): Promise<Uint8Array | undefined> {
    const { rows } = await this.pool.query<{ owner: Buffer }>('SELECT owner FROM mailboxes WHERE mailbox_id = $1', [
      param(mailboxId, 'mailboxId'),
    ]);
    return rows[0] ? bytes(rows[0].owner) : undefined;
  }

  async addCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array, now: number): Promise<void> {
    // DO NOTHING: re-adding a hash never revives a revoked capability.
    await this.pool.query(
      'INSERT INTO capabilities (capability_hash, mailbox_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [param(capabilityHash, 'capabilityHash'), param(mailboxId, 'mailboxId'), time(now, 'now')],
    );
  }

  async revokeCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array, now: number): Promise<boolean> {
    const updated = await this.pool.query(
      'UPDATE capabilities SET revoked_at = $3 WHERE capability_hash = $1 AND mailbox_id = $2 AND revoked_at IS NULL',
      [param(capabilityHash, 'capabilityHash'), param(mailboxId, 'mailboxId'), time(now, 'now')],
    );
    return updated.rowCount === 1;
  }

  async checkCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM capabilities WHERE capability_hash = $1 AND mailbox_id = $2 AND revoked_at IS NULL',
      [param(capabilityHash, 'capabilityHash'), param(mailboxId, 'mailboxId')],
    );
    return rowCount === 1;
  }

  // Messages.

  async putMessage(message: Omit<StoredMessage, 'seq'>, quota: MailboxQuota): Promise<PutMessageResult> {
    const mailbox = param(message.mailboxId, 'message.mailboxId');
    const messageId = param(message.messageId, 'message.messageId');
    const envelope = param(message.envelope, 'message.envelope');
    const receivedAt = time(message.receivedAt, 'message.receivedAt');
    const expiresAt = time(message.expiresAt, 'message.expiresAt');
    const maxMessages = count(quota.maxMessages, 'quota.maxMessages');
    const maxBytes = count(quota.maxBytes, 'quota.maxBytes');
    // Three round trips, all while the mailbox lock is held: BEGIN with the lock (one simple
    // query; both keys are int4 computed here, never client text), the statement below, COMMIT.
    // Sends to one mailbox queue on the lock, so each round trip saved there is throughput.
    const lock = lockKey(mailbox);
    if (!Number.isSafeInteger(lock) || !Number.isSafeInteger(LOCK_MAILBOX)) throw new Error('putMessage: lock keys must be integers');
    return transaction(
      this.pool,
      async (client): Promise<PutMessageResult> => {
        // One statement, so one snapshot, taken after the lock: the duplicate check, the quota
        // and the insert all see the mailbox as the previous holder committed it. The insert
        // runs only when no row holds this id and the quota has room.
        const { rows } = await client.query<{ prior: string | null; same: boolean | null; seq: string | null }>(
          `WITH prior AS (
             SELECT seq, envelope = $3 AS same FROM messages WHERE mailbox_id = $1 AND message_id = $2
             UNION ALL
             -- Acknowledged already: its tombstone answers (the hash is computed only on a hit).
             SELECT seq, envelope_hash = sha256($10::bytea || $3) AS same FROM acked_messages WHERE tag = $9
             LIMIT 1
           ), usage AS (
             SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM messages WHERE mailbox_id = $1 AND expires_at > $4::bigint
           ), inserted AS (
             INSERT INTO messages (mailbox_id, message_id, size, received_at, expires_at, envelope)
             SELECT $1, $2, $6::bigint, $4::bigint, $5::bigint, $3 FROM usage
              WHERE NOT EXISTS (SELECT 1 FROM prior) AND usage.n + 1 <= $7::bigint AND usage.b + $6::bigint <= $8::bigint
             RETURNING seq
           )
           SELECT (SELECT seq FROM prior) AS prior, (SELECT same FROM prior) AS same, (SELECT seq FROM inserted) AS seq`,
          [mailbox, messageId, envelope, receivedAt, expiresAt, envelope.byteLength, maxMessages, maxBytes, Buffer.from(ackedMessageTag(mailbox, messageId)), ENVELOPE_LABEL],
        );
        const row = rows[0]!;
        if (row.prior !== null) return row.same ? { status: 'duplicate', seq: int(row.prior) } : { status: 'conflict' };
        return row.seq !== null ? { status: 'stored', seq: int(row.seq) } : { status: 'quota' };
      },
      `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_MAILBOX}, ${lock})`,
    );
  }

  async listMessages(mailboxId: Uint8Array, options: { after: number; limit: number; now: number }): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT seq, mailbox_id, message_id, envelope, received_at, expires_at FROM messages
        WHERE mailbox_id = $1 AND seq > $2 AND expires_at > $3
        ORDER BY seq LIMIT $4`,
      [
        param(mailboxId, 'mailboxId'),
        count(options.after, 'options.after'),
        time(options.now, 'options.now'),
        count(options.limit, 'options.limit'),
      ],
    );
    return rows.map(toMessage);
  }

  async ackMessages(mailboxId: Uint8Array, messageIds: readonly Uint8Array[]): Promise<number> {
    const mailbox = param(mailboxId, 'mailboxId');
    const ids = messageIds.map((id, i) => param(id, `messageIds[${i}]`));
    if (ids.length === 0) return 0;
    // One statement: the deleted rows become tombstones (Store.ackMessages) in the same commit.
    // The tags are computed here with the ids they belong to; the envelope hash in the database.
    const tags = ids.map((id) => Buffer.from(ackedMessageTag(mailbox, id)));
    const { rows } = await this.pool.query<{ n: string }>(
      `WITH tags AS (
         SELECT * FROM unnest($2::bytea[], $3::bytea[]) AS t (message_id, tag)
       ), gone AS (
         DELETE FROM messages m USING tags
          WHERE m.mailbox_id = $1 AND m.message_id = tags.message_id
         RETURNING tags.tag, m.seq, m.envelope, m.expires_at
       ), kept AS (
         INSERT INTO acked_messages (tag, seq, envelope_hash, expires_at)
         SELECT tag, seq, sha256($4::bytea || envelope), expires_at FROM gone
         ON CONFLICT DO NOTHING
       )
       SELECT count(*) AS n FROM gone`,
      [mailbox, ids, tags, ENVELOPE_LABEL],
    );
    return int(rows[0]?.n ?? 0);
  }

  // Blob metadata.

  async createBlob(info: Omit<BlobInfo, 'complete' | 'size'> & { owner: Uint8Array }): Promise<'created' | 'exists'> {
    const blobId = param(info.blobId, 'info.blobId');
    const inserted = await this.pool.query(
      'INSERT INTO blobs (blob_id, owner_tag, created_at, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [
        blobId,
        Buffer.from(blobOwnerTag(blobId, param(info.owner, 'info.owner'))),
        time(info.createdAt, 'info.createdAt'),
        time(info.expiresAt, 'info.expiresAt'),
      ],
    );
    return inserted.rowCount === 1 ? 'created' : 'exists';
  }

  async completeBlob(blobId: Uint8Array, size: number): Promise<boolean> {
    const updated = await this.pool.query('UPDATE blobs SET size = $2, complete = true WHERE blob_id = $1', [
      param(blobId, 'blobId'),
      count(size, 'size'),
    ]);
    return updated.rowCount === 1;
  }

  async getBlob(blobId: Uint8Array): Promise<BlobInfo | undefined> {
    const { rows } = await this.pool.query<BlobRow>(
      'SELECT blob_id, size, complete, created_at, expires_at FROM blobs WHERE blob_id = $1',
      [param(blobId, 'blobId')],
    );
    return rows[0] ? toBlob(rows[0]) : undefined;
  }

  async deleteBlob(blobId: Uint8Array, owner?: Uint8Array): Promise<boolean> {
    const id = param(blobId, 'blobId');
    const deleted =
      owner === undefined
        ? await this.pool.query('DELETE FROM blobs WHERE blob_id = $1', [id])
        : await this.pool.query('DELETE FROM blobs WHERE blob_id = $1 AND owner_tag = $2', [
            id,
            Buffer.from(blobOwnerTag(id, param(owner, 'owner'))),
          ]);
    return deleted.rowCount === 1;
  }

  async sweep(
    now: number,
    options: { readonly incompleteBlobsBefore?: number } = {},
  ): Promise<SweepResult & { expiredBlobIds: Uint8Array[] }> {
    time(now, 'now');
    // Without the option no incomplete row is old enough: created_at < MIN_SAFE_INTEGER never holds.
    const before = time(options.incompleteBlobsBefore ?? Number.MIN_SAFE_INTEGER, 'options.incompleteBlobsBefore');
    return transaction(this.pool, async (client) => {
      const deleted = async (sql: string, values: unknown[] = [now]): Promise<number> => (await client.query(sql, values)).rowCount ?? 0;
      const blobs = await client.query<{ blob_id: Buffer }>(
        'DELETE FROM blobs WHERE expires_at <= $1 OR (NOT complete AND created_at < $2) RETURNING blob_id',
        [now, before],
      );
      // Ended prekey limit windows, their secrets and ack tombstones: deleted, not counted (see Store.sweep).
      await client.query('DELETE FROM prekey_grants WHERE expires_at <= $1', [now]);
      await client.query('DELETE FROM prekey_grant_keys WHERE expires_at <= $1', [now]);
      await client.query('DELETE FROM acked_messages WHERE expires_at <= $1', [now]);
      return {
        messages: await deleted('DELETE FROM messages WHERE expires_at <= $1'),
        blobs: blobs.rows.length,
        nonces: await deleted('DELETE FROM nonces WHERE expires_at <= $1'),
        registrationCodes: await deleted('DELETE FROM registration_codes WHERE expires_at <= $1 OR used_at IS NOT NULL'),
        invites: await deleted('DELETE FROM invites WHERE expires_at <= $1 OR used_at IS NOT NULL'),
        expiredBlobIds: blobs.rows.map((r) => bytes(r.blob_id)),
      };
    });
  }
}
