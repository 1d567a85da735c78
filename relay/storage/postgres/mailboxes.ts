/**
 * PostgreSQL: mailboxes and delivery capabilities (`MailboxStore`, ../types.ts). Capabilities
 * are stored as hashes only; `ON CONFLICT DO NOTHING` keeps a revoked one revoked when it is
 * added again.
 * @module
 */
import { checkTime, rowBytes } from '../_checks.ts';
import type { MailboxStore } from '../types.ts';
import { param, type PostgresContext } from './database.ts';

export function postgresMailboxes({ pool }: PostgresContext): MailboxStore {
  return {
    async createMailbox(mailboxId, owner, now) {
      const inserted = await pool.query('INSERT INTO mailboxes (mailbox_id, owner, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        param(mailboxId, 'mailboxId'),
        param(owner, 'owner'),
        checkTime(now, 'now'),
      ]);
      return inserted.rowCount === 1 ? 'created' : 'exists';
    },

    async mailboxOwner(mailboxId) {
      const { rows } = await pool.query<{ owner: Buffer }>('SELECT owner FROM mailboxes WHERE mailbox_id = $1', [param(mailboxId, 'mailboxId')]);
      return rows[0] ? rowBytes(rows[0].owner) : undefined;
    },

    async addCapability(capabilityHash, mailboxId, now) {
      await pool.query('INSERT INTO capabilities (capability_hash, mailbox_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        param(capabilityHash, 'capabilityHash'),
        param(mailboxId, 'mailboxId'),
        checkTime(now, 'now'),
      ]);
    },

    async revokeCapability(capabilityHash, mailboxId, now) {
      const updated = await pool.query(
        'UPDATE capabilities SET revoked_at = $3 WHERE capability_hash = $1 AND mailbox_id = $2 AND revoked_at IS NULL',
        [param(capabilityHash, 'capabilityHash'), param(mailboxId, 'mailboxId'), checkTime(now, 'now')],
      );
      return updated.rowCount === 1;
    },

    async checkCapability(capabilityHash, mailboxId) {
      const { rowCount } = await pool.query(
        'SELECT 1 FROM capabilities WHERE capability_hash = $1 AND mailbox_id = $2 AND revoked_at IS NULL',
        [param(capabilityHash, 'capabilityHash'), param(mailboxId, 'mailboxId')],
      );
      return rowCount === 1;
    },
  };
}
