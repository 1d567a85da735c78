/**
 * SQLite: push subscriptions (`PushSubscriptionStore`, ../types.ts). The throttle claim is one
 * `UPDATE ... RETURNING` statement, atomic like every statement; the upsert and the cap run in
 * one transaction.
 * @module
 */
import { checkBytes, checkTime } from '../_checks.ts';
import { checkEndpoint, checkMax, checkSubscription, claimCutoff, toSubscription, type PushDbRow } from '../_push.ts';
import type { PushSubscriptionStore } from '../types.ts';
import type { SqliteContext, SqliteDatabase } from './database.ts';

const prepare = (db: SqliteDatabase) => ({
  exists: db.prepare('SELECT 1 FROM push_subscriptions WHERE endpoint = ?').pluck(),
  upsert: db.prepare(`
    INSERT INTO push_subscriptions (endpoint, account, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (endpoint) DO UPDATE SET account = excluded.account, p256dh = excluded.p256dh,
        auth = excluded.auth, created_at = excluded.created_at`),
  // Keeps the newest max - 1 others and the one just written.
  cap: db.prepare(`
    DELETE FROM push_subscriptions WHERE account = @account AND endpoint <> @endpoint AND endpoint NOT IN (
      SELECT endpoint FROM push_subscriptions WHERE account = @account AND endpoint <> @endpoint
        ORDER BY created_at DESC, endpoint DESC LIMIT @others)`),
  delete: db.prepare('DELETE FROM push_subscriptions WHERE account = ? AND endpoint = ?'),
  drop: db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?'),
  list: db.prepare('SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE account = ? ORDER BY created_at, endpoint'),
  claim: db.prepare(`
    UPDATE push_subscriptions SET last_pushed_at = @now
      WHERE account = (SELECT owner FROM mailboxes WHERE mailbox_id = @mailboxId)
        AND (last_pushed_at IS NULL OR last_pushed_at <= @cutoff)
      RETURNING endpoint, p256dh, auth`),
});

export function sqlitePush(ctx: SqliteContext): PushSubscriptionStore {
  const stmts = ctx.statements(prepare);
  return {
    async putPushSubscription(account, subscription, now, max) {
      const { endpoint, p256dh, auth } = checkSubscription(subscription);
      const owner = checkBytes(account, 'account');
      const at = checkTime(now, 'now');
      const keep = checkMax(max);
      return ctx.tx(() => {
        const s = stmts();
        const existed = s.exists.get(endpoint) !== undefined;
        s.upsert.run(endpoint, owner, p256dh, auth, at);
        s.cap.run({ account: owner, endpoint, others: keep - 1 });
        return existed ? 'updated' : 'created';
      });
    },

    async deletePushSubscription(account, endpoint) {
      return stmts().delete.run(checkBytes(account, 'account'), checkEndpoint(endpoint)).changes === 1;
    },

    async dropPushSubscription(endpoint) {
      return stmts().drop.run(checkEndpoint(endpoint)).changes === 1;
    },

    async listPushSubscriptions(account) {
      return (stmts().list.all(checkBytes(account, 'account')) as PushDbRow[]).map(toSubscription);
    },

    async claimPushTargets(mailboxId, now, intervalMs) {
      const cutoff = claimCutoff(now, intervalMs);
      const rows = stmts().claim.all({ now, mailboxId: checkBytes(mailboxId, 'mailboxId'), cutoff }) as PushDbRow[];
      return rows.map(toSubscription);
    },
  };
}
