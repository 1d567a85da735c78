/**
 * SQLite: signed, KEM and one-time prekeys, bundles and the per-requester limit on one-time
 * prekeys (`PreKeyStore`, ../types.ts). `takeBundle` reads the bundle, takes the first one-time
 * prekey and counts the requester's window in one BEGIN IMMEDIATE transaction, so two calls
 * never get the same key nor pass the cap together.
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  checkBytes,
  checkLimit,
  checkOneTimePreKeys,
  checkSignedPreKey,
  checkTime,
  rowBytes,
  toOneTime,
  toSigned,
  type PreKeyDbRow,
} from '../_checks.ts';
import { GRANT_SECRET_LEN, grantEpoch, grantPairTag, grantSecretExpiry } from '../_tags.ts';
import type { OneTimePreKeyLimit, PreKeyStore, SignedPreKeyRow } from '../types.ts';
import type { SqliteContext, SqliteDatabase } from './database.ts';

const upsert = (table: 'signed_prekeys' | 'kem_prekeys') =>
  `INSERT INTO ${table} (signing_key, key_id, public_key, signature, updated_at) VALUES (?, ?, ?, ?, ?)
   ON CONFLICT (signing_key) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
     signature = excluded.signature, updated_at = excluded.updated_at`;

const prepare = (db: SqliteDatabase) => ({
  setSigned: db.prepare(upsert('signed_prekeys')),
  setKem: db.prepare(upsert('kem_prekeys')),
  getSigned: db.prepare('SELECT key_id, public_key, signature FROM signed_prekeys WHERE signing_key = ?'),
  getKem: db.prepare('SELECT key_id, public_key, signature FROM kem_prekeys WHERE signing_key = ?'),
  addOneTime: db.prepare('INSERT OR IGNORE INTO one_time_prekeys (signing_key, key_id, public_key) VALUES (?, ?, ?)'),
  countOneTime: db.prepare('SELECT count(*) FROM one_time_prekeys WHERE signing_key = ?').pluck(),
  firstOneTime: db.prepare('SELECT key_id, public_key FROM one_time_prekeys WHERE signing_key = ? ORDER BY key_id LIMIT 1'),
  clearOneTime: db.prepare('DELETE FROM one_time_prekeys WHERE signing_key = ?'),
  deleteOneTime: db.prepare('DELETE FROM one_time_prekeys WHERE signing_key = ? AND key_id = ?'),
  // The open window of a pair, under this epoch's tag or the previous one's (see _tags.ts).
  getGrant: db.prepare(
    'SELECT pair, granted, expires_at FROM prekey_grants WHERE pair IN (?, ?) AND expires_at > ? ORDER BY expires_at DESC LIMIT 1',
  ),
  setGrant: db.prepare(
    `INSERT INTO prekey_grants (pair, granted, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (pair) DO UPDATE SET granted = excluded.granted, expires_at = excluded.expires_at`,
  ),
  getGrantKey: db.prepare('SELECT secret FROM prekey_grant_keys WHERE window_ms = ? AND epoch = ?').pluck(),
  addGrantKey: db.prepare('INSERT OR IGNORE INTO prekey_grant_keys (window_ms, epoch, secret, expires_at) VALUES (?, ?, ?, ?)'),
  getIdentity: db.prepare('SELECT identity FROM accounts WHERE signing_key = ?').pluck(),
});
type Statements = ReturnType<typeof prepare>;

export function sqlitePreKeys(ctx: SqliteContext): PreKeyStore {
  const stmts = ctx.statements(prepare);

  /** Signed and KEM prekeys share one row shape; only the table differs. */
  const setPreKey = (which: 'setSigned' | 'setKem', signingKey: Uint8Array, row: SignedPreKeyRow, now: number): void => {
    const stmt = stmts()[which];
    const key = checkBytes(signingKey, 'signingKey');
    const checked = checkSignedPreKey(row);
    stmt.run(key, checked.id, checked.publicKey, checked.signature, checkTime(now, 'now'));
  };

  /** The pair's window open at `limit.now`, found under this epoch's secret or the previous one's. */
  const openGrant = (s: Statements, limit: OneTimePreKeyLimit, target: Uint8Array) => {
    const epoch = grantEpoch(limit.now, limit.windowMs);
    const tags = [epoch, epoch - 1].map((e) => {
      const secret = s.getGrantKey.get(limit.windowMs, e) as Buffer | undefined;
      return secret && Buffer.from(grantPairTag(secret, limit.requester, target));
    });
    if (tags[0] === undefined && tags[1] === undefined) return undefined;
    const row = s.getGrant.get(tags[0] ?? tags[1], tags[1] ?? tags[0], limit.now) as
      | { pair: Buffer; granted: number; expires_at: number }
      | undefined;
    return row && { pair: row.pair, granted: row.granted, expiresAt: row.expires_at };
  };

  /** The key of a new window of the pair, under this epoch's secret (made on first use). */
  const newGrantPair = (s: Statements, limit: OneTimePreKeyLimit, target: Uint8Array): Buffer => {
    const epoch = grantEpoch(limit.now, limit.windowMs);
    let secret = s.getGrantKey.get(limit.windowMs, epoch) as Buffer | undefined;
    if (secret === undefined) {
      secret = randomBytes(GRANT_SECRET_LEN);
      s.addGrantKey.run(limit.windowMs, epoch, secret, grantSecretExpiry(epoch, limit.windowMs));
    }
    return Buffer.from(grantPairTag(secret, limit.requester, target));
  };

  return {
    async setSignedPreKey(signingKey, row, now) {
      setPreKey('setSigned', signingKey, row, now);
    },

    async setKemPreKey(signingKey, row, now) {
      setPreKey('setKem', signingKey, row, now);
    },

    async addOneTimePreKeys(signingKey, rows) {
      const s = stmts();
      checkBytes(signingKey, 'signingKey');
      checkOneTimePreKeys(rows);
      return ctx.tx(() => {
        for (const r of rows) s.addOneTime.run(signingKey, r.id, r.publicKey);
        return s.countOneTime.get(signingKey) as number;
      });
    },

    async countOneTimePreKeys(signingKey) {
      return stmts().countOneTime.get(checkBytes(signingKey, 'signingKey')) as number;
    },

    async clearOneTimePreKeys(signingKey) {
      return stmts().clearOneTime.run(checkBytes(signingKey, 'signingKey')).changes;
    },

    async takeBundle(signingKey, limit) {
      const s = stmts();
      checkBytes(signingKey, 'signingKey');
      if (limit !== undefined) checkLimit(limit);
      return ctx.tx(() => {
        const identity = s.getIdentity.get(signingKey) as Buffer | undefined;
        const signed = s.getSigned.get(signingKey) as PreKeyDbRow | undefined;
        const kem = s.getKem.get(signingKey) as PreKeyDbRow | undefined;
        if (identity === undefined || signed === undefined || kem === undefined) return undefined;
        // The requester's window for this target: still open, or a new one starting now.
        const grant = limit && openGrant(s, limit, signingKey);
        const granted = grant?.granted ?? 0;
        const allowed = limit === undefined || granted < limit.max;
        const one = allowed ? (s.firstOneTime.get(signingKey) as Omit<PreKeyDbRow, 'signature'> | undefined) : undefined;
        if (one !== undefined) {
          s.deleteOneTime.run(signingKey, one.key_id);
          if (limit !== undefined) {
            const pair = grant?.pair ?? newGrantPair(s, limit, signingKey);
            s.setGrant.run(pair, granted + 1, grant?.expiresAt ?? limit.now + limit.windowMs);
          }
        }
        return {
          identity: rowBytes(identity),
          signedPreKey: toSigned(signed),
          kemPreKey: toSigned(kem),
          oneTimePreKey: one && toOneTime(one),
          oneTimePreKeysLeft: s.countOneTime.get(signingKey) as number,
        };
      });
    },
  };
}
