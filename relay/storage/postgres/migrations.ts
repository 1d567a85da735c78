/**
 * The PostgreSQL schema, as numbered migrations applied in order at start (relay issue:
 * "Schema migrations versioned and applied at start").
 *
 * `migrate` runs every pending migration in one transaction that first takes a transaction-
 * scoped advisory lock, so two relay instances starting at once on one database apply each
 * migration exactly once: the second waits, then finds nothing to do. A failed migration rolls
 * back whole and leaves `schema_version` as it was.
 *
 * Conventions: ids, keys and hashes are BYTEA; times are BIGINT milliseconds since the epoch;
 * sizes are BIGINT bytes. Never edit a migration that has shipped: append a new one.
 * @module
 */
import type { Pool } from 'pg';

/**
 * Advisory lock key for migrations (one bigint: the ASCII of "cnfdmigr"). The adapter's other
 * advisory locks use the two-int4 form, a separate key space in PostgreSQL.
 */
const MIGRATION_LOCK = '7236837402465004914';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE accounts (
        signing_key    BYTEA PRIMARY KEY,
        agreement_key  BYTEA NOT NULL,
        identity       BYTEA NOT NULL,
        kind           TEXT NOT NULL CHECK (kind IN ('therapist', 'client')),
        created_at     BIGINT NOT NULL
      );

      -- Bearer secrets appear only as SHA-256 hashes. A used one stays, marked, until the sweep.
      CREATE TABLE registration_codes (
        code_hash   BYTEA PRIMARY KEY,
        created_at  BIGINT NOT NULL,
        expires_at  BIGINT NOT NULL,
        used_at     BIGINT
      );
      CREATE INDEX registration_codes_expiry ON registration_codes (expires_at);

      CREATE TABLE invites (
        invite_hash    BYTEA PRIMARY KEY,
        therapist_key  BYTEA NOT NULL REFERENCES accounts (signing_key),
        created_at     BIGINT NOT NULL,
        expires_at     BIGINT NOT NULL,
        used_at        BIGINT
      );
      CREATE INDEX invites_expiry ON invites (expires_at);
      CREATE INDEX invites_therapist ON invites (therapist_key);

      CREATE TABLE nonces (
        signing_key  BYTEA NOT NULL,
        nonce        BYTEA NOT NULL,
        expires_at   BIGINT NOT NULL,
        PRIMARY KEY (signing_key, nonce)
      );
      CREATE INDEX nonces_expiry ON nonces (expires_at);

      -- One current signed prekey and one current ML-KEM prekey per account.
      CREATE TABLE signed_prekeys (
        signing_key  BYTEA PRIMARY KEY REFERENCES accounts (signing_key),
        key_id       BIGINT NOT NULL,
        public_key   BYTEA NOT NULL,
        signature    BYTEA NOT NULL,
        updated_at   BIGINT NOT NULL
      );
      CREATE TABLE kem_prekeys (
        signing_key  BYTEA PRIMARY KEY REFERENCES accounts (signing_key),
        key_id       BIGINT NOT NULL,
        public_key   BYTEA NOT NULL,
        signature    BYTEA NOT NULL,
        updated_at   BIGINT NOT NULL
      );
      -- takeBundle deletes the lowest key_id of one account: the primary key serves it.
      CREATE TABLE one_time_prekeys (
        signing_key  BYTEA NOT NULL REFERENCES accounts (signing_key),
        key_id       BIGINT NOT NULL,
        public_key   BYTEA NOT NULL,
        PRIMARY KEY (signing_key, key_id)
      );

      CREATE TABLE mailboxes (
        mailbox_id  BYTEA PRIMARY KEY,
        owner       BYTEA NOT NULL REFERENCES accounts (signing_key),
        created_at  BIGINT NOT NULL
      );
      CREATE INDEX mailboxes_owner ON mailboxes (owner);

      CREATE TABLE capabilities (
        capability_hash  BYTEA PRIMARY KEY,
        mailbox_id       BYTEA NOT NULL REFERENCES mailboxes (mailbox_id),
        created_at       BIGINT NOT NULL,
        revoked_at       BIGINT
      );
      CREATE INDEX capabilities_mailbox ON capabilities (mailbox_id);

      -- seq comes from an identity column: never reused, so pages by "seq > after" miss nothing.
      CREATE TABLE messages (
        seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        mailbox_id   BYTEA NOT NULL REFERENCES mailboxes (mailbox_id),
        message_id   BYTEA NOT NULL,
        size         BIGINT NOT NULL,
        received_at  BIGINT NOT NULL,
        expires_at   BIGINT NOT NULL,
        envelope     BYTEA NOT NULL,
        UNIQUE (mailbox_id, message_id)
      );
      -- Fetch pages by (mailbox, seq); the included columns serve the quota count from the index.
      CREATE INDEX messages_mailbox_seq ON messages (mailbox_id, seq) INCLUDE (expires_at, size);
      CREATE INDEX messages_expiry ON messages (expires_at);

      CREATE TABLE blobs (
        blob_id     BYTEA PRIMARY KEY,
        owner       BYTEA NOT NULL REFERENCES accounts (signing_key),
        size        BIGINT NOT NULL DEFAULT 0,
        complete    BOOLEAN NOT NULL DEFAULT false,
        created_at  BIGINT NOT NULL,
        expires_at  BIGINT NOT NULL
      );
      CREATE INDEX blobs_expiry ON blobs (expires_at);
      CREATE INDEX blobs_incomplete ON blobs (created_at) WHERE NOT complete;
      CREATE INDEX blobs_owner ON blobs (owner);

      -- Blob bytes (the PostgreSQL BlobStore), apart from the metadata above: one row per
      -- finished upload, and its bytes in fixed-size chunks. A new generation per write lets a
      -- reader notice that the blob was rewritten or deleted under it.
      CREATE SEQUENCE blob_generation;
      CREATE TABLE blob_data (
        blob_id     BYTEA PRIMARY KEY,
        generation  BIGINT NOT NULL,
        size        BIGINT NOT NULL,
        chunk_size  INTEGER NOT NULL,
        chunks      INTEGER NOT NULL
      );
      CREATE TABLE blob_chunks (
        blob_id     BYTEA NOT NULL,
        n           INTEGER NOT NULL,
        generation  BIGINT NOT NULL,
        data        BYTEA NOT NULL,
        PRIMARY KEY (blob_id, n)
      );
      -- Envelopes and chunks are ciphertext: trying to compress them only costs CPU.
      ALTER TABLE messages ALTER COLUMN envelope SET STORAGE EXTERNAL;
      ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
    `,
  },
  {
    version: 2,
    name: 'one-time prekey limit per requester and target',
    sql: `
      -- One-time prekeys handed to one requester from one target in the current window
      -- (Store.takeBundle with a limit): one row per pair, deleted by the sweep once it ends.
      CREATE TABLE prekey_grants (
        requester   BYTEA NOT NULL,
        target      BYTEA NOT NULL,
        granted     BIGINT NOT NULL,
        expires_at  BIGINT NOT NULL,
        PRIMARY KEY (requester, target)
      );
      CREATE INDEX prekey_grants_expiry ON prekey_grants (expires_at);
    `,
  },
  {
    version: 3,
    name: 'tombstones of acknowledged messages',
    sql: `
      -- Issue 9 item 2 (Store.ackMessages): a captured send replayed after the ack is answered as
      -- a duplicate until the original's expiry, then swept. tag = SHA-256(label || mailbox id ||
      -- message id), envelope_hash = labelled SHA-256 of the envelope (a resend or a conflict):
      -- neither id nor any envelope byte is kept.
      CREATE TABLE acked_messages (
        tag            BYTEA PRIMARY KEY,
        seq            BIGINT NOT NULL,
        envelope_hash  BYTEA NOT NULL,
        expires_at     BIGINT NOT NULL
      );
      CREATE INDEX acked_messages_expiry ON acked_messages (expires_at);
    `,
  },
  {
    version: 4,
    name: 'no account keys in prekey limit and blob rows',
    sql: `
      -- Issue 9 item 8: no social graph at rest. A limit row is keyed by an HMAC of (requester,
      -- target) under a random secret per window epoch (relay/storage/_tags.ts), swept two windows
      -- on. The old rows named both accounts: dropped, not converted (the worst this does is let a
      -- requester have up to the cap once more, on the day of the upgrade). DROP TABLE, not
      -- DELETE: the table's files are unlinked at commit instead of keeping dead rows.
      DROP TABLE prekey_grants;
      CREATE TABLE prekey_grants (
        pair        BYTEA PRIMARY KEY,
        granted     BIGINT NOT NULL,
        expires_at  BIGINT NOT NULL
      );
      CREATE INDEX prekey_grants_expiry ON prekey_grants (expires_at);
      CREATE TABLE prekey_grant_keys (
        window_ms   BIGINT NOT NULL,
        epoch       BIGINT NOT NULL,
        secret      BYTEA NOT NULL,
        expires_at  BIGINT NOT NULL,
        PRIMARY KEY (window_ms, epoch)
      );
      CREATE INDEX prekey_grant_keys_expiry ON prekey_grant_keys (expires_at);

      -- Blob rows keep SHA-256(label || len(blob id) || blob id || uploader) instead of the
      -- uploader's key (the same bytes as _tags.ts blobOwnerTag). A new table rather than DROP
      -- COLUMN, which would leave the keys inside every old row version on disk.
      CREATE TABLE blobs_v4 (
        blob_id     BYTEA PRIMARY KEY,
        owner_tag   BYTEA NOT NULL,
        size        BIGINT NOT NULL DEFAULT 0,
        complete    BOOLEAN NOT NULL DEFAULT false,
        created_at  BIGINT NOT NULL,
        expires_at  BIGINT NOT NULL
      );
      INSERT INTO blobs_v4 (blob_id, owner_tag, size, complete, created_at, expires_at)
        SELECT blob_id,
               sha256(convert_to('confidant relay blob owner v1', 'UTF8') || set_byte('\\x00'::bytea, 0, length(blob_id)) || blob_id || owner),
               size, complete, created_at, expires_at
          FROM blobs;
      DROP TABLE blobs;
      ALTER TABLE blobs_v4 RENAME TO blobs;
      ALTER INDEX blobs_v4_pkey RENAME TO blobs_pkey;
      CREATE INDEX blobs_expiry ON blobs (expires_at);
      CREATE INDEX blobs_incomplete ON blobs (created_at) WHERE NOT complete;
    `,
  },
  {
    version: 5,
    name: 'prompt vacuum of the ciphertext tables',
    sql: `
      -- Issue 9 item 3 (docs/OPERATING.md "What deleted data leaves behind"): a deleted envelope
      -- or blob chunk stays in the table's file as a dead row until VACUUM frees its space. The
      -- default waits until 20% of a table is dead, which on a large table can be weeks; here
      -- autovacuum visits a table at its next round (autovacuum_naptime, 1 min by default) after
      -- any row died. The TOAST tables (envelopes over ~2 kB and every chunk live there) as well.
      ALTER TABLE messages SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 0,
        toast.autovacuum_vacuum_scale_factor = 0, toast.autovacuum_vacuum_threshold = 0);
      ALTER TABLE blob_chunks SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 0,
        toast.autovacuum_vacuum_scale_factor = 0, toast.autovacuum_vacuum_threshold = 0);
      ALTER TABLE blob_data SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 0);
      ALTER TABLE acked_messages SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 0);
    `,
  },
  {
    version: 6,
    name: 'blob rows keep a delete token hash, no uploader tag',
    sql: `
      -- Issue 9 item 8, finished: a blob row kept SHA-256(label || blob id || uploader), which the
      -- relay could reverse by trying every account key. Now it keeps only the SHA-256 of a
      -- random delete token handed to the uploader once (routes/blobs.ts), and nothing that
      -- leads to an account. Rows from before have no token (NULL): they can no longer be
      -- deleted early, only expire. A new table rather than DROP COLUMN, which would leave the
      -- tags inside every old row version on disk.
      CREATE TABLE blobs_v6 (
        blob_id           BYTEA PRIMARY KEY,
        delete_token_hash BYTEA,
        size              BIGINT NOT NULL DEFAULT 0,
        complete          BOOLEAN NOT NULL DEFAULT false,
        created_at        BIGINT NOT NULL,
        expires_at        BIGINT NOT NULL
      );
      INSERT INTO blobs_v6 (blob_id, delete_token_hash, size, complete, created_at, expires_at)
        SELECT blob_id, NULL, size, complete, created_at, expires_at FROM blobs;
      DROP TABLE blobs;
      ALTER TABLE blobs_v6 RENAME TO blobs;
      ALTER INDEX blobs_v6_pkey RENAME TO blobs_pkey;
      CREATE INDEX blobs_expiry ON blobs (expires_at);
      CREATE INDEX blobs_incomplete ON blobs (created_at) WHERE NOT complete;
    `,
  },
  {
    version: 7,
    name: 'short invites: the encrypted body in the invite row',
    sql: `
      -- Short invites (issue 11; docs/PROTOCOL.md §14): an invite's body, encrypted on the
      -- therapist's device, kept in the invite's own row under a random 16-byte id, so that
      -- revoking, using (registerClient clears it) and sweeping the invite take the body along.
      -- Rows from before have neither. A revoked or used body is a dead row until VACUUM: as for
      -- the other ciphertext tables (version 5), autovacuum visits at its next round.
      ALTER TABLE invites ADD COLUMN body_id BYTEA, ADD COLUMN body BYTEA;
      CREATE UNIQUE INDEX invites_body_id ON invites (body_id) WHERE body_id IS NOT NULL;
      ALTER TABLE invites SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 0,
        toast.autovacuum_vacuum_scale_factor = 0, toast.autovacuum_vacuum_threshold = 0);
    `,
  },
  {
    version: 8,
    name: 'push subscriptions and the shared VAPID key pair',
    sql: `
      -- Issue 11, "Notifications without content" (relay/push/): one row per device that asked
      -- for content-free pushes. The endpoint is the push service's URL for that device; p256dh
      -- and auth are the keys a push is encrypted to (RFC 8291). last_pushed_at is the per-device
      -- throttle (Store.claimPushTargets). Deleting the account deletes its rows.
      CREATE TABLE push_subscriptions (
        endpoint       TEXT PRIMARY KEY,
        account        BYTEA NOT NULL REFERENCES accounts (signing_key) ON DELETE CASCADE,
        p256dh         BYTEA NOT NULL,
        auth           BYTEA NOT NULL,
        created_at     BIGINT NOT NULL,
        last_pushed_at BIGINT
      );
      CREATE INDEX push_subscriptions_account ON push_subscriptions (account, created_at);

      -- The relay's VAPID key pair (RFC 8292), one for all instances on this database: a push
      -- service ties a subscription to the public key it was made with, so every instance must
      -- sign with the same one. Written once by the first instance to start (push/vapid.ts).
      CREATE TABLE push_vapid_keys (
        id          SMALLINT PRIMARY KEY CHECK (id = 1),
        public_key  BYTEA NOT NULL,
        private_key BYTEA NOT NULL,
        created_at  BIGINT NOT NULL
      );
    `,
  },
];

/** Highest version this build knows. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Applies pending migrations; returns the versions it applied (empty when up to date).
 * Refuses a database whose schema is newer than this build (an older relay must not write
 * into a schema it does not understand).
 */
export const migrate = async (pool: Pool, now: () => number = Date.now): Promise<number[]> => {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query('BEGIN');
    // Before anything else, so concurrent starts never race on CREATE TABLE IF NOT EXISTS.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    const current = rows[0]?.v ?? 0;
    if (current > LATEST_VERSION) {
      throw new Error(`postgres: database schema is version ${current}, newer than this relay's ${LATEST_VERSION}`);
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        now(),
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    failed = err as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A connection whose ROLLBACK may have failed is dropped rather than reused.
    client.release(failed);
  }
};
