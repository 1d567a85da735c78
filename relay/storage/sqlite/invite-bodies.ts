/**
 * SQLite: short invites' encrypted bodies (`InviteBodyStore`, ../types.ts), in the invite's own
 * row (migration 6). Each method is one statement, so each is atomic.
 * @module
 */
import { checkBytes, checkTime, rowBytes, rowInt } from '../_checks.ts';
import type { InviteBodyStore } from '../types.ts';
import type { SqliteContext, SqliteDatabase } from './database.ts';

const prepare = (db: SqliteDatabase) => ({
  // No conflict target: a taken hash and a taken body id are both `exists`. A therapist key
  // without an account still throws (FOREIGN KEY).
  add: db.prepare(
    `INSERT INTO invites (invite_hash, therapist_key, body_id, body, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  ),
  body: db.prepare('SELECT body, expires_at FROM invites WHERE body_id = ? AND used_at IS NULL AND expires_at > ?'),
  revoke: db.prepare('DELETE FROM invites WHERE invite_hash = ? AND therapist_key = ? AND used_at IS NULL'),
});

export function sqliteInviteBodies(ctx: SqliteContext): InviteBodyStore {
  const stmts = ctx.statements(prepare);
  return {
    async addInviteWithBody(invite, therapistKey, createdAt, expiresAt) {
      const r = stmts().add.run(
        checkBytes(invite.inviteHash, 'invite.inviteHash'),
        checkBytes(therapistKey, 'therapistKey'),
        checkBytes(invite.bodyId, 'invite.bodyId'),
        checkBytes(invite.body, 'invite.body'),
        checkTime(createdAt, 'createdAt'),
        checkTime(expiresAt, 'expiresAt'),
      );
      return r.changes === 1 ? 'created' : 'exists';
    },

    async inviteBody(bodyId, now) {
      const row = stmts().body.get(checkBytes(bodyId, 'bodyId'), checkTime(now, 'now')) as { body: Uint8Array; expires_at: number | bigint } | undefined;
      return row && { body: rowBytes(row.body), expiresAt: rowInt(row.expires_at) };
    },

    async revokeInvite(inviteHash, therapistKey) {
      return stmts().revoke.run(checkBytes(inviteHash, 'inviteHash'), checkBytes(therapistKey, 'therapistKey')).changes === 1;
    },
  };
}
