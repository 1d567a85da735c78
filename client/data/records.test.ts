/**
 * Records read back from the vault are checked against their types (schemas.ts): a record
 * written by an older build or damaged on disk is a VaultError `malformed` at the read that
 * meets it, saying which collection and field, never the value (it may be a message's text).
 * @module
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAST_KDF } from '../../test-support/devices.ts';
import { VaultError } from '../vault/errors.ts';
import { createVault, type Vault } from '../vault/vault.ts';
import { Records, type Conversation, type StoredMessage } from './records.ts';

let vault: Vault;
let records: Records;
let n = 0;
beforeEach(async () => {
  vault = await createVault('records passphrase', { dbName: `records-${process.pid}-${++n}`, kdf: FAST_KDF });
  records = new Records(vault);
});
afterEach(() => vault.close());

const conversation: Conversation = { id: 'c1', peer: new Uint8Array(129).fill(3), label: 'Robin', unread: 0, urgentUnread: 0, lastAt: 1 };
const message: StoredMessage = { id: 'm1', mine: false, sentAt: 5, status: 'delivered', text: 'private words', attachments: [{ blobId: 'b', key: new Uint8Array(32), digest: new Uint8Array(32), size: 3, name: 'a.txt', mime: 'text/plain' }] };

async function rejection(p: Promise<unknown>): Promise<VaultError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(VaultError.is(e, 'malformed')).toBe(true);
  return e as VaultError;
}

describe('records are checked on read', () => {
  it('well-formed records read back as written, fields the schema does not know kept', async () => {
    await records.saveConversation({ ...conversation, later: 'field' } as Conversation);
    await records.saveMessage('c1', message);
    expect(await records.conversation('c1')).toEqual({ ...conversation, later: 'field' });
    expect(await records.conversations()).toEqual([{ ...conversation, later: 'field' }]);
    expect(await records.message('c1', 'm1')).toEqual(message);
    expect(await records.messages('c1')).toEqual([{ key: expect.any(String), message }]);
  });

  it('a conversation with a field of the wrong type is a malformed error naming the collection and field, at get and at list', async () => {
    await vault.putJSON('conversations', '', 'c1', { ...conversation, unread: 'many' });
    const e = await rejection(records.conversation('c1'));
    expect(e.message).toContain('conversations');
    expect(e.message).toContain('unread');
    await rejection(records.conversations());
  });

  it('a message missing its status, or with a damaged attachment, is malformed; the error never carries the text', async () => {
    const { status: _, ...noStatus } = message;
    await records.saveMessage('c1', noStatus as StoredMessage);
    const e = await rejection(records.message('c1', 'm1'));
    expect(e.message).toContain('status');
    expect(e.message).not.toContain('private words');
    await records.saveMessage('c1', { ...message, attachments: [{ ...message.attachments![0]!, key: 'not bytes' as unknown as Uint8Array }] });
    const list = await rejection(records.messages('c1'));
    expect(list.message).toContain('attachments.0.key');
  });

  it('a profile, invite, outbox item and draft that do not match their types are malformed too', async () => {
    await vault.putJSON('profile', '', 'me', { role: 'admin', practiceName: 'x', mailboxId: new Uint8Array(16), createdAt: 1, autoLockMinutes: 5 });
    await rejection(records.profile());
    await vault.putJSON('invites', '', 'h', { hash: 'h', label: 'l', link: 'x', capability: 'no', createdAt: 1, expiresAt: 2 });
    await rejection(records.invite('h'));
    await vault.putJSON('outbox', '', 'k', { key: 'k', conversationId: 'c1', messageId: 'm', payload: new Uint8Array(1), createdAt: 1 });
    await rejection(records.outbox());
    await vault.putJSON('drafts', 'c1', 'draft', { text: 42, savedAt: 1 });
    await rejection(records.draft('c1'));
  });
});
