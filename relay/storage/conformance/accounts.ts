/**
 * Conformance for AccountStore: registration codes, therapist and client registration, invites, accounts and nonces.
 * Run against every adapter by ./index.ts.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { DAY, MINUTE, type OpenStore, T0, newAccount, rnd, storeFixture } from './_fixture.ts';

export function accountsConformance(open: OpenStore): void {
  const { store, therapist } = storeFixture(open);

  describe('therapist registration', () => {
    it('creates the account with a valid code and returns it byte for byte', async () => {
      const code = rnd(32);
      await store.addRegistrationCode(code, T0, T0 + DAY);
      const account = newAccount('therapist');
      expect(await store.registerTherapist(account, code, T0 + MINUTE)).toBe('created');
      const got = await store.getAccount(account.signingKey);
      expect(got).toEqual(account);
      expect(got?.signingKey).toBeInstanceOf(Uint8Array);
    });

    it('refuses a code used twice and creates no second account', async () => {
      const code = rnd(32);
      await store.addRegistrationCode(code, T0, T0 + DAY);
      const first = newAccount('therapist');
      const second = newAccount('therapist');
      expect(await store.registerTherapist(first, code, T0)).toBe('created');
      expect(await store.registerTherapist(second, code, T0)).toBe('code_invalid');
      expect(await store.getAccount(second.signingKey)).toBeUndefined();
      expect(await store.getAccount(first.signingKey)).toEqual(first);
    });

    it('refuses an expired code (expiresAt <= now) and an unknown one alike', async () => {
      const code = rnd(32);
      await store.addRegistrationCode(code, T0, T0 + DAY);
      const account = newAccount('therapist');
      expect(await store.registerTherapist(account, code, T0 + DAY)).toBe('code_invalid');
      expect(await store.registerTherapist(account, rnd(32), T0)).toBe('code_invalid');
      expect(await store.getAccount(account.signingKey)).toBeUndefined();
      // The code was not consumed by the refusals: still good one ms before expiry.
      expect(await store.registerTherapist(account, code, T0 + DAY - 1)).toBe('created');
    });

    it('answers exists for a registered key and leaves the code unused', async () => {
      const account = await therapist();
      const code = rnd(32);
      await store.addRegistrationCode(code, T0, T0 + DAY);
      expect(await store.registerTherapist({ ...newAccount('therapist'), signingKey: account.signingKey }, code, T0)).toBe('exists');
      expect(await store.getAccount(account.signingKey)).toEqual(account);
      expect(await store.registerTherapist(newAccount('therapist'), code, T0)).toBe('created');
    });

    it('does not accept an invite in place of a registration code', async () => {
      const owner = await therapist();
      const invite = rnd(32);
      await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
      expect(await store.registerTherapist(newAccount('therapist'), invite, T0)).toBe('code_invalid');
    });

    it('getAccount of an unknown key is undefined', async () => {
      expect(await store.getAccount(rnd(32))).toBeUndefined();
    });
  });

  describe('client registration', () => {
    it('creates a client account with a valid invite', async () => {
      const owner = await therapist();
      const invite = rnd(32);
      await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
      const client = newAccount('client');
      expect(await store.registerClient(client, invite, T0)).toBe('created');
      expect(await store.getAccount(client.signingKey)).toEqual(client);
    });

    it('refuses an invite used twice', async () => {
      const owner = await therapist();
      const invite = rnd(32);
      await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
      expect(await store.registerClient(newAccount('client'), invite, T0)).toBe('created');
      const second = newAccount('client');
      expect(await store.registerClient(second, invite, T0)).toBe('invite_invalid');
      expect(await store.getAccount(second.signingKey)).toBeUndefined();
    });

    it('refuses an expired or unknown invite, and a registration code in its place', async () => {
      const owner = await therapist();
      const invite = rnd(32);
      await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
      const code = rnd(32);
      await store.addRegistrationCode(code, T0, T0 + DAY);
      const client = newAccount('client');
      expect(await store.registerClient(client, invite, T0 + DAY)).toBe('invite_invalid');
      expect(await store.registerClient(client, rnd(32), T0)).toBe('invite_invalid');
      expect(await store.registerClient(client, code, T0)).toBe('invite_invalid');
      expect(await store.getAccount(client.signingKey)).toBeUndefined();
    });

    it('inviteExpiry: the expiry of an unused, unexpired invite, without consuming it; else undefined', async () => {
      const owner = await therapist();
      const invite = rnd(32);
      await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
      expect(await store.inviteExpiry(invite, T0)).toBe(T0 + DAY);
      expect(await store.inviteExpiry(invite, T0 + DAY - 1)).toBe(T0 + DAY);
      expect(await store.inviteExpiry(invite, T0 + DAY)).toBeUndefined();
      expect(await store.inviteExpiry(rnd(32), T0)).toBeUndefined();
      // Asking changed nothing: the invite still registers once, and is then used.
      expect(await store.registerClient(newAccount('client'), invite, T0)).toBe('created');
      expect(await store.inviteExpiry(invite, T0)).toBeUndefined();
      // A registration code is not an invite.
      const code = rnd(32);
      await store.addRegistrationCode(code, T0, T0 + DAY);
      expect(await store.inviteExpiry(code, T0)).toBeUndefined();
    });

    it('addInvite answers exists for a hash stored already (by any therapist) and keeps the first row', async () => {
      const owner = await therapist();
      const other = await therapist();
      const invite = rnd(32);
      expect(await store.addInvite(invite, owner.signingKey, T0, T0 + DAY)).toBe('created');
      expect(await store.addInvite(invite, owner.signingKey, T0, T0 + 2 * DAY)).toBe('exists');
      expect(await store.addInvite(invite, other.signingKey, T0, T0 + 2 * DAY)).toBe('exists');
      // The first row is kept: its expiry, not the later one, still applies.
      expect(await store.registerClient(newAccount('client'), invite, T0 + DAY)).toBe('invite_invalid');
      expect(await store.registerClient(newAccount('client'), invite, T0)).toBe('created');
      // A used invite's hash is still stored (until the sweep): still exists.
      expect(await store.addInvite(invite, owner.signingKey, T0, T0 + DAY)).toBe('exists');
    });

    it('answers exists for a registered key and leaves the invite unused', async () => {
      const owner = await therapist();
      const invite = rnd(32);
      await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
      expect(await store.registerClient({ ...newAccount('client'), signingKey: owner.signingKey }, invite, T0)).toBe('exists');
      expect((await store.getAccount(owner.signingKey))?.kind).toBe('therapist');
      expect(await store.registerClient(newAccount('client'), invite, T0)).toBe('created');
    });
  });

  describe('nonces', () => {
    it('accepts a nonce once per signing key and refuses the replay', async () => {
      const key = rnd(32);
      const other = rnd(32);
      const nonce = rnd(16);
      expect(await store.rememberNonce(key, nonce, T0 + MINUTE)).toBe(true);
      expect(await store.rememberNonce(key, nonce, T0 + MINUTE)).toBe(false);
      expect(await store.rememberNonce(key, nonce, T0 + DAY)).toBe(false);
      expect(await store.rememberNonce(other, nonce, T0 + MINUTE)).toBe(true);
      expect(await store.rememberNonce(key, rnd(16), T0 + MINUTE)).toBe(true);
    });

    it('hasNonce reports a stored pair without storing one', async () => {
      const key = rnd(32);
      const nonce = rnd(16);
      expect(await store.hasNonce(key, nonce)).toBe(false);
      expect(await store.hasNonce(key, nonce)).toBe(false);
      expect(await store.rememberNonce(key, nonce, T0 + MINUTE)).toBe(true);
      expect(await store.hasNonce(key, nonce)).toBe(true);
      expect(await store.hasNonce(rnd(32), nonce)).toBe(false);
      expect(await store.hasNonce(key, rnd(16))).toBe(false);
      expect((await store.sweep(T0 + MINUTE)).nonces).toBe(1);
      expect(await store.hasNonce(key, nonce)).toBe(false);
    });

    it('refuses every replay among concurrent attempts but one', async () => {
      const key = rnd(32);
      const nonce = rnd(16);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.rememberNonce(key, nonce, T0 + MINUTE)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
