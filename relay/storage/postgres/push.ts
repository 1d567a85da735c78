/**
 * PostgreSQL: push subscriptions (`PushSubscriptionStore`, ../types.ts). The throttle claim is
 * one `UPDATE ... RETURNING`: under READ COMMITTED a concurrent claim of the same row waits for
 * the first to commit, then re-checks `last_pushed_at` on the new row and skips it, so two relay
 * instances never push to one subscription within the interval. The upsert and the cap run in
 * one transaction under the account's advisory lock.
 *
 * Also the VAPID key pair that every instance must share (`sharedVapidKeys`; relay/push/vapid.ts).
 * @module
 */
import type { Pool } from 'pg';
import { checkTime, rowBytes } from '../_checks.ts';
import { checkEndpoint, checkMax, checkSubscription, claimCutoff, toSubscription, type PushDbRow } from '../_push.ts';
import type { PushSubscriptionStore } from '../types.ts';
import { LOCK_ACCOUNT, lockKey, param, transaction, type PostgresContext } from './database.ts';

export function postgresPush({ pool }: PostgresContext): PushSubscriptionStore {
  return {
    async putPushSubscription(account, subscription, now, max) {
      const { endpoint, p256dh, auth } = checkSubscription(subscription);
      const owner = param(account, 'account');
      const at = checkTime(now, 'now');
      const keep = checkMax(max);
      return transaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_ACCOUNT, lockKey(owner)]);
        const { rows } = await client.query<{ existed: boolean }>(
          `INSERT INTO push_subscriptions (endpoint, account, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (endpoint) DO UPDATE SET account = excluded.account, p256dh = excluded.p256dh,
               auth = excluded.auth, created_at = excluded.created_at
             RETURNING (xmax <> 0) AS existed`,
          [endpoint, owner, param(p256dh, 'p256dh'), param(auth, 'auth'), at],
        );
        await client.query(
          `DELETE FROM push_subscriptions WHERE account = $1 AND endpoint <> $2 AND endpoint NOT IN (
             SELECT endpoint FROM push_subscriptions WHERE account = $1 AND endpoint <> $2
               ORDER BY created_at DESC, endpoint DESC LIMIT $3)`,
          [owner, endpoint, keep - 1],
        );
        return rows[0]?.existed ? 'updated' : 'created';
      });
    },

    async deletePushSubscription(account, endpoint) {
      const { rowCount } = await pool.query('DELETE FROM push_subscriptions WHERE account = $1 AND endpoint = $2', [
        param(account, 'account'),
        checkEndpoint(endpoint),
      ]);
      return rowCount === 1;
    },

    async dropPushSubscription(endpoint) {
      const { rowCount } = await pool.query('DELETE FROM push_subscriptions WHERE endpoint = $1', [checkEndpoint(endpoint)]);
      return rowCount === 1;
    },

    async listPushSubscriptions(account) {
      const { rows } = await pool.query<PushDbRow>(
        'SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE account = $1 ORDER BY created_at, endpoint',
        [param(account, 'account')],
      );
      return rows.map(toSubscription);
    },

    async claimPushTargets(mailboxId, now, intervalMs) {
      const cutoff = claimCutoff(now, intervalMs);
      const { rows } = await pool.query<PushDbRow>(
        `UPDATE push_subscriptions SET last_pushed_at = $1
           WHERE account = (SELECT owner FROM mailboxes WHERE mailbox_id = $2)
             AND (last_pushed_at IS NULL OR last_pushed_at <= $3)
           RETURNING endpoint, p256dh, auth`,
        [now, param(mailboxId, 'mailboxId'), cutoff],
      );
      return rows.map(toSubscription);
    },
  };
}

/** A VAPID key pair as raw bytes: P-256 public key (65 bytes, uncompressed) and private scalar (32). */
export interface VapidKeyBytes {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/**
 * The relay's VAPID key pair, the same for every instance on this database: `candidate` is
 * stored when there is none yet (the first instance to start), and the stored pair is returned.
 */
export async function sharedVapidKeys(pool: Pool, candidate: VapidKeyBytes, now: number): Promise<VapidKeyBytes> {
  await pool.query(
    'INSERT INTO push_vapid_keys (id, public_key, private_key, created_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING',
    [param(candidate.publicKey, 'publicKey'), param(candidate.privateKey, 'privateKey'), checkTime(now, 'now')],
  );
  const { rows } = await pool.query<{ public_key: Buffer; private_key: Buffer }>('SELECT public_key, private_key FROM push_vapid_keys WHERE id = 1');
  const row = rows[0];
  if (!row) throw new Error('postgres: push_vapid_keys has no row after insert');
  return { publicKey: rowBytes(row.public_key), privateKey: rowBytes(row.private_key) };
}
