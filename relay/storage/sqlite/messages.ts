/**
 * SQLite: sealed envelopes, their acknowledgement tombstones and the mailbox quota
 * (`MessageStore`, ../types.ts). Each send and each ack is one BEGIN IMMEDIATE transaction; an
 * ack that deleted something checkpoints the WAL at once (database.ts), so acknowledged
 * ciphertext leaves every file.
 *
 * The quota is decided on a per-mailbox usage bound when it can be (below), else on a scan.
 * @module
 */
import { checkBytes, checkMessage, checkPage, toMessage, type MessageDbRow } from '../_checks.ts';
import { ackedEnvelopeHash, ackedMessageTag } from '../_tags.ts';
import type { MessageStore, PutMessageResult } from '../types.ts';
import { checkpoint, type SqliteContext, type SqliteDatabase } from './database.ts';

/** Most mailboxes whose usage bound is remembered at once (see `usage` below). */
const USAGE_BOUNDS = 10_000;

/** A mailbox's usage: messages and envelope bytes. */
interface Usage {
  n: number;
  bytes: number;
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

const prepare = (db: SqliteDatabase) => ({
  findMessage: db.prepare('SELECT seq, envelope FROM messages WHERE mailbox_id = ? AND message_id = ?'),
  findTombstone: db.prepare('SELECT seq, envelope_hash FROM acked_messages WHERE tag = ?'),
  addTombstone: db.prepare('INSERT OR IGNORE INTO acked_messages (tag, seq, envelope_hash, expires_at) VALUES (?, ?, ?, ?)'),
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
  ackMessage: db.prepare('DELETE FROM messages WHERE mailbox_id = ? AND message_id = ? RETURNING seq, envelope, expires_at'),
});

export function sqliteMessages(ctx: SqliteContext): MessageStore {
  const stmts = ctx.statements(prepare);
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
  const usage = new Map<string, Usage>();
  let dataVersion: unknown;

  return {
    async putMessage(message, quota) {
      const s = stmts();
      const { mailboxId, messageId, envelope, receivedAt, expiresAt, maxMessages, maxBytes } = checkMessage(message, quota);
      const key = Buffer.from(mailboxId.buffer, mailboxId.byteOffset, mailboxId.byteLength).toString('latin1');
      let bound: Usage | undefined;
      const result = ctx.tx((): PutMessageResult => {
        const prior = s.findMessage.get(mailboxId, messageId) as { seq: number; envelope: Buffer } | undefined;
        if (prior !== undefined) {
          return equal(prior.envelope, envelope) ? { status: 'duplicate', seq: prior.seq } : { status: 'conflict' };
        }
        const acked = s.findTombstone.get(ackedMessageTag(mailboxId, messageId)) as { seq: number; envelope_hash: Buffer } | undefined;
        if (acked !== undefined) {
          return equal(acked.envelope_hash, ackedEnvelopeHash(envelope)) ? { status: 'duplicate', seq: acked.seq } : { status: 'conflict' };
        }
        const version = s.dataVersion.get();
        if (version !== dataVersion) {
          usage.clear();
          dataVersion = version;
        }
        bound = usage.get(key);
        if (bound === undefined || bound.n + 1 > maxMessages || bound.bytes + envelope.length > maxBytes) {
          const exact = s.mailboxUsage.get(receivedAt, receivedAt, mailboxId) as Usage & { allN: number; allBytes: number };
          bound = { n: exact.allN, bytes: exact.allBytes };
          if (exact.n + 1 > maxMessages || exact.bytes + envelope.length > maxBytes) return { status: 'quota' };
        }
        const r = s.insertMessage.run(mailboxId, messageId, envelope.length, receivedAt, expiresAt, envelope);
        return { status: 'stored', seq: Number(r.lastInsertRowid) };
      });
      // Committed: raise the bound (or remember it, keeping the map bounded).
      if (result.status === 'stored' && bound !== undefined) {
        if (!usage.has(key) && usage.size >= USAGE_BOUNDS) usage.clear();
        usage.set(key, { n: bound.n + 1, bytes: bound.bytes + envelope.length });
      }
      return result;
    },

    async listMessages(mailboxId, options) {
      const id = checkBytes(mailboxId, 'mailboxId');
      const { after, now, limit } = checkPage(options);
      return (stmts().listMessages.all(id, after, now, limit) as MessageDbRow[]).map(toMessage);
    },

    async ackMessages(mailboxId, messageIds) {
      const s = stmts();
      checkBytes(mailboxId, 'mailboxId');
      messageIds.forEach((id, i) => checkBytes(id, `messageIds[${i}]`));
      const deleted = ctx.tx(() => {
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
      if (deleted > 0) checkpoint(ctx.db);
      return deleted;
    },
  };
}
