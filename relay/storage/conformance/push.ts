/**
 * Conformance for PushSubscriptionStore: push subscriptions and the per-device throttle.
 * Run against every adapter by ./index.ts.
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { PushSubscriptionRow } from '../types.ts';
import { type OpenStore, MINUTE, T0, rnd, storeFixture } from './_fixture.ts';

const THROTTLE = 3 * MINUTE;
let endpoints = 0;
const subscription = (): PushSubscriptionRow => ({
  endpoint: `https://push.example.com/send/${(endpoints += 1)}-${Buffer.from(rnd(8)).toString('hex')}`,
  p256dh: rnd(65),
  auth: rnd(16),
});

export function pushConformance(open: OpenStore): void {
  const { store, therapist, mailbox, tables } = storeFixture(open);

  describe('push subscriptions', () => {
    it('stores a subscription, lists it, and replaces its keys when the same endpoint comes again', async () => {
      const owner = await therapist();
      const sub = subscription();
      expect(await store.putPushSubscription(owner.signingKey, sub, T0, 5)).toBe('created');
      expect(await store.listPushSubscriptions(owner.signingKey)).toEqual([sub]);
      const renewed = { ...sub, p256dh: rnd(65), auth: rnd(16) };
      expect(await store.putPushSubscription(owner.signingKey, renewed, T0 + 1, 5)).toBe('updated');
      expect(await store.listPushSubscriptions(owner.signingKey)).toEqual([renewed]);
    });

    it('gives an endpoint to the account that registered it last', async () => {
      const a = await therapist();
      const b = await therapist();
      const sub = subscription();
      await store.putPushSubscription(a.signingKey, sub, T0, 5);
      expect(await store.putPushSubscription(b.signingKey, sub, T0 + 1, 5)).toBe('updated');
      expect(await store.listPushSubscriptions(a.signingKey)).toEqual([]);
      expect(await store.listPushSubscriptions(b.signingKey)).toEqual([sub]);
    });

    it('keeps at most max subscriptions per account, dropping the oldest, never the new one', async () => {
      const owner = await therapist();
      const subs = [subscription(), subscription(), subscription(), subscription()];
      for (const [i, s] of subs.entries()) await store.putPushSubscription(owner.signingKey, s, T0 + i, 3);
      expect((await store.listPushSubscriptions(owner.signingKey)).map((s) => s.endpoint)).toEqual(subs.slice(1).map((s) => s.endpoint));
      // Same time as the newest: still kept.
      const late = subscription();
      await store.putPushSubscription(owner.signingKey, late, T0 + 3, 1);
      expect(await store.listPushSubscriptions(owner.signingKey)).toEqual([late]);
    });

    it('deletes only the account\'s own subscription; a drop deletes whoever holds it', async () => {
      const a = await therapist();
      const b = await therapist();
      const sa = subscription();
      const sb = subscription();
      await store.putPushSubscription(a.signingKey, sa, T0, 5);
      await store.putPushSubscription(b.signingKey, sb, T0, 5);
      expect(await store.deletePushSubscription(a.signingKey, sb.endpoint)).toBe(false);
      expect(await store.listPushSubscriptions(b.signingKey)).toEqual([sb]);
      expect(await store.deletePushSubscription(a.signingKey, sa.endpoint)).toBe(true);
      expect(await store.deletePushSubscription(a.signingKey, sa.endpoint)).toBe(false);
      expect(await store.dropPushSubscription(sb.endpoint)).toBe(true);
      expect(await store.dropPushSubscription(sb.endpoint)).toBe(false);
      expect((await tables())['push_subscriptions'] ?? []).toEqual([]);
    });

    it('claims the mailbox owner\'s subscriptions once per interval, and no one else\'s', async () => {
      const { owner, mailboxId } = await mailbox();
      const other = await therapist();
      const mine = [subscription(), subscription()];
      for (const s of mine) await store.putPushSubscription(owner.signingKey, s, T0, 5);
      await store.putPushSubscription(other.signingKey, subscription(), T0, 5);

      const first = await store.claimPushTargets(mailboxId, T0, THROTTLE);
      expect(first.map((s) => s.endpoint).sort()).toEqual(mine.map((s) => s.endpoint).sort());
      expect(first.find((s) => s.endpoint === mine[0]!.endpoint)).toEqual(mine[0]);
      expect(await store.claimPushTargets(mailboxId, T0 + THROTTLE - 1, THROTTLE)).toEqual([]);
      expect(await store.claimPushTargets(mailboxId, T0 + THROTTLE, THROTTLE)).toHaveLength(2);
      expect(await store.claimPushTargets(rnd(16), T0 + 10 * THROTTLE, THROTTLE)).toEqual([]);
    });

    it('throttles each device on its own: a new subscription is pushed to at once', async () => {
      const { owner, mailboxId } = await mailbox();
      const a = subscription();
      await store.putPushSubscription(owner.signingKey, a, T0, 5);
      expect(await store.claimPushTargets(mailboxId, T0, THROTTLE)).toEqual([a]);
      const b = subscription();
      await store.putPushSubscription(owner.signingKey, b, T0 + 1, 5);
      expect(await store.claimPushTargets(mailboxId, T0 + 2, THROTTLE)).toEqual([b]);
    });

    it('hands one subscription to only one of many concurrent claims', async () => {
      const { owner, mailboxId } = await mailbox();
      await store.putPushSubscription(owner.signingKey, subscription(), T0, 5);
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.claimPushTargets(mailboxId, T0, THROTTLE)));
      expect(claims.flat()).toHaveLength(1);
    });

    it('refuses malformed arguments with invalid_argument and changes nothing', async () => {
      const owner = await therapist();
      const sub = subscription();
      await expect(store.putPushSubscription(owner.signingKey, { ...sub, endpoint: '' }, T0, 5)).rejects.toMatchObject({ code: 'invalid_argument' });
      await expect(store.putPushSubscription(owner.signingKey, sub, T0, 0)).rejects.toMatchObject({ code: 'invalid_argument' });
      await expect(store.claimPushTargets(rnd(16), T0, -1)).rejects.toMatchObject({ code: 'invalid_argument' });
      expect(await store.listPushSubscriptions(owner.signingKey)).toEqual([]);
    });
  });
}
