/**
 * PostgreSQL: registration codes, invites, accounts and request nonces (`AccountStore`,
 * ../types.ts). Registration inserts the account first (`ON CONFLICT DO NOTHING`: `exists`),
 * then consumes the code or invite with one conditional UPDATE, whose row lock makes a
 * concurrent use of the same one wait and then fail; an unusable one rolls the account back.
 * @module
 */
import type { PoolClient } from 'pg';
import { accountValues, checkTime, rowInt, toAccount, type AccountDbRow } from '../_checks.ts';
import type { Account, AccountKind, AccountStore } from '../types.ts';
import { Rollback, param, transaction, type PostgresContext } from './database.ts';

export function postgresAccounts({ pool }: PostgresContext): AccountStore {
  /**
   * Inserts the account, then runs `consume` (an UPDATE that marks the code or invite used).
   * `exists` changes nothing; when `consume` updates no row the insert is rolled back.
   */
  const register = (
    account: Account,
    kind: AccountKind,
    consume: (client: PoolClient) => Promise<{ rowCount: number | null }>,
  ): Promise<'created' | 'exists' | 'invalid'> => {
    const values = accountValues(account, kind).map((v, i) => (i < 3 ? param(v, 'account') : v));
    return transaction(pool, async (client) => {
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
  };

  return {
    async addRegistrationCode(codeHash, createdAt, expiresAt) {
      await pool.query('INSERT INTO registration_codes (code_hash, created_at, expires_at) VALUES ($1, $2, $3)', [
        param(codeHash, 'codeHash'),
        checkTime(createdAt, 'createdAt'),
        checkTime(expiresAt, 'expiresAt'),
      ]);
    },

    async registerTherapist(account, codeHash, now) {
      const code = param(codeHash, 'codeHash');
      checkTime(now, 'now');
      const result = await register(account, 'therapist', (client) =>
        client.query('UPDATE registration_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2', [
          code,
          now,
        ]),
      );
      return result === 'invalid' ? 'code_invalid' : result;
    },

    async addInvite(inviteHash, therapistKey, createdAt, expiresAt) {
      // ON CONFLICT names the key: a therapist key without an account still fails (foreign key).
      const inserted = await pool.query(
        `INSERT INTO invites (invite_hash, therapist_key, created_at, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (invite_hash) DO NOTHING`,
        [param(inviteHash, 'inviteHash'), param(therapistKey, 'therapistKey'), checkTime(createdAt, 'createdAt'), checkTime(expiresAt, 'expiresAt')],
      );
      return inserted.rowCount === 1 ? 'created' : 'exists';
    },

    async inviteExpiry(inviteHash, now) {
      const r = await pool.query<{ expires_at: string }>(
        'SELECT expires_at FROM invites WHERE invite_hash = $1 AND used_at IS NULL AND expires_at > $2',
        [param(inviteHash, 'inviteHash'), checkTime(now, 'now')],
      );
      const row = r.rows[0];
      return row === undefined ? undefined : rowInt(row.expires_at);
    },

    async registerClient(account, inviteHash, now) {
      const invite = param(inviteHash, 'inviteHash');
      checkTime(now, 'now');
      const result = await register(account, 'client', (client) =>
        // Using an invite clears its short-invite body at once (InviteBodyStore): nobody fetches it again.
        client.query(
          'UPDATE invites SET used_at = $2, body_id = NULL, body = NULL WHERE invite_hash = $1 AND used_at IS NULL AND expires_at > $2',
          [invite, now],
        ),
      );
      return result === 'invalid' ? 'invite_invalid' : result;
    },

    async getAccount(signingKey) {
      const { rows } = await pool.query<AccountDbRow>('SELECT * FROM accounts WHERE signing_key = $1', [param(signingKey, 'signingKey')]);
      return rows[0] ? toAccount(rows[0]) : undefined;
    },

    async rememberNonce(signingKey, nonce, expiresAt) {
      const inserted = await pool.query('INSERT INTO nonces (signing_key, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        param(signingKey, 'signingKey'),
        param(nonce, 'nonce'),
        checkTime(expiresAt, 'expiresAt'),
      ]);
      return inserted.rowCount === 1;
    },

    async hasNonce(signingKey, nonce) {
      const { rowCount } = await pool.query('SELECT 1 FROM nonces WHERE signing_key = $1 AND nonce = $2', [
        param(signingKey, 'signingKey'),
        param(nonce, 'nonce'),
      ]);
      return rowCount === 1;
    },
  };
}
