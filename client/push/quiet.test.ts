import { describe, expect, it } from 'vitest';
import { encodePayload } from '../../shared/payload.ts';
import { buildHello } from '../messages/hello.ts';
import { newMessageId } from '../messages/ids.ts';
import { buildMessage } from '../messages/message.ts';
import { buildReceipt } from '../messages/receipt.ts';
import { wakesRecipient } from './quiet.ts';

describe('wakesRecipient: which sends may raise "New message" on the other side', () => {
  it('a message and a hello wake the recipient', () => {
    expect(wakesRecipient(encodePayload(buildMessage({ id: newMessageId(), sentAt: 1, text: 'hello' })))).toBe(true);
    const hello = buildHello({ mailboxId: new Uint8Array(16), capability: new Uint8Array(32), inviteHash: 'A'.repeat(43) }, 1);
    expect(wakesRecipient(encodePayload(hello))).toBe(true);
  });

  it('a delivered or read receipt is quiet: reading a reply must not buzz the other phone', () => {
    for (const status of ['delivered', 'read'] as const) {
      expect(wakesRecipient(encodePayload(buildReceipt({ status, messageIds: [newMessageId()] }, 1)))).toBe(false);
    }
  });

  it('bytes that are not a payload wake (a missed notice is worse than a spare one)', () => {
    expect(wakesRecipient(new Uint8Array([1, 2, 3]))).toBe(true);
  });
});
