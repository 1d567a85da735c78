/**
 * PostgreSQL: sealed envelopes, their acknowledgement tombstones and the mailbox quota
 * (`MessageStore`, ../types.ts). `putMessage` takes a per-mailbox advisory transaction lock,
 * which serializes sends to one mailbox, so the duplicate check, the quota check and the insert
 * see a stable mailbox; it also makes `seq` (an identity column) commit in order within a
 * mailbox: the next send takes the lock only after the previous commit is visible, so a reader
 * paging with `seq > after` never skips one.
 * @module
 */
import { checkMessage, checkPage, rowInt, toMessage, type MessageDbRow } from '../_checks.ts';
import { LABEL_ENVELOPE, ackedMessageTag } from '../_tags.ts';
import type { MessageStore, PutMessageResult } from '../types.ts';
import { LOCK_MAILBOX, lockKey, param, transaction, type PostgresContext } from './database.ts';

/** The label of a tombstone's envelope hash, as bytes for SQL: sha256(label || envelope) = _tags.ts ackedEnvelopeHash. */
const ENVELOPE_LABEL = Buffer.from(LABEL_ENVELOPE);

export function postgresMessages({ pool }: PostgresContext): MessageStore {
  return {
    async putMessage(message, quota) {
      const checked = checkMessage(message, quota);
      const { receivedAt, expiresAt, maxMessages, maxBytes } = checked;
      const mailbox = param(checked.mailboxId, 'message.mailboxId');
      const messageId = param(checked.messageId, 'message.messageId');
      const envelope = param(checked.envelope, 'message.envelope');
      // Three round trips, all while the mailbox lock is held: BEGIN with the lock (one simple
      // query; both keys are int4 computed here, never client text), the statement below, COMMIT.
      // Sends to one mailbox queue on the lock, so each round trip saved there is throughput.
      const lock = lockKey(mailbox);
      if (!Number.isSafeInteger(lock) || !Number.isSafeInteger(LOCK_MAILBOX)) throw new Error('putMessage: lock keys must be integers');
      return transaction(
        pool,
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
          if (row.prior !== null) return row.same ? { status: 'duplicate', seq: rowInt(row.prior) } : { status: 'conflict' };
          return row.seq !== null ? { status: 'stored', seq: rowInt(row.seq) } : { status: 'quota' };
        },
        `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_MAILBOX}, ${lock})`,
      );
    },

    async listMessages(mailboxId, options) {
      const id = param(mailboxId, 'mailboxId');
      const { after, now, limit } = checkPage(options);
      const { rows } = await pool.query<MessageDbRow>(
        `SELECT seq, mailbox_id, message_id, envelope, received_at, expires_at FROM messages
          WHERE mailbox_id = $1 AND seq > $2 AND expires_at > $3
          ORDER BY seq LIMIT $4`,
        [id, after, now, limit],
      );
      return rows.map(toMessage);
    },

    async ackMessages(mailboxId, messageIds) {
      const mailbox = param(mailboxId, 'mailboxId');
      const ids = messageIds.map((id, i) => param(id, `messageIds[${i}]`));
      if (ids.length === 0) return 0;
      // One statement: the deleted rows become tombstones (Store.ackMessages) in the same commit.
      // The tags are computed here with the ids they belong to; the envelope hash in the database.
      const tags = ids.map((id) => Buffer.from(ackedMessageTag(mailbox, id)));
      const { rows } = await pool.query<{ n: string }>(
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
      return rowInt(rows[0]?.n ?? 0);
    }
  };
}
