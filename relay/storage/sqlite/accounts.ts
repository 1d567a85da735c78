/**
 * SQLite: registration codes, invites, accounts and request nonces (`AccountStore`, ../types.ts).
 * A registration checks for the account, consumes the code or invite and inserts the account in
 * one BEGIN IMMEDIATE transaction.
 * @module
 */
import { accountValues, checkBytes, checkTime, toAccount, type AccountDbRow } from '../_checks.ts';
import type { Account, AccountKind, AccountStore } from '../types.ts';
import type { SqliteContext, SqliteDatabase } from './database.ts';

const prepare = (db: SqliteDatabase) => ({
  addCode: db.prepare('INSERT INTO registration_codes (code_hash, created_at, expires_at) VALUES (?, ?, ?)'),
  useCode: db.prepare('UPDATE registration_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?'),
  addInvite: db.prepare(
    `INSERT INTO invites (invite_hash, therapist_key, created_at, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (invite_hash) DO NOTHING`,
  ),
  // Using an invite clears its short-invite body at once (InviteBodyStore): nobody fetches it again.
  useInvite: db.prepare('UPDATE invites SET used_at = ?, body_id = NULL, body = NULL WHERE invite_hash = ? AND used_at IS NULL AND expires_at > ?'),
  inviteExpiry: db.prepare('SELECT expires_at FROM invites WHERE invite_hash = ? AND used_at IS NULL AND expires_at > ?').pluck(),
  accountExists: db.prepare('SELECT 1 FROM accounts WHERE signing_key = ?').pluck(),
  insertAccount: db.prepare('INSERT INTO accounts (signing_key, agreement_key, identity, kind, created_at) VALUES (?, ?, ?, ?, ?)'),
  getAccount: db.prepare('SELECT * FROM accounts WHERE signing_key = ?'),
  rememberNonce: db.prepare('INSERT OR IGNORE INTO nonces (signing_key, nonce, expires_at) VALUES (?, ?, ?)'),
  hasNonce: db.prepare('SELECT 1 FROM nonces WHERE signing_key = ? AND nonce = ?').pluck(),
});

export function sqliteAccounts(ctx: SqliteContext): AccountStore {
  const stmts = ctx.statements(prepare);

  /** Inserts the account unless it exists, after `consume` (marks the code or invite used) succeeded. */
  const register = (account: Account, kind: AccountKind, consume: () => boolean): 'created' | 'exists' | 'invalid' => {
    const s = stmts();
    const row = accountValues(account, kind);
    return ctx.tx(() => {
      if (s.accountExists.get(row[0]) !== undefined) return 'exists';
      if (!consume()) return 'invalid';
      s.insertAccount.run(...row);
      return 'created';
    });
  };

  return {
    async addRegistrationCode(codeHash, createdAt, expiresAt) {
      stmts().addCode.run(checkBytes(codeHash, 'codeHash'), checkTime(createdAt, 'createdAt'), checkTime(expiresAt, 'expiresAt'));
    },

    async registerTherapist(account, codeHash, now) {
      const s = stmts();
      checkBytes(codeHash, 'codeHash');
      checkTime(now, 'now');
      const r = register(account, 'therapist', () => s.useCode.run(now, codeHash, now).changes === 1);
      return r === 'invalid' ? 'code_invalid' : r;
    },

    async addInvite(inviteHash, therapistKey, createdAt, expiresAt) {
      // ON CONFLICT covers the key only: a therapist key without an account still throws (FOREIGN KEY).
      const r = stmts().addInvite.run(
        checkBytes(inviteHash, 'inviteHash'),
        checkBytes(therapistKey, 'therapistKey'),
        checkTime(createdAt, 'createdAt'),
        checkTime(expiresAt, 'expiresAt'),
      );
      return r.changes === 1 ? 'created' : 'exists';
    },

    async inviteExpiry(inviteHash, now) {
      const r = stmts().inviteExpiry.get(checkBytes(inviteHash, 'inviteHash'), checkTime(now, 'now')) as number | bigint | undefined;
      return r === undefined ? undefined : Number(r);
    },

    async registerClient(account, inviteHash, now) {
      const s = stmts();
      checkBytes(inviteHash, 'inviteHash');
      checkTime(now, 'now');
      const r = register(account, 'client', () => s.useInvite.run(now, inviteHash, now).changes === 1);
      return r === 'invalid' ? 'invite_invalid' : r;
    },

    async getAccount(signingKey) {
      const row = stmts().getAccount.get(checkBytes(signingKey, 'signingKey')) as AccountDbRow | undefined;
      return row && toAccount(row);
    },

    async rememberNonce(signingKey, nonce, expiresAt) {
      const r = stmts().rememberNonce.run(checkBytes(signingKey, 'signingKey'), checkBytes(nonce, 'nonce'), checkTime(expiresAt, 'expiresAt'));
      return r.changes === 1;
    },

    async hasNonce(signingKey, nonce) {
      return stmts().hasNonce.get(checkBytes(signingKey, 'signingKey'), checkBytes(nonce, 'nonce')) !== undefined;
    },
  };
}
