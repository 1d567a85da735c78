/**
 * Test helper for sqlite.test.ts: opens the store in DATA_DIR (argv[2]), stores one message
 * (mailbox, message id and envelope as hex in argv[3..5]), prints "acked <seq>" and then idles
 * until the parent kills it with SIGKILL. Not part of the relay.
 * @module
 */
import { openStore } from '../index.ts';

const [dataDir, mailboxHex, messageHex, envelopeHex] = process.argv.slice(2);
if (dataDir === undefined || mailboxHex === undefined || messageHex === undefined || envelopeHex === undefined) {
  throw new Error('usage: _durability-child.ts DATA_DIR MAILBOX_HEX MESSAGE_HEX ENVELOPE_HEX');
}
const { store } = await openStore({ dataDir });
const now = Date.now();
const result = await store.putMessage(
  {
    mailboxId: Buffer.from(mailboxHex, 'hex'),
    messageId: Buffer.from(messageHex, 'hex'),
    envelope: Buffer.from(envelopeHex, 'hex'),
    receivedAt: now,
    expiresAt: now + 86_400_000,
  },
  { maxMessages: 100, maxBytes: 1 << 20 },
);
if (result.status !== 'stored') throw new Error(`expected stored, got ${result.status}`);
process.stdout.write(`acked ${result.seq}\n`);
// Stay alive with the database open: the parent kills us without any chance to close it.
setInterval(() => {}, 1 << 30);
