/**
 * Conformance for PreKeyStore: signed, KEM and one-time prekeys, bundles, and the per-requester limit (with what its rows keep at rest).
 * Run against every adapter by ./index.ts.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { ConfidantError } from '../../../shared/index.ts';
import { DAY, type OpenStore, T0, rnd, storeFixture, tablesHolding } from './_fixture.ts';

export function prekeysConformance(open: OpenStore): void {
  const { store, tables, therapist, withPreKeys } = storeFixture(open);

  describe('prekeys', () => {
    it('hands out a bundle consuming one one-time prekey, counting down the rest', async () => {
      const account = await therapist();
      const signed = { id: 7, publicKey: rnd(32), signature: rnd(64) };
      const kem = { id: 8, publicKey: rnd(1184), signature: rnd(64) };
      await store.setSignedPreKey(account.signingKey, signed, T0);
      await store.setKemPreKey(account.signingKey, kem, T0);
      const ones = [1, 2, 3].map((id) => ({ id, publicKey: rnd(32) }));
      expect(await store.addOneTimePreKeys(account.signingKey, ones)).toBe(3);

      const taken = new Map<number, Uint8Array>();
      for (const left of [2, 1, 0]) {
        const bundle = await store.takeBundle(account.signingKey);
        expect(bundle?.identity).toEqual(account.identity);
        expect(bundle?.signedPreKey).toEqual(signed);
        expect(bundle?.kemPreKey).toEqual(kem);
        expect(bundle?.oneTimePreKeysLeft).toBe(left);
        const one = bundle?.oneTimePreKey;
        expect(one).toBeDefined();
        taken.set(one!.id, one!.publicKey);
        expect(await store.countOneTimePreKeys(account.signingKey)).toBe(left);
      }
      expect(taken).toEqual(new Map(ones.map((o) => [o.id, o.publicKey])));
    });

    it('clears every one-time prekey of one account, and only of that one', async () => {
      const a = await therapist();
      const b = await therapist();
      await store.addOneTimePreKeys(a.signingKey, [1, 2, 3].map((id) => ({ id, publicKey: rnd(32) })));
      await store.addOneTimePreKeys(b.signingKey, [{ id: 1, publicKey: rnd(32) }]);
      expect(await store.clearOneTimePreKeys(a.signingKey)).toBe(3);
      expect(await store.countOneTimePreKeys(a.signingKey)).toBe(0);
      expect(await store.countOneTimePreKeys(b.signingKey)).toBe(1);
      expect(await store.clearOneTimePreKeys(a.signingKey)).toBe(0);
      // The same ids can be uploaded again, with new keys.
      expect(await store.addOneTimePreKeys(a.signingKey, [{ id: 1, publicKey: rnd(32) }])).toBe(1);
    });

    it('still hands out a bundle without one-time prekeys: oneTimePreKey undefined, 0 left', async () => {
      const account = await therapist();
      await withPreKeys(account, []);
      const bundle = await store.takeBundle(account.signingKey);
      expect(bundle).toBeDefined();
      expect(bundle!.oneTimePreKey).toBeUndefined();
      expect(bundle!.oneTimePreKeysLeft).toBe(0);
    });

    it('has no bundle for an unknown account, or before both signed and KEM prekeys exist, and consumes nothing then', async () => {
      expect(await store.takeBundle(rnd(32))).toBeUndefined();
      const account = await therapist();
      await store.addOneTimePreKeys(account.signingKey, [{ id: 1, publicKey: rnd(32) }]);
      expect(await store.takeBundle(account.signingKey)).toBeUndefined();
      await store.setSignedPreKey(account.signingKey, { id: 1, publicKey: rnd(32), signature: rnd(64) }, T0);
      expect(await store.takeBundle(account.signingKey)).toBeUndefined();
      expect(await store.countOneTimePreKeys(account.signingKey)).toBe(1);
      await store.setKemPreKey(account.signingKey, { id: 1, publicKey: rnd(1184), signature: rnd(64) }, T0);
      expect((await store.takeBundle(account.signingKey))?.oneTimePreKey?.id).toBe(1);
    });

    it('replaces the signed and KEM prekeys on upload', async () => {
      const account = await therapist();
      await withPreKeys(account, []);
      const signed = { id: 2, publicKey: rnd(32), signature: rnd(64) };
      const kem = { id: 3, publicKey: rnd(1184), signature: rnd(64) };
      await store.setSignedPreKey(account.signingKey, signed, T0 + DAY);
      await store.setKemPreKey(account.signingKey, kem, T0 + DAY);
      const bundle = await store.takeBundle(account.signingKey);
      expect(bundle?.signedPreKey).toEqual(signed);
      expect(bundle?.kemPreKey).toEqual(kem);
    });

    it('ignores one-time prekey ids already present, within a batch and across batches, keeping the stored key', async () => {
      const account = await therapist();
      await withPreKeys(account, []);
      const original = rnd(32);
      expect(await store.addOneTimePreKeys(account.signingKey, [{ id: 5, publicKey: original }, { id: 5, publicKey: rnd(32) }])).toBe(1);
      expect(await store.addOneTimePreKeys(account.signingKey, [{ id: 5, publicKey: rnd(32) }, { id: 6, publicKey: rnd(32) }])).toBe(2);
      expect(await store.addOneTimePreKeys(account.signingKey, [])).toBe(2);
      const seen = new Map<number, Uint8Array>();
      for (let i = 0; i < 2; i++) {
        const one = (await store.takeBundle(account.signingKey))?.oneTimePreKey;
        seen.set(one!.id, one!.publicKey);
      }
      expect(seen.get(5)).toEqual(original);
      expect(seen.has(6)).toBe(true);
    });

    it('keeps one-time prekeys per account: the same ids in two accounts are separate keys', async () => {
      const a = await therapist();
      const b = await therapist();
      await withPreKeys(a, [1, 2]);
      await withPreKeys(b, [1, 2]);
      await store.takeBundle(a.signingKey);
      await store.takeBundle(a.signingKey);
      expect(await store.countOneTimePreKeys(a.signingKey)).toBe(0);
      expect(await store.countOneTimePreKeys(b.signingKey)).toBe(2);
      expect(await store.countOneTimePreKeys(rnd(32))).toBe(0);
    });

    it('never gives the same one-time prekey to two concurrent takeBundle calls', async () => {
      const account = await therapist();
      const ids = Array.from({ length: 40 }, (_, i) => i + 1);
      await withPreKeys(account, ids);
      const bundles = await Promise.all(Array.from({ length: 60 }, () => store.takeBundle(account.signingKey)));
      const taken = bundles.map((b) => b?.oneTimePreKey?.id).filter((id): id is number => id !== undefined);
      expect(taken).toHaveLength(40);
      expect(new Set(taken).size).toBe(40);
      expect(bundles.filter((b) => b !== undefined && b.oneTimePreKey === undefined)).toHaveLength(20);
      expect(await store.countOneTimePreKeys(account.signingKey)).toBe(0);
      // Every "left" figure 0..39 was reported exactly once by the bundles that got a key.
      const left = bundles.filter((b) => b?.oneTimePreKey !== undefined).map((b) => b!.oneTimePreKeysLeft);
      expect(new Set(left).size).toBe(40);
      expect(Math.max(...left)).toBe(39);
    });
  });

  describe('one-time prekeys per requester (takeBundle with a limit)', () => {
    const limit = (requester: Uint8Array, now = T0, max = 2) => ({ requester, max, windowMs: DAY, now });

    it('hands one requester at most max one-time prekeys of one target per window; others still get theirs', async () => {
      const target = await therapist();
      await withPreKeys(target, [1, 2, 3, 4, 5, 6]);
      const a = rnd(32);
      const b = rnd(32);
      expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey?.id).toBe(1);
      expect((await store.takeBundle(target.signingKey, limit(a, T0 + DAY - 1)))?.oneTimePreKey?.id).toBe(2);
      // Over the limit: the bundle still comes, without a one-time prekey, and nothing is consumed.
      const withheld = await store.takeBundle(target.signingKey, limit(a, T0 + DAY - 1));
      expect(withheld).toBeDefined();
      expect(withheld!.oneTimePreKey).toBeUndefined();
      expect(withheld!.oneTimePreKeysLeft).toBe(4);
      expect(withheld!.identity).toEqual(target.identity);
      expect(await store.countOneTimePreKeys(target.signingKey)).toBe(4);
      // Another requester, and a call without a limit, are not affected.
      expect((await store.takeBundle(target.signingKey, limit(b)))?.oneTimePreKey?.id).toBe(3);
      expect((await store.takeBundle(target.signingKey))?.oneTimePreKey?.id).toBe(4);
      // The window started at the first key handed out: at T0 + DAY a new one starts.
      expect((await store.takeBundle(target.signingKey, limit(a, T0 + DAY)))?.oneTimePreKey?.id).toBe(5);
    });

    it('keeps the count per target: a requester limited for one target still gets another target\'s keys', async () => {
      const t1 = await therapist();
      const t2 = await therapist();
      await withPreKeys(t1, [1, 2, 3]);
      await withPreKeys(t2, [1, 2, 3]);
      const a = rnd(32);
      for (let i = 0; i < 3; i++) await store.takeBundle(t1.signingKey, limit(a, T0, 1));
      expect(await store.countOneTimePreKeys(t1.signingKey)).toBe(2);
      expect((await store.takeBundle(t2.signingKey, limit(a, T0, 1)))?.oneTimePreKey?.id).toBe(1);
    });

    it('counts only keys handed out: bundles without one do not use up the allowance', async () => {
      const target = await therapist();
      await withPreKeys(target, []);
      const a = rnd(32);
      for (let i = 0; i < 3; i++) expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey).toBeUndefined();
      await store.addOneTimePreKeys(target.signingKey, [1, 2, 3].map((id) => ({ id, publicKey: rnd(32) })));
      expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey?.id).toBe(1);
      expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey?.id).toBe(2);
      expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey).toBeUndefined();
    });

    it('max 0 never hands out a one-time prekey; an unknown target consumes nothing and records nothing', async () => {
      const target = await therapist();
      await withPreKeys(target, [1]);
      const a = rnd(32);
      expect((await store.takeBundle(target.signingKey, limit(a, T0, 0)))?.oneTimePreKey).toBeUndefined();
      expect(await store.takeBundle(rnd(32), limit(a))).toBeUndefined();
      expect((await store.takeBundle(target.signingKey, limit(a, T0, 1)))?.oneTimePreKey?.id).toBe(1);
    });

    it('holds the limit under concurrent fetches by one requester', async () => {
      const target = await therapist();
      await withPreKeys(target, Array.from({ length: 20 }, (_, i) => i + 1));
      const a = rnd(32);
      const bundles = await Promise.all(Array.from({ length: 15 }, () => store.takeBundle(target.signingKey, limit(a, T0, 3))));
      const ids = bundles.flatMap((bundle) => (bundle?.oneTimePreKey ? [bundle.oneTimePreKey.id] : []));
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);
      expect(await store.countOneTimePreKeys(target.signingKey)).toBe(17);
    });

    it('refuses a bad limit with invalid_argument, consuming nothing', async () => {
      const target = await therapist();
      await withPreKeys(target, [1]);
      for (const bad of [
        { requester: 'x', max: 1, windowMs: DAY, now: T0 },
        { requester: rnd(32), max: -1, windowMs: DAY, now: T0 },
        { requester: rnd(32), max: 1, windowMs: 0, now: T0 },
        { requester: rnd(32), max: 1, windowMs: DAY, now: 1.5 },
      ]) {
        await expect(store.takeBundle(target.signingKey, bad as never)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
      }
      expect(await store.countOneTimePreKeys(target.signingKey)).toBe(1);
    });

    it('sweep forgets windows that ended', async () => {
      const target = await therapist();
      await withPreKeys(target, [1, 2, 3]);
      const a = rnd(32);
      await store.takeBundle(target.signingKey, limit(a, T0, 1));
      await store.sweep(T0 + DAY);
      expect((await store.takeBundle(target.signingKey, limit(a, T0 + DAY, 1)))?.oneTimePreKey?.id).toBe(2);
      expect((await store.takeBundle(target.signingKey, limit(a, T0 + DAY, 1)))?.oneTimePreKey).toBeUndefined();
    });

    it('keeps neither the requester nor the target at rest for the limit, only a keyed hash whose key goes within two windows', async () => {
      const target = await therapist();
      await withPreKeys(target, [1, 2, 3]);
      const requester = await therapist();
      const ownRows = ['accounts', 'kem_prekeys', 'one_time_prekeys', 'signed_prekeys'];
      expect((await store.takeBundle(target.signingKey, limit(requester.signingKey, T0, 1)))?.oneTimePreKey?.id).toBe(1);
      const during = await tables();
      expect(tablesHolding(during, requester.signingKey)).toEqual(['accounts']);
      expect(tablesHolding(during, target.signingKey)).toEqual(ownRows);
      // The limit still holds from the hash alone.
      expect((await store.takeBundle(target.signingKey, limit(requester.signingKey, T0 + 1, 1)))?.oneTimePreKey).toBeUndefined();
      // Two windows on, nothing of the limit is left: no row, no key that could link one.
      await store.sweep(T0 + 2 * DAY);
      const later = await tables();
      const limitTables = Object.keys(later).filter((t) => t.startsWith('prekey_grant'));
      expect(limitTables.length).toBeGreaterThan(0);
      for (const t of limitTables) expect(later[t], t).toEqual([]);
    });
  });
}
