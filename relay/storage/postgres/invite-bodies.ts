/**
 * PostgreSQL: short invites' encrypted bodies (`InviteBodyStore`, ../types.ts), in the invite's
 * own row (migration 7). Each method is one statement, so each is atomic.
 * @module
 */
import { checkTime, rowBytes, rowInt } from '../_checks.ts';
import type { InviteBodyStore } from '../types.ts';
import { param, type PostgresContext } from './database.ts';

export function postgresInviteBodies({ pool }: PostgresContext): InviteBodyStore {
  return {
    async addInviteWithBody(invite, therapistKey, createdAt, expiresAt) {
      // No conflict target: a taken hash and a taken body id are both `exists`. A therapist key
      // without an account still fails (foreign key).
      const r = await pool.query(
        `INSERT INTO invites (invite_hash, therapist_key, body_id, body, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING`,
        [
          param(invite.inviteHash, 'invite.inviteHash'),
          param(therapistKey, 'therapistKey'),
          param(invite.bodyId, 'invite.bodyId'),
          param(invite.body, 'invite.body'),
          checkTime(createdAt, 'createdAt'),
          checkTime(expiresAt, 'expiresAt'),
        ],
      );
      return r.rowCount === 1 ? 'created' : 'exists';
    },

    async inviteBody(bodyId, now) {
      const r = await pool.query<{ body: Buffer; expires_at: string }>(
        'SELECT body, expires_at FROM invites WHERE body_id = $1 AND used_at IS NULL AND expires_at > $2',
        [param(bodyId, 'bodyId'), checkTime(now, 'now')],
      );
      const row = r.rows[0];
      return row && { body: rowBytes(row.body), expiresAt: rowInt(row.expires_at) };
    },

    async revokeInvite(inviteHash, therapistKey) {
      const r = await pool.query('DELETE FROM invites WHERE invite_hash = $1 AND therapist_key = $2 AND used_at IS NULL', [
        param(inviteHash, 'inviteHash'),
        param(therapistKey, 'therapistKey'),
      ]);
      return r.rowCount === 1;
    },
  };
}
