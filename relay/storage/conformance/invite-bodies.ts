/**
 * Conformance for InviteBodyStore: short invites' encrypted bodies, kept in the invite's row
 * (docs/PROTOCOL.md §14). Covers storing with the invite hash, fetching by id, the one answer
 * for unknown, used, expired and revoked bodies, revoking (only one's own, only unused), the
 * body cleared when the invite is used, and the sweep. Run against every adapter by ./index.ts.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { DAY, type OpenStore, T0, newAccount, rnd, storeFixture, tablesHolding } from './_fixture.ts';

export function inviteBodiesConformance(open: OpenStore): void {
  const { store, tables, therapist } = storeFixture(open);

  const invite = () => ({ inviteHash: rnd(32), bodyId: rnd(16), body: rnd(1040) });

  describe('short invite bodies', () => {
    it('stores a body with its invite and hands it back by id, byte for byte, with the expiry', async () => {
      const owner = await therapist();
      const i = invite();
      expect(await store.addInviteWithBody(i, owner.signingKey, T0, T0 + DAY)).toBe('created');
      const got = await store.inviteBody(i.bodyId, T0);
      expect(got).toEqual({ body: i.body, expiresAt: T0 + DAY });
      expect(got?.body).toBeInstanceOf(Uint8Array);
      // The row is an invite like any other: its hash is checked and registers a client once.
      expect(await store.inviteExpiry(i.inviteHash, T0)).toBe(T0 + DAY);
      expect(tablesHolding(await tables(), i.body)).toEqual(['invites']);
      expect(tablesHolding(await tables(), i.bodyId)).toEqual(['invites']);
    });

    it('answers an unknown and an expired body alike (undefined), and reading consumes nothing', async () => {
      const owner = await therapist();
      const i = invite();
      await store.addInviteWithBody(i, owner.signingKey, T0, T0 + DAY);
      expect(await store.inviteBody(rnd(16), T0)).toBeUndefined();
      expect(await store.inviteBody(i.bodyId, T0 + DAY)).toBeUndefined();
      expect(await store.inviteBody(i.bodyId, T0 + DAY - 1)).toBeDefined();
      expect(await store.inviteBody(i.inviteHash.slice(0, 16), T0)).toBeUndefined();
      expect(await store.registerClient(newAccount('client'), i.inviteHash, T0)).toBe('created');
    });

    it('refuses a taken hash or a taken body id as exists, changing nothing', async () => {
      const owner = await therapist();
      const i = invite();
      await store.addInviteWithBody(i, owner.signingKey, T0, T0 + DAY);
      const before = await tables();
      expect(await store.addInviteWithBody({ ...invite(), inviteHash: i.inviteHash }, owner.signingKey, T0, T0 + DAY)).toBe('exists');
      expect(await store.addInviteWithBody({ ...invite(), bodyId: i.bodyId }, (await therapist()).signingKey, T0, T0 + DAY)).toBe('exists');
      const plain = rnd(32);
      await store.addInvite(plain, owner.signingKey, T0, T0 + DAY);
      expect(await store.addInviteWithBody({ ...invite(), inviteHash: plain }, owner.signingKey, T0, T0 + DAY)).toBe('exists');
      expect((await tables())['invites']?.length).toBe((before['invites']?.length ?? 0) + 1);
      expect(await store.inviteBody(i.bodyId, T0)).toEqual({ body: i.body, expiresAt: T0 + DAY });
    });

    it('clears the body when a client registers with the invite: no longer fetched, not at rest', async () => {
      const owner = await therapist();
      const i = invite();
      await store.addInviteWithBody(i, owner.signingKey, T0, T0 + DAY);
      expect(await store.registerClient(newAccount('client'), i.inviteHash, T0)).toBe('created');
      expect(await store.inviteBody(i.bodyId, T0)).toBeUndefined();
      expect(tablesHolding(await tables(), i.body)).toEqual([]);
      expect(tablesHolding(await tables(), i.bodyId)).toEqual([]);
    });

    it('revokes only its own therapist\'s unused invite: body and hash gone, the invite no longer registers', async () => {
      const owner = await therapist();
      const other = await therapist();
      const i = invite();
      await store.addInviteWithBody(i, owner.signingKey, T0, T0 + DAY);
      expect(await store.revokeInvite(i.inviteHash, other.signingKey)).toBe(false);
      expect(await store.inviteBody(i.bodyId, T0)).toBeDefined();
      expect(await store.revokeInvite(i.inviteHash, owner.signingKey)).toBe(true);
      expect(await store.revokeInvite(i.inviteHash, owner.signingKey)).toBe(false);
      expect(await store.inviteBody(i.bodyId, T0)).toBeUndefined();
      expect(await store.inviteExpiry(i.inviteHash, T0)).toBeUndefined();
      expect(await store.registerClient(newAccount('client'), i.inviteHash, T0)).toBe('invite_invalid');
      expect(tablesHolding(await tables(), i.body)).toEqual([]);
      expect(tablesHolding(await tables(), i.inviteHash)).toEqual([]);
    });

    it('revokes an invite without a body (a version 1 link), never a used one', async () => {
      const owner = await therapist();
      const plain = rnd(32);
      await store.addInvite(plain, owner.signingKey, T0, T0 + DAY);
      expect(await store.revokeInvite(plain, owner.signingKey)).toBe(true);
      expect(await store.registerClient(newAccount('client'), plain, T0)).toBe('invite_invalid');

      const used = invite();
      await store.addInviteWithBody(used, owner.signingKey, T0, T0 + DAY);
      const client = newAccount('client');
      expect(await store.registerClient(client, used.inviteHash, T0)).toBe('created');
      expect(await store.revokeInvite(used.inviteHash, owner.signingKey)).toBe(false);
      expect(await store.getAccount(client.signingKey)).toEqual(client);
    });

    it('sweeps an expired invite with its body', async () => {
      const owner = await therapist();
      const i = invite();
      const kept = invite();
      await store.addInviteWithBody(i, owner.signingKey, T0, T0 + DAY);
      await store.addInviteWithBody(kept, owner.signingKey, T0, T0 + 2 * DAY);
      expect((await store.sweep(T0 + DAY)).invites).toBe(1);
      expect(tablesHolding(await tables(), i.body)).toEqual([]);
      expect(await store.inviteBody(kept.bodyId, T0 + DAY)).toEqual({ body: kept.body, expiresAt: T0 + 2 * DAY });
    });

    it('checks its arguments', async () => {
      const owner = await therapist();
      await expect(store.addInviteWithBody({ ...invite(), body: 'x' as unknown as Uint8Array }, owner.signingKey, T0, T0 + DAY)).rejects.toThrow();
      await expect(store.inviteBody(rnd(16), 1.5)).rejects.toThrow();
      await expect(store.revokeInvite(undefined as unknown as Uint8Array, owner.signingKey)).rejects.toThrow();
    });
  });
}
