/**
 * The search index over a real vault (fake-indexeddb): it follows what is stored and removed,
 * persists encrypted and incrementally, comes back after a lock, and rebuilds or reconciles
 * what a crash, damage or another tab left out.
 * @module
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAST_KDF } from '../../test-support/devices.ts';
import { Records, type Conversation, type StoredMessage } from '../data/records.ts';
import { BLOB_COLLECTION, readBlob, writeBlob } from '../vault/blobs.ts';
import { createVault, openVault, type Vault, type VaultChange } from '../vault/vault.ts';
import { BASE_BLOB, RECENT_BLOB, SearchIndex, type SearchIndexOptions, type SearchState } from './index.ts';
import { messagesFromNewest } from './locate.ts';

const PASS = 'search index passphrase';
let vault: Vault;
let records: Records;
let dbName: string;
let n = 0;
const opened: SearchIndex[] = [];

beforeEach(async () => {
  dbName = `search-${process.pid}-${++n}`;
  vault = await createVault(PASS, { dbName, kdf: FAST_KDF });
  records = new Records(vault);
  await records.saveConversation(conv('c1', 'Robin'));
  await records.saveConversation(conv('c2', 'Sam'));
});
afterEach(() => {
  for (const i of opened.splice(0)) i.stop();
  vault.close();
});

function conv(id: string, label: string): Conversation {
  return { id, peer: new Uint8Array(129).fill(3), label, unread: 0, urgentUnread: 0, lastAt: 1 };
}
let t = 1_700_000_000_000;
function msg(text: string | undefined, mine = false): StoredMessage {
  t += 60_000;
  return { id: `m${t}`, mine, sentAt: t, status: mine ? 'sent' : 'delivered', ...(text === undefined ? {} : { text }) };
}

/** Opens an index (delayed writes far away: the tests write with `flush`) and waits until ready, noting its states. */
async function open(r = records, options: SearchIndexOptions = {}): Promise<{ index: SearchIndex; states: SearchState[] }> {
  const states: SearchState[] = [];
  const index = SearchIndex.open(r, { persistAfterMs: 3_600_000, onState: (s) => states.push(s), ...options });
  opened.push(index);
  await index.ready;
  return { index, states };
}

const found = (index: SearchIndex, q: string): string[] => index.search(q).slice().map((h) => h.messageId);

/** A segment's stored bytes as text (decrypted through the vault). */
async function storedText(v: Vault, blobId: string): Promise<string> {
  const chunks = await readBlob(v, blobId);
  if (!chunks) return '';
  let text = '';
  for await (const c of chunks) text += new TextDecoder().decode(c);
  return text;
}

/** Counts segment writes (blob manifests written) from here on. */
function countSegmentWrites(v: Vault): { readonly base: number; readonly recent: number } {
  const seen = { base: 0, recent: 0 };
  v.onCommit((changes: readonly VaultChange[]) => {
    for (const ch of changes) {
      if (ch.collection === BLOB_COLLECTION && ch.type === 'put' && ch.id === 'manifest') {
        if (ch.partition === BASE_BLOB) seen.base++;
        if (ch.partition === RECENT_BLOB) seen.recent++;
      }
    }
  });
  return seen;
}

describe('search index: following the vault', () => {
  it('finds both sides\' messages stored after it opened, by word, prefix, any case and without accents, newest first', async () => {
    const { index } = await open();
    const a = msg('I felt anxious before the café meeting');
    const b = msg('Thank you for telling me. What helped?', true);
    const c = msg('The ANXIETY was less this week');
    await records.saveMessage('c1', a);
    await records.saveMessage('c1', b);
    await records.putJSONMany(records.messageOps('c2', c));
    expect(found(index, 'anx')).toEqual([c.id, a.id]);
    expect(found(index, 'cafe')).toEqual([a.id]);
    expect(found(index, 'helped')).toEqual([b.id]);
    expect(found(index, 'anxious cafe')).toEqual([a.id]); // every word must match
    expect(found(index, 'anxious nothing')).toEqual([]);
    expect(found(index, '   ')).toEqual([]);
    const hit = index.search('anxiety').slice(0, 1)[0]!;
    expect(hit).toEqual({ conversationId: 'c2', messageId: c.id, key: expect.any(String), sentAt: c.sentAt, terms: ['anxiety'] });
    expect(await records.message('c2', c.id)).toEqual(c);
  });

  it('forgives a typo in a longer word', async () => {
    const { index } = await open();
    const a = msg('My therapist suggested journaling');
    await records.saveMessage('c1', a);
    expect(found(index, 'journalling')).toEqual([a.id]);
  });

  it('indexes a message once, however often its status changes', async () => {
    const { index } = await open();
    const a = msg('see you on Tuesday', true);
    await records.saveMessage('c1', a);
    await records.saveMessage('c1', { ...a, status: 'delivered' });
    await records.saveMessage('c1', { ...a, status: 'read' });
    expect(found(index, 'tuesday')).toEqual([a.id]);
    expect(index.documentCount).toBe(1);
  });

  it('does not index a notice nor a message with no text, but counts them as seen', async () => {
    const { index } = await open();
    const attachmentOnly = msg(undefined);
    await records.saveMessage('c1', attachmentOnly);
    await records.saveMessage('c1', { ...msg('unopenable words'), notice: 'unopenable' });
    expect(index.documentCount).toBe(0);
    expect(found(index, 'unopenable')).toEqual([]);
    expect(index.has('c1', (await records.messages('c1'))[0]!.key)).toBe(true);
  });

  it('hears nothing from a batch that rolled back', async () => {
    const { index } = await open();
    const a = msg('rolled back words');
    await expect(vault.batch(records.toVaultOps(records.messageOps('c1', a)), { expect: [{ collection: 'conversations', partition: '', id: 'c1', version: undefined }] })).rejects.toThrow();
    expect(found(index, 'rolled')).toEqual([]);
  });
});

describe('search index: deletion', () => {
  it('a removed message is no longer found, and its words are gone from the stored index', async () => {
    const { index } = await open();
    const keep = msg('the garden was calm');
    const gone = msg('the zeppelin dream I regret telling');
    await records.saveMessage('c1', keep);
    await records.saveMessage('c1', gone);
    await index.flush();
    expect(await storedText(vault, RECENT_BLOB)).toContain('zeppelin');

    expect(await records.removeMessage('c1', gone.id)).toBe(true);
    expect(found(index, 'zeppelin')).toEqual([]);
    expect(found(index, 'the')).toEqual([keep.id]);
    await index.flush(); // the removal already started a write; this waits for it
    expect(await storedText(vault, RECENT_BLOB)).not.toContain('zeppelin');

    index.stop();
    const again = (await open()).index;
    expect(found(again, 'zeppelin')).toEqual([]);
    expect(found(again, 'garden')).toEqual([keep.id]);
  });

  it('a removal from the merged base is vacuumed out of it before it is written', async () => {
    const { index } = await open(records, { mergeAt: 1 });
    const keep = msg('apples and pears');
    const gone = msg('quixotic secret plan');
    await records.saveMessage('c1', keep);
    await records.saveMessage('c1', gone);
    await index.flush(); // more than mergeAt: merged into base
    expect(await storedText(vault, BASE_BLOB)).toContain('quixotic');
    await records.removeMessage('c1', gone.id);
    await index.flush();
    expect(await storedText(vault, BASE_BLOB)).not.toContain('quixotic');
    expect(found(index, 'quixotic')).toEqual([]);
    expect(found(index, 'apples')).toEqual([keep.id]);
  });

  it('removing a conversation\'s messages at once removes them all', async () => {
    const { index } = await open();
    await records.saveMessage('c1', msg('walking helps'));
    const other = msg('walking the dog');
    await records.saveMessage('c2', other);
    await vault.deletePartition('messages', 'c1');
    expect(found(index, 'walking')).toEqual([other.id]);
  });
});

describe('search index: persistence', () => {
  it('comes back after a lock without a rebuild, encrypted (no word readable in IndexedDB)', async () => {
    const { index, states } = await open();
    expect(states).toEqual(['rebuilding', 'ready']); // nothing stored yet: built from the (empty) vault
    const a = msg('a sentence about lighthouses');
    await records.saveMessage('c1', a);
    await index.flush();
    index.stop();
    vault.lock();

    // What is on disk: every record's value is ciphertext.
    const { openDB } = await import('idb');
    const db = await openDB(dbName);
    const raw = await db.getAll('records');
    db.close();
    const rawText = raw.map((r: { v: Uint8Array }) => new TextDecoder('latin1').decode(r.v)).join('');
    expect(rawText).not.toContain('lighthouse');

    await vault.unlock(PASS);
    const again = await open();
    expect(again.states).toEqual(['ready']);
    expect(found(again.index, 'lighthouse')).toEqual([a.id]);
  });

  it('writes a burst of new messages once, after it, and leaves the large segment alone', async () => {
    const { index } = await open(records, { mergeAt: 1000 });
    for (let i = 0; i < 20; i++) await records.saveMessage('c1', msg(`older message number ${i}`));
    await index.flush();
    const writes = countSegmentWrites(vault);
    for (let i = 0; i < 30; i++) await records.saveMessage('c1', msg(`a new message ${i}`));
    expect(writes).toEqual({ base: 0, recent: 0 }); // nothing written per message
    await index.flush();
    expect(writes).toEqual({ base: 0, recent: 1 });
  });

  it('merges the recent segment into the base past MERGE_AT, and a merge cut short by a crash finds each message once', async () => {
    const { index } = await open(records, { mergeAt: 3 });
    const sent = [msg('harbour one'), msg('harbour two'), msg('harbour three'), msg('harbour four')];
    for (const m of sent) await records.saveMessage('c1', m);
    const recentBefore = await storedText(vault, RECENT_BLOB);
    await index.flush();
    expect(await storedText(vault, BASE_BLOB)).toContain('harbour');
    expect(await storedText(vault, RECENT_BLOB)).not.toContain('harbour');
    index.stop();
    // The crash: base written, the emptied recent not yet (the previous recent is put back).
    await writeBlob(vault, RECENT_BLOB, [new TextEncoder().encode(recentBefore)]);
    const again = await open(records, { mergeAt: 3 });
    expect(again.states).toEqual(['ready']);
    expect(found(again.index, 'harbour')).toEqual(sent.map((m) => m.id).reverse());
  });

  it('after a crash before the delayed write, finds what the vault stored since (only that conversation is read again)', async () => {
    const { index } = await open();
    await records.saveMessage('c1', msg('saved before'));
    await records.saveMessage('c2', msg('the other conversation'));
    await index.flush();
    const late = msg('written just before the crash');
    await records.saveMessage('c1', late);
    index.stop(); // the delayed write never ran
    const read: string[] = [];
    const spied = Object.assign(Object.create(records) as Records, {
      messages: (id: string, o?: { limit?: number; beforeKey?: string }) => (read.push(id), records.messages(id, o)),
    });
    const again = await open(spied);
    expect(again.states).toEqual(['ready']);
    expect(found(again.index, 'crash')).toEqual([late.id]);
    expect(read).toEqual(['c1']);
  });

  it('picks up what another tab stored when it reconciles', async () => {
    const { index } = await open();
    const other = await openVault(dbName);
    await other.unlock(PASS);
    const a = msg('written in the other tab');
    await new Records(other).saveMessage('c2', a);
    other.close();
    expect(found(index, 'tab')).toEqual([]);
    await index.reconcile();
    expect(found(index, 'tab')).toEqual([a.id]);
  });

  it('rebuilds from the messages when a segment is damaged', async () => {
    const { index } = await open();
    const a = msg('a damaged index is rebuilt');
    await records.saveMessage('c1', a);
    await index.flush();
    index.stop();
    // A chunk replaced with bytes that do not belong to this blob: bad_mac at read.
    await vault.put(BLOB_COLLECTION, BASE_BLOB, 0, new Uint8Array(64).fill(9));
    const again = await open();
    expect(again.states).toEqual(['rebuilding', 'ready']);
    expect(found(again.index, 'damaged')).toEqual([a.id]);
    expect(await storedText(vault, BASE_BLOB)).toContain('damaged'); // and written afresh
  });

  it('rebuilds when the stored index is of another format', async () => {
    const a = msg('format change');
    await records.saveMessage('c1', a);
    const stale = new TextEncoder().encode(JSON.stringify({ v: 0, keys: {}, index: {} }));
    await writeBlob(vault, BASE_BLOB, [stale]);
    await writeBlob(vault, RECENT_BLOB, [stale]);
    const { index, states } = await open();
    expect(states).toEqual(['rebuilding', 'ready']);
    expect(found(index, 'format')).toEqual([a.id]);
  });

  it('a conversation no longer in the vault leaves the index at the next reconcile', async () => {
    const { index } = await open();
    await records.saveMessage('c2', msg('about to go'));
    await vault.delete('conversations', '', 'c2');
    await index.reconcile();
    expect(found(index, 'about')).toEqual([]);
  });
});

describe('locating a result in its conversation', () => {
  it('counts the messages from the newest back to it, across pages', async () => {
    const all = Array.from({ length: 620 }, (_, i) => msg(`message ${i}`));
    await records.putJSONMany(all.flatMap((m) => records.messageOps('c1', m)));
    expect(await messagesFromNewest(records, 'c1', all[619]!.id)).toBe(1);
    expect(await messagesFromNewest(records, 'c1', all[100]!.id)).toBe(520);
    expect(await messagesFromNewest(records, 'c1', all[0]!.id)).toBe(620);
    expect(await messagesFromNewest(records, 'c1', 'absent')).toBeUndefined();
    expect(await messagesFromNewest(records, 'c2', all[0]!.id)).toBeUndefined();
  });
});
