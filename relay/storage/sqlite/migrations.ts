/**
 * Versioned schema of the SQLite store. The file's `user_version` pragma holds the number of
 * migrations applied; at start each later one runs in its own transaction together with the
 * version bump, so a crash leaves the schema at a whole version. Never edit a released
 * migration: append a new one.
 *
 * Layout rules: ids, keys and hashes are BLOBs; times are integer milliseconds since the epoch;
 * bearer secrets (registration codes, invites, delivery capabilities) appear only as SHA-256
 * hashes. Indexes exist for the hot paths: messages by (mailbox, seq), and `expires_at` for
 * every table the sweeper visits.
 * @module
 */
import { blobOwnerTag } from '../_tags.ts';
import type { SqliteDatabase } from './database.ts';

export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE accounts (
        signing_key   BLOB PRIMARY KEY,
        agreement_key BLOB NOT NULL,
        identity      BLOB NOT NULL,
        kind          TEXT NOT NULL CHECK (kind IN ('therapist', 'client')),
        created_at    INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE registration_codes (
        code_hash  BLOB PRIMARY KEY,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX registration_codes_expiry ON registration_codes (expires_at);

      CREATE TABLE invites (
        invite_hash   BLOB PRIMARY KEY,
        therapist_key BLOB NOT NULL REFERENCES accounts (signing_key),
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        used_at       INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX invites_expiry ON invites (expires_at);
      CREATE INDEX invites_therapist ON invites (therapist_key);

      CREATE TABLE nonces (
        signing_key BLOB NOT NULL,
        nonce       BLOB NOT NULL,
        expires_at  INTEGER NOT NULL,
        PRIMARY KEY (signing_key, nonce)
      ) WITHOUT ROWID;
      CREATE INDEX nonces_expiry ON nonces (expires_at);

      CREATE TABLE signed_prekeys (
        signing_key BLOB PRIMARY KEY REFERENCES accounts (signing_key),
        key_id      INTEGER NOT NULL,
        public_key  BLOB NOT NULL,
        signature   BLOB NOT NULL,
        updated_at  INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE kem_prekeys (
        signing_key BLOB PRIMARY KEY REFERENCES accounts (signing_key),
        key_id      INTEGER NOT NULL,
        public_key  BLOB NOT NULL,
        signature   BLOB NOT NULL,
        updated_at  INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE one_time_prekeys (
        signing_key BLOB NOT NULL REFERENCES accounts (signing_key),
        key_id      INTEGER NOT NULL,
        public_key  BLOB NOT NULL,
        PRIMARY KEY (signing_key, key_id)
      ) WITHOUT ROWID;

      CREATE TABLE mailboxes (
        mailbox_id BLOB PRIMARY KEY,
        owner      BLOB NOT NULL REFERENCES accounts (signing_key),
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX mailboxes_owner ON mailboxes (owner);

      CREATE TABLE capabilities (
        capability_hash BLOB PRIMARY KEY,
        mailbox_id      BLOB NOT NULL REFERENCES mailboxes (mailbox_id),
        created_at      INTEGER NOT NULL,
        revoked_at      INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX capabilities_mailbox ON capabilities (mailbox_id);

      -- AUTOINCREMENT: a seq is never reused, even after the newest message is deleted, so a
      -- client paging with "after" can never miss a message.
      CREATE TABLE messages (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        mailbox_id  BLOB NOT NULL REFERENCES mailboxes (mailbox_id),
        message_id  BLOB NOT NULL,
        size        INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        envelope    BLOB NOT NULL,
        UNIQUE (mailbox_id, message_id)
      );
      -- Fetch pages by (mailbox, seq); the trailing columns make the quota count covering.
      CREATE INDEX messages_mailbox_seq ON messages (mailbox_id, seq, expires_at, size);
      CREATE INDEX messages_expiry ON messages (expires_at);

      CREATE TABLE blobs (
        blob_id    BLOB PRIMARY KEY,
        owner      BLOB NOT NULL REFERENCES accounts (signing_key),
        size       INTEGER NOT NULL DEFAULT 0,
        complete   INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX blobs_expiry ON blobs (expires_at);
      CREATE INDEX blobs_incomplete ON blobs (created_at) WHERE complete = 0;
      CREATE INDEX blobs_owner ON blobs (owner);
    `,
  },
  {
    version: 2,
    sql: `
      -- One-time prekeys handed to one requester from one target in the current window
      -- (Store.takeBundle with a limit): one row per pair, deleted by the sweep once it ends.
      CREATE TABLE prekey_grants (
        requester  BLOB NOT NULL,
        target     BLOB NOT NULL,
        granted    INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (requester, target)
      ) WITHOUT ROWID;
      CREATE INDEX prekey_grants_expiry ON prekey_grants (expires_at);
    `,
  },
  {
    version: 3,
    sql: `
      -- Tombstones of acknowledged messages (issue 9 item 2; Store.ackMessages): a captured send
      -- replayed after the ack is answered as a duplicate until the original's expiry, then swept.
      -- tag = SHA-256(label || mailbox id || message id), envelope_hash = labelled SHA-256 of the
      -- envelope (tells a resend from a conflict): neither id nor any envelope byte is kept.
      CREATE TABLE acked_messages (
        tag           BLOB PRIMARY KEY,
        seq           INTEGER NOT NULL,
        envelope_hash BLOB NOT NULL,
        expires_at    INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX acked_messages_expiry ON acked_messages (expires_at);
    `,
  },
  {
    version: 4,
    sql: `
      -- Issue 9 item 8: no social graph at rest. A limit row is keyed by an HMAC of (requester,
      -- target) under a random secret per window epoch (relay/storage/_tags.ts), swept two windows
      -- on. The old rows named both accounts: dropped, not converted (the worst this does is let
      -- a requester have up to the cap once more, on the day of the upgrade).
      DROP TABLE prekey_grants;
      CREATE TABLE prekey_grants (
        pair       BLOB PRIMARY KEY,
        granted    INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX prekey_grants_expiry ON prekey_grants (expires_at);
      CREATE TABLE prekey_grant_keys (
        window_ms  INTEGER NOT NULL,
        epoch      INTEGER NOT NULL,
        secret     BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (window_ms, epoch)
      ) WITHOUT ROWID;
      CREATE INDEX prekey_grant_keys_expiry ON prekey_grant_keys (expires_at);

      -- Blob rows keep SHA-256(label || blob id || uploader) instead of the uploader's key: the
      -- delete check needs no more, and the rows no longer group by account. Converted in place.
      CREATE TABLE blobs_v4 (
        blob_id    BLOB PRIMARY KEY,
        owner_tag  BLOB NOT NULL,
        size       INTEGER NOT NULL DEFAULT 0,
        complete   INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO blobs_v4 (blob_id, owner_tag, size, complete, created_at, expires_at)
        SELECT blob_id, confidant_blob_owner_tag(blob_id, owner), size, complete, created_at, expires_at FROM blobs;
      DROP TABLE blobs;
      ALTER TABLE blobs_v4 RENAME TO blobs;
      CREATE INDEX blobs_expiry ON blobs (expires_at);
      CREATE INDEX blobs_incomplete ON blobs (created_at) WHERE complete = 0;
    `,
  },
  {
    version: 5,
    sql: `
      -- Issue 9 item 8, finished: a blob row kept SHA-256(label || blob id || uploader), which the
      -- relay could reverse by trying every account key. Now it keeps only the SHA-256 of a
      -- random delete token handed to the uploader once (routes/blobs.ts), and nothing that
      -- leads to an account. Rows from before have no token (NULL): they can no longer be
      -- deleted early, only expire. DROP COLUMN rewrites every row (secure_delete zeroes the old
      -- bytes) and migrate() checkpoints the WAL after, so the old tags are left in no file.
      ALTER TABLE blobs DROP COLUMN owner_tag;
      ALTER TABLE blobs ADD COLUMN delete_token_hash BLOB;
    `,
  },
  {
    version: 6,
    sql: `
      -- Short invites (issue 11; docs/PROTOCOL.md §14): an invite's body, encrypted on the
      -- therapist's device, kept in the invite's own row under a random 16-byte id, so that
      -- revoking, using (registerClient clears it) and sweeping the invite take the body along.
      -- Rows from before have neither (their invite travelled whole in the link).
      ALTER TABLE invites ADD COLUMN body_id BLOB;
      ALTER TABLE invites ADD COLUMN body BLOB;
      CREATE UNIQUE INDEX invites_body_id ON invites (body_id) WHERE body_id IS NOT NULL;
    `,
  },
  {
    version: 7,
    sql: `
      -- Issue 11, "Notifications without content" (relay/push/): one row per device that asked
      -- for content-free pushes. The endpoint is the push service's URL for that device; p256dh
      -- and auth are the keys a push is encrypted to (RFC 8291). last_pushed_at is the per-device
      -- throttle (Store.claimPushTargets). Deleting the account deletes its rows.
      CREATE TABLE push_subscriptions (
        endpoint       TEXT PRIMARY KEY,
        account        BLOB NOT NULL REFERENCES accounts (signing_key) ON DELETE CASCADE,
        p256dh         BLOB NOT NULL,
        auth           BLOB NOT NULL,
        created_at     INTEGER NOT NULL,
        last_pushed_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX push_subscriptions_account ON push_subscriptions (account, created_at);
    `,
  },
];

/**
 * Apply the migrations newer than the file's `user_version`, each with its version bump in one
 * transaction. Returns the versions applied (empty when the schema is current). A file from a
 * newer release is refused rather than run by code that does not know its schema.
 */
export function applyMigrations(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`sqlite: migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`sqlite: the database has schema version ${current}, this relay knows up to ${migrations.length}`);
  }
  // SQL functions the migrations call (SQLite has no SHA-256 of its own); per connection.
  db.function('confidant_blob_owner_tag', { deterministic: true }, (blobId: unknown, owner: unknown) =>
    Buffer.from(blobOwnerTag(blobId as Uint8Array, owner as Uint8Array)),
  );
  const applied: number[] = [];
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
