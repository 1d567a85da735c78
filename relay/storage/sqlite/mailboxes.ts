/**
 * SQLite: mailboxes and delivery capabilities (`MailboxStore`, ../types.ts). Capabilities are
 * stored as hashes only; `INSERT OR IGNORE` keeps a revoked one revoked when it is added again.
 * @module
 */
import { checkBytes, checkTime, rowBytes } from '../_checks.ts';
import type { MailboxStore } from '../types.ts';
import type { SqliteContext, SqliteDatabase } from './database.ts';

const prepare = (db: SqliteDatabase) => ({
  createMailbox: db.prepare('INSERT OR IGNORE INTO mailboxes (mailbox_id, owner, created_at) VALUES (?, ?, ?)'),
  mailboxOwner: db.prepare('SELECT owner FROM mailboxes WHERE mailbox_id = ?').pluck(),
  addCapability: db.prepare('INSERT OR IGNORE INTO capabilities (capability_hash, mailbox_id, created_at) VALUES (?, ?, ?)'),
  revokeCapability: db.prepare(
    'UPDATE capabilities SET revoked_at = ? WHERE capability_hash = ? AND mailbox_id = ? AND revoked_at IS NULL',
  ),
  checkCapability: db
    .prepare('SELECT 1 FROM capabilities WHERE capability_hash = ? AND mailbox_id = ? AND revoked_at IS NULL')
    .pluck(),
});

export function sqliteMailboxes(ctx: SqliteContext): MailboxStore {
  const stmts = ctx.statements(prepare);
  return {
    async createMailbox(mailboxId, owner, now) {
      const r = stmts().createMailbox.run(checkBytes(mailboxId, 'mailboxId'), checkBytes(owner, 'owner'), checkTime(now, 'now'));
      return r.changes === 1 ? 'created' : 'exists';
    },

    async mailboxOwner(mailboxId) {
      const owner = stmts().mailboxOwner.get(checkBytes(mailboxId, 'mailboxId')) as Buffer | undefined;
      return owner && rowBytes(owner);
    },

    async addCapability(capabilityHash, mailboxId, now) {
      stmts().addCapability.run(checkBytes(capabilityHash, 'capabilityHash'), checkBytes(mailboxId, 'mailboxId'), checkTime(now, 'now'));
    },

    async revokeCapability(capabilityHash, mailboxId, now) {
      const at = checkTime(now, 'now');
      const r = stmts().revokeCapability.run(at, checkBytes(capabilityHash, 'capabilityHash'), checkBytes(mailboxId, 'mailboxId'));
      return r.changes === 1;
    },

    async checkCapability(capabilityHash, mailboxId) {
      const found = stmts().checkCapability.get(checkBytes(capabilityHash, 'capabilityHash'), checkBytes(mailboxId, 'mailboxId'));
      return found !== undefined;
    },
  };
}
