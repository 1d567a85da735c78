/**
 * Conformance for MailboxStore: mailboxes and delivery capabilities.
 * Run against every adapter by ./index.ts.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { type OpenStore, T0, rnd, storeFixture } from './_fixture.ts';

export function mailboxesConformance(open: OpenStore): void {
  const { store, therapist, mailbox } = storeFixture(open);

  describe('mailboxes and capabilities', () => {
    it('creates a mailbox once and reports its owner; a second create changes nothing', async () => {
      const { owner, mailboxId } = await mailbox();
      expect(await store.mailboxOwner(mailboxId)).toEqual(owner.signingKey);
      const other = await therapist();
      expect(await store.createMailbox(mailboxId, other.signingKey, T0)).toBe('exists');
      expect(await store.mailboxOwner(mailboxId)).toEqual(owner.signingKey);
      expect(await store.mailboxOwner(rnd(16))).toBeUndefined();
    });

    it('accepts a capability only for the mailbox it was issued for, until revoked', async () => {
      const { mailboxId } = await mailbox();
      const { mailboxId: otherMailbox } = await mailbox();
      const cap = rnd(32);
      await store.addCapability(cap, mailboxId, T0);
      expect(await store.checkCapability(cap, mailboxId)).toBe(true);
      expect(await store.checkCapability(cap, otherMailbox)).toBe(false);
      expect(await store.checkCapability(rnd(32), mailboxId)).toBe(false);

      expect(await store.revokeCapability(cap, otherMailbox, T0)).toBe(false); // wrong mailbox
      expect(await store.checkCapability(cap, mailboxId)).toBe(true);
      expect(await store.revokeCapability(cap, mailboxId, T0)).toBe(true);
      expect(await store.checkCapability(cap, mailboxId)).toBe(false);
      expect(await store.revokeCapability(cap, mailboxId, T0)).toBe(false); // already revoked
      expect(await store.revokeCapability(rnd(32), mailboxId, T0)).toBe(false); // unknown
    });

    it('does not revive a revoked capability when it is added again', async () => {
      const { mailboxId } = await mailbox();
      const cap = rnd(32);
      await store.addCapability(cap, mailboxId, T0);
      await store.revokeCapability(cap, mailboxId, T0);
      await store.addCapability(cap, mailboxId, T0 + 1);
      expect(await store.checkCapability(cap, mailboxId)).toBe(false);
    });

    it('keeps capabilities separate: revoking one leaves the others of the mailbox valid', async () => {
      const { mailboxId } = await mailbox();
      const a = rnd(32);
      const b = rnd(32);
      await store.addCapability(a, mailboxId, T0);
      await store.addCapability(b, mailboxId, T0);
      await store.revokeCapability(a, mailboxId, T0);
      expect(await store.checkCapability(b, mailboxId)).toBe(true);
    });
  });
}
