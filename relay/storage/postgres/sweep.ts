/**
 * PostgreSQL: the store as a whole (`StoreLifecycle`, ../types.ts): migrations, health, closing,
 * and the sweep that deletes everything expired in one READ COMMITTED transaction.
 * @module
 */
import { checkSweep, rowBytes } from '../_checks.ts';
import type { StoreLifecycle } from '../types.ts';
import { transaction, type PostgresContext } from './database.ts';
import { migrate } from './migrations.ts';
import type { PostgresNotifier } from './notifier.ts';

/** How long `ping` waits for the database before answering false. */
const PING_TIMEOUT_MS = 2_000;

export function postgresLifecycle(
  { pool }: PostgresContext,
  notifier: PostgresNotifier,
  onClose: () => Promise<void>,
): StoreLifecycle & { readonly notifier: PostgresNotifier } {
  return {
    kind: 'postgres',
    notifier,

    async migrate() {
      await migrate(pool);
    },

    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
      });
      const query = pool.query('SELECT 1').then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([query, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    close: () => onClose(),

    async sweep(when, options = {}) {
      const { now, before } = checkSweep(when, options);
      return transaction(pool, async (client) => {
        const deleted = async (sql: string): Promise<number> => (await client.query(sql, [now])).rowCount ?? 0;
        const blobs = await client.query<{ blob_id: Buffer }>(
          'DELETE FROM blobs WHERE expires_at <= $1 OR (NOT complete AND created_at < $2) RETURNING blob_id',
          [now, before],
        );
        // Ended prekey limit windows, their secrets and ack tombstones: deleted, not counted (see StoreLifecycle.sweep).
        await client.query('DELETE FROM prekey_grants WHERE expires_at <= $1', [now]);
        await client.query('DELETE FROM prekey_grant_keys WHERE expires_at <= $1', [now]);
        await client.query('DELETE FROM acked_messages WHERE expires_at <= $1', [now]);
        return {
          messages: await deleted('DELETE FROM messages WHERE expires_at <= $1'),
          blobs: blobs.rows.length,
          nonces: await deleted('DELETE FROM nonces WHERE expires_at <= $1'),
          registrationCodes: await deleted('DELETE FROM registration_codes WHERE expires_at <= $1 OR used_at IS NOT NULL'),
          invites: await deleted('DELETE FROM invites WHERE expires_at <= $1 OR used_at IS NOT NULL'),
          expiredBlobIds: blobs.rows.map((r) => rowBytes(r.blob_id)),
        };
      });
    },
  };
}
