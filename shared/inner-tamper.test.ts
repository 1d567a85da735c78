/**
 * A message whose sealed-sender layer opens but whose inner (ratchet or prekey) message was
 * altered: the case a retry request answers (PROTOCOL.md §9, `retry`). For random single-byte
 * changes of the inner message, re-sealed by its real sender so that the outer layer opens,
 * opening fails with a typed error, every store is exactly as before, and the genuine message
 * and a later one still open; never is a changed plaintext accepted. (Changes to the envelope itself are covered in session.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfidantError } from './errors.ts';
import { MemoryProtocolStore } from './memory-store.ts';
import { openEnvelope, sealEnvelope } from './sealed.ts';
import { addressOf, openMessage, sealMessage, startSession } from './session.ts';
import { asMailboxId } from './ids.ts';

const MAILBOX = asMailboxId(new Uint8Array(16).fill(9));
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

const snapshot = (store: MemoryProtocolStore) => store.snapshot();

/** The envelope again, sealed by `sender` for `recipient`, with byte `at` of the inner message XORed with `mask`. */
async function tamperInner(sender: MemoryProtocolStore, recipient: MemoryProtocolStore, envelope: Uint8Array, at: number, mask: number): Promise<Uint8Array> {
  const inner = await openEnvelope(recipient.identity, envelope);
  const message = inner.message.slice();
  message[at % message.length]! ^= mask;
  return sealEnvelope(sender.identity, recipient.identity.publicIdentity, MAILBOX, { type: inner.type, message });
}

describe('a changed inner message behind a valid sealed-sender layer', () => {
  it('is refused, leaves the session state unchanged, and the genuine and a later message still open', async () => {
    const alice = await MemoryProtocolStore.create();
    const bob = await MemoryProtocolStore.create({ oneTime: 2 });
    const bobAddress = addressOf(bob.identity.publicIdentity);
    const aliceAddress = addressOf(alice.identity.publicIdentity);
    await startSession(alice, bobAddress, bob.bundle());
    // Before Bob answers Alice sends prekey messages; after, ratchet messages. Both kinds, both directions.
    const phases: { from: MemoryProtocolStore; to: MemoryProtocolStore; address: string }[] = [
      { from: alice, to: bob, address: bobAddress },
      { from: bob, to: alice, address: aliceAddress },
      { from: alice, to: bob, address: bobAddress },
    ];
    let n = 0;
    for (const { from, to, address } of phases) {
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (at, mask) => {
          const genuine = await sealMessage(from, address, MAILBOX, text(`message ${++n}`));
          const tampered = await tamperInner(from, to, genuine, at, mask);
          const before = snapshot(to);
          const result = await openMessage(to, tampered).then((opened) => opened, (e: unknown) => e);
          if (result instanceof ConfidantError) {
            expect(snapshot(to)).toEqual(before);
            expect(str((await openMessage(to, genuine)).plaintext)).toBe(`message ${n}`);
          } else {
            // A repeated prekey message of the current session is read as a ratchet message
            // (§4.4): a change in its handshake fields (prekey ids, KEM ciphertext), which only
            // its authenticated sender can make, is not read at all. Never a changed plaintext.
            expect(str((result as { plaintext: Uint8Array }).plaintext)).toBe(`message ${n}`);
            await expect(openMessage(to, genuine)).rejects.toMatchObject({ code: 'duplicate' });
          }
        }),
        { numRuns: 40 },
      );
      // A later message in the same chain opens too.
      const later = await sealMessage(from, address, MAILBOX, text('later'));
      expect(str((await openMessage(to, later)).plaintext)).toBe('later');
    }
  }, 120_000);
});
