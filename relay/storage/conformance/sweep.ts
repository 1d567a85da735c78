/**
 * Conformance for StoreLifecycle: kind, migrate, ping and close, live delivery (notifier) and the sweep.
 * Run against every adapter by ./index.ts.
 * @module
 */
import { describe, expect, it, vi } from 'vitest';
import { BLOB_ID_LEN } from '../types.ts';
import { DAY, MINUTE, type OpenStore, ROOMY, T0, message, newAccount, rnd, storeFixture } from './_fixture.ts';

export function sweepConformance(open: OpenStore): void {
  const { store, blobs, therapist, mailbox } = storeFixture(open);

  describe('lifecycle', () => {
    it('names its adapter kind', () => {
      expect(['sqlite', 'postgres']).toContain(store.kind);
    });

    it('migrate() again on a current schema changes nothing and keeps the data', async () => {
      const account = await therapist();
      await store.migrate();
      await store.migrate();
      expect(await store.getAccount(account.signingKey)).toEqual(account);
    });

    it('ping() is true while open, false after close, and never throws', async () => {
      expect(await store.ping()).toBe(true);
      await store.close();
      await expect(store.ping()).resolves.toBe(false);
      await store.close(); // closing twice is harmless
      await expect(store.ping()).resolves.toBe(false);
    });
  });

  describe('notifier', () => {
    it('delivers a publish to the mailbox subscribers only, and not after unsubscribe', async () => {
      const { mailboxId } = await mailbox();
      const other = rnd(16);
      const kept = vi.fn();
      const dropped = vi.fn();
      const elsewhere = vi.fn();
      store.notifier.subscribe(mailboxId, kept);
      const unsubscribe = store.notifier.subscribe(mailboxId, dropped);
      const stopElsewhere = store.notifier.subscribe(other, elsewhere);
      unsubscribe();
      unsubscribe(); // twice is harmless

      const r = (await store.putMessage(message(mailboxId), ROOMY)) as { seq: number };
      await store.notifier.publish(mailboxId, r.seq);
      await vi.waitFor(() => expect(kept).toHaveBeenCalledWith(r.seq), { timeout: 10_000 });
      expect(kept).toHaveBeenCalledTimes(1);
      expect(dropped).not.toHaveBeenCalled();
      expect(elsewhere).not.toHaveBeenCalled();
      stopElsewhere();
    });

    it('keeps delivering to the others when one listener throws', async () => {
      const { mailboxId } = await mailbox();
      const after = vi.fn();
      const stopBad = store.notifier.subscribe(mailboxId, () => {
        throw new Error('listener failed');
      });
      const stopGood = store.notifier.subscribe(mailboxId, after);
      await store.notifier.publish(mailboxId, 42);
      await vi.waitFor(() => expect(after).toHaveBeenCalledWith(42), { timeout: 10_000 });
      stopBad();
      stopGood();
    });
  });

  describe('sweep', () => {
    it('deletes what expired at now, used codes and invites, and abandoned uploads, and counts them', async () => {
      const owner = await therapist(); // consumed one code: it counts as used below
      const { mailboxId } = await mailbox(); // and another
      const now = T0 + 10 * DAY;

      const liveCode = rnd(32);
      await store.addRegistrationCode(liveCode, T0, now + DAY);
      await store.addRegistrationCode(rnd(32), T0, now); // expired exactly at now

      const usedInvite = rnd(32);
      const liveInvite = rnd(32);
      await store.addInvite(usedInvite, owner.signingKey, T0, now + DAY);
      await store.registerClient(newAccount('client'), usedInvite, T0);
      await store.addInvite(liveInvite, owner.signingKey, T0, now + DAY);
      await store.addInvite(rnd(32), owner.signingKey, T0, now - 1);

      const key = rnd(32);
      const oldNonce = rnd(16);
      const liveNonce = rnd(16);
      await store.rememberNonce(key, oldNonce, now);
      await store.rememberNonce(key, liveNonce, now + 1);

      const old = message(mailboxId, { expiresAt: now });
      const live = message(mailboxId, { expiresAt: now + 1 });
      await store.putMessage(old, ROOMY);
      await store.putMessage(live, ROOMY);

      const blob = (over: { complete?: boolean; createdAt?: number; expiresAt?: number }) => ({ blobId: rnd(BLOB_ID_LEN), ...over });
      const expired = blob({ complete: true, expiresAt: now });
      const abandoned = blob({ complete: false, createdAt: now - DAY - 1, expiresAt: now + DAY });
      const uploading = blob({ complete: false, createdAt: now - MINUTE, expiresAt: now + DAY });
      const kept = blob({ complete: true, createdAt: now - 2 * DAY, expiresAt: now + DAY });
      for (const b of [expired, abandoned, uploading, kept]) {
        await store.createBlob({ blobId: b.blobId, deleteTokenHash: rnd(32), createdAt: b.createdAt ?? T0, expiresAt: b.expiresAt! });
        if (b.complete) expect(await store.completeBlob(b.blobId, 10)).toBe(true);
      }

      const result = await store.sweep(now, { incompleteBlobsBefore: now - DAY });
      const { expiredBlobIds, ...counts } = result;
      expect(counts).toEqual({ messages: 1, blobs: 2, nonces: 1, registrationCodes: 3, invites: 2 });
      const hex = (ids: Uint8Array[]) => ids.map((id) => Buffer.from(id).toString('hex')).sort();
      expect(hex(expiredBlobIds)).toEqual(hex([expired.blobId, abandoned.blobId]));

      // What was live is untouched and still works.
      expect((await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 })).map((m) => m.messageId)).toEqual([live.messageId]);
      expect(await store.getBlob(uploading.blobId)).toBeDefined();
      expect(await store.getBlob(kept.blobId)).toBeDefined();
      expect(await store.getBlob(abandoned.blobId)).toBeUndefined();
      expect(await store.rememberNonce(key, liveNonce, now + 1)).toBe(false);
      expect(await store.rememberNonce(key, oldNonce, now + MINUTE)).toBe(true);
      expect(await store.registerClient(newAccount('client'), liveInvite, now)).toBe('created');
      expect(await store.registerTherapist(newAccount('therapist'), liveCode, now)).toBe('created');

      // Nothing left to sweep but the code and invite just used.
      expect(await store.sweep(now, { incompleteBlobsBefore: now - DAY })).toEqual({
        messages: 0,
        blobs: 0,
        nonces: 0,
        registrationCodes: 1,
        invites: 1,
        expiredBlobIds: [],
      });
    });

    it('leaves unexpired incomplete uploads alone without incompleteBlobsBefore', async () => {
      const blobId = rnd(BLOB_ID_LEN);
      await store.createBlob({ blobId, deleteTokenHash: rnd(32), createdAt: T0, expiresAt: T0 + 30 * DAY });
      const r = await store.sweep(T0 + 29 * DAY);
      expect(r.blobs).toBe(0);
      expect(r.expiredBlobIds).toEqual([]);
      expect(await store.getBlob(blobId)).toBeDefined();
    });

    it('finds nothing to sweep in an empty store', async () => {
      expect(await store.sweep(T0)).toEqual({ messages: 0, blobs: 0, nonces: 0, registrationCodes: 0, invites: 0, expiredBlobIds: [] });
    });
  });
}
