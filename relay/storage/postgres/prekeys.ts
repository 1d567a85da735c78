/**
 * PostgreSQL: signed, KEM and one-time prekeys, bundles and the per-requester limit on one-time
 * prekeys (`PreKeyStore`, ../types.ts). `takeBundle` takes its key with
 * `DELETE ... WHERE key_id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1)`, so concurrent fetches
 * never take the same one-time prekey. A per-account advisory lock also serializes them, which
 * makes the "left" count (the low-prekey signal) exact: without it a fetch would still count
 * keys that a concurrent one is deleting.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import {
  checkLimit,
  checkOneTimePreKeys,
  checkSignedPreKey,
  checkTime,
  rowBytes,
  rowInt,
  toSigned,
  type PreKeyDbRow,
} from '../_checks.ts';
import { GRANT_SECRET_LEN, grantEpoch, grantPairTag, grantSecretExpiry } from '../_tags.ts';
import type { PreKeyStore, SignedPreKeyRow } from '../types.ts';
import { LOCK_ACCOUNT, lockKey, param, transaction, type PostgresContext } from './database.ts';

const countOneTime = async (client: Pool | PoolClient, key: Buffer): Promise<number> => {
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM one_time_prekeys WHERE signing_key = $1', [key]);
  return rowInt(rows[0]?.n ?? 0);
};

export function postgresPreKeys({ pool }: PostgresContext): PreKeyStore {
  /** Signed and KEM prekeys share one row shape; only the table differs. */
  const upsertPreKey = async (table: 'signed_prekeys' | 'kem_prekeys', signingKey: Uint8Array, row: SignedPreKeyRow, now: number) => {
    const key = param(signingKey, 'signingKey');
    const checked = checkSignedPreKey(row);
    await pool.query(
      `INSERT INTO ${table} (signing_key, key_id, public_key, signature, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (signing_key) DO UPDATE SET key_id = EXCLUDED.key_id, public_key = EXCLUDED.public_key,
         signature = EXCLUDED.signature, updated_at = EXCLUDED.updated_at`,
      [key, checked.id, param(checked.publicKey, 'row.publicKey'), param(checked.signature, 'row.signature'), checkTime(now, 'now')],
    );
  };

  return {
    async setSignedPreKey(signingKey, row, now) {
      await upsertPreKey('signed_prekeys', signingKey, row, now);
    },

    async setKemPreKey(signingKey, row, now) {
      await upsertPreKey('kem_prekeys', signingKey, row, now);
    },

    async addOneTimePreKeys(signingKey, rows) {
      const key = param(signingKey, 'signingKey');
      checkOneTimePreKeys(rows);
      const ids = rows.map((r) => r.id);
      const publicKeys = rows.map((r, i) => param(r.publicKey, `rows[${i}].publicKey`));
      return transaction(pool, async (client) => {
        if (rows.length > 0) {
          // WITH ORDINALITY + DISTINCT ON: an id repeated within one call keeps its first key,
          // as an id already stored keeps the stored one.
          await client.query(
            `INSERT INTO one_time_prekeys (signing_key, key_id, public_key)
             SELECT DISTINCT ON (k.key_id) $1::bytea, k.key_id, k.public_key
               FROM unnest($2::bigint[], $3::bytea[]) WITH ORDINALITY AS k (key_id, public_key, i)
              ORDER BY k.key_id, k.i
             ON CONFLICT DO NOTHING`,
            [key, ids, publicKeys],
          );
        }
        return countOneTime(client, key);
      });
    },

    async countOneTimePreKeys(signingKey) {
      return countOneTime(pool, param(signingKey, 'signingKey'));
    },

    async clearOneTimePreKeys(signingKey) {
      const { rowCount } = await pool.query('DELETE FROM one_time_prekeys WHERE signing_key = $1', [param(signingKey, 'signingKey')]);
      return rowCount ?? 0;
    },

    async takeBundle(signingKey, limit) {
      const key = param(signingKey, 'signingKey');
      const requester = limit && param(limit.requester, 'limit.requester');
      if (limit !== undefined) checkLimit(limit);
      return transaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_ACCOUNT, lockKey(key)]);
        const found = await client.query<{ identity: Buffer }>('SELECT identity FROM accounts WHERE signing_key = $1', [key]);
        const signed = await client.query<PreKeyDbRow>('SELECT key_id, public_key, signature FROM signed_prekeys WHERE signing_key = $1', [key]);
        const kem = await client.query<PreKeyDbRow>('SELECT key_id, public_key, signature FROM kem_prekeys WHERE signing_key = $1', [key]);
        const account = found.rows[0];
        const signedRow = signed.rows[0];
        const kemRow = kem.rows[0];
        if (!account || !signedRow || !kemRow) return undefined;
        // The requester's window for this target (the account lock above serializes every take of
        // this target, so reading then writing the row cannot race): still open, or new from now.
        // The pair is found by its keyed hash under this epoch's secret or the previous one's
        // (_tags.ts); a new window is keyed under this epoch's, made on first use.
        let granted = 0;
        let windowEnd = 0;
        let pair: Buffer | undefined;
        const epoch = limit && grantEpoch(limit.now, limit.windowMs);
        if (limit !== undefined && epoch !== undefined) {
          const keys = await client.query<{ epoch: string; secret: Buffer }>(
            'SELECT epoch, secret FROM prekey_grant_keys WHERE window_ms = $1 AND epoch IN ($2, $3)',
            [limit.windowMs, epoch, epoch - 1],
          );
          const tags = keys.rows.map((r) => Buffer.from(grantPairTag(r.secret, requester!, key)));
          const grant =
            tags.length === 0
              ? { rows: [] }
              : await client.query<{ pair: Buffer; granted: string; expires_at: string }>(
                  'SELECT pair, granted, expires_at FROM prekey_grants WHERE pair = ANY($1::bytea[]) AND expires_at > $2 ORDER BY expires_at DESC LIMIT 1',
                  [tags, limit.now],
                );
          const row = grant.rows[0];
          granted = row ? rowInt(row.granted) : 0;
          windowEnd = row ? rowInt(row.expires_at) : limit.now + limit.windowMs;
          pair = row?.pair;
        }
        // SKIP LOCKED: even a fetch that got past the account lock (none does today) takes the next
        // key instead of the one another transaction is deleting.
        const taken =
          limit !== undefined && granted >= limit.max
            ? { rows: [] }
            : await client.query<{ key_id: string; public_key: Buffer }>(
                `DELETE FROM one_time_prekeys
                  WHERE signing_key = $1
                    AND key_id = (SELECT key_id FROM one_time_prekeys WHERE signing_key = $1
                                   ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
                  RETURNING key_id, public_key`,
                [key],
              );
        const oneTime = taken.rows[0];
        if (oneTime !== undefined && limit !== undefined && epoch !== undefined) {
          if (pair === undefined) {
            // Another target's fetch may create this epoch's secret at the same moment: DO NOTHING,
            // then read whichever committed (READ COMMITTED: the SELECT sees it).
            await client.query(
              `INSERT INTO prekey_grant_keys (window_ms, epoch, secret, expires_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT DO NOTHING`,
              [limit.windowMs, epoch, randomBytes(GRANT_SECRET_LEN), grantSecretExpiry(epoch, limit.windowMs)],
            );
            const secret = await client.query<{ secret: Buffer }>('SELECT secret FROM prekey_grant_keys WHERE window_ms = $1 AND epoch = $2', [
              limit.windowMs,
              epoch,
            ]);
            pair = Buffer.from(grantPairTag(secret.rows[0]!.secret, requester!, key));
          }
          await client.query(
            `INSERT INTO prekey_grants (pair, granted, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (pair) DO UPDATE SET granted = EXCLUDED.granted, expires_at = EXCLUDED.expires_at`,
            [pair, granted + 1, windowEnd],
          );
        }
        return {
          identity: rowBytes(account.identity),
          signedPreKey: toSigned(signedRow),
          kemPreKey: toSigned(kemRow),
          oneTimePreKey: oneTime ? { id: rowInt(oneTime.key_id), publicKey: rowBytes(oneTime.public_key) } : undefined,
          oneTimePreKeysLeft: await countOneTime(client, key),
        };
      });
    },
  };
}
