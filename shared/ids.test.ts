import { describe, expect, it } from 'vitest';
import { ConfidantError } from './errors.ts';
import { asCapability, asMailboxId, asMessageId, type MailboxId } from './ids.ts';
import { MemoryProtocolStore } from './memory-store.ts';
import { addressOf, sealMessage, startSession } from './session.ts';
import { envelopeMailboxId } from './sealed.ts';

describe('branded ids', () => {
  it('the constructors return the same bytes and refuse a wrong length or type with invalid_argument', () => {
    const bytes = new Uint8Array(16).fill(3);
    expect(asMailboxId(bytes)).toBe(bytes);
    expect(asMessageId(bytes)).toBe(bytes);
    expect(asCapability(new Uint8Array(32))).toHaveLength(32);
    for (const wrong of [() => asMailboxId(new Uint8Array(15)), () => asMessageId(new Uint8Array(32)), () => asCapability(new Uint8Array(16)), () => asMailboxId('x' as unknown as Uint8Array)]) {
      expect(wrong).toThrow(ConfidantError);
      try {
        wrong();
      } catch (e) {
        expect(ConfidantError.is(e, 'invalid_argument')).toBe(true);
      }
    }
  });

  it('a swapped mailbox id and plaintext does not compile; the envelope names the mailbox it was sealed to', async () => {
    const alice = await MemoryProtocolStore.create();
    const bob = await MemoryProtocolStore.create();
    const address = addressOf(bob.identity.publicIdentity);
    await startSession(alice, address, bob.bundle());
    const mailbox: MailboxId = asMailboxId(new Uint8Array(16).fill(5));
    const plaintext = new TextEncoder().encode('hello');
    const envelope = await sealMessage(alice, address, mailbox, plaintext);
    expect(envelopeMailboxId(envelope)).toEqual(mailbox);
    // Compile-time checks (npm run typecheck): a plain Uint8Array is not a MailboxId, nor is a
    // MessageId; the calls are never made.
    const swapped = () => {
      // @ts-expect-error plaintext where the mailbox id goes, and the mailbox id as plaintext
      void sealMessage(alice, address, plaintext, mailbox);
      // @ts-expect-error a message id is not a mailbox id
      void sealMessage(alice, address, asMessageId(new Uint8Array(16)), plaintext);
    };
    expect(typeof swapped).toBe('function');
  });
});
