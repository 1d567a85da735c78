// @vitest-environment node
/**
 * Unsent drafts in the vault (issue 9 item 12): one per conversation, encrypted like every
 * record, written as the person types (after a quiet moment) and at once before a lock, gone
 * once the message is sent. Real vaults on fake-indexeddb; timers injected, no wall-clock waits.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { createVault } from '../vault/vault.ts';
import { Drafts } from './drafts.ts';
import { Records } from './records.ts';

let n = 0;
const PASS = 'draft test passphrase';
const newVault = () => createVault(PASS, { dbName: `drafts-${process.pid}-${++n}`, kdf: { algorithm: 'argon2id', m: 64, t: 1, p: 1 } });

/** A manual timer queue: `fire()` runs what is due, as the page's clock would. */
function manualTimers() {
  let timers: { run: () => void; id: number; ms: number }[] = [];
  let next = 1;
  return {
    setTimer: (run: () => void, ms: number) => {
      const id = next++;
      timers.push({ run, id, ms });
      return id;
    },
    clearTimer: (id: unknown) => void (timers = timers.filter((t) => t.id !== id)),
    fire() {
      const due = timers;
      timers = [];
      for (const t of due) t.run();
    },
    pending: () => timers.map((t) => t.ms),
  };
}

/** Every byte IndexedDB holds for the vault, as a disk reader sees it. */
async function rawRecords(dbName: string): Promise<Uint8Array[]> {
  const db = await openDB(dbName);
  const rows = (await db.getAll('records')) as { v: Uint8Array }[];
  db.close();
  return rows.map((r) => r.v);
}
const contains = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).includes(Buffer.from(needle));

describe('Records: drafts', () => {
  it('keeps one draft per conversation, encrypted, and removes it', async () => {
    const vault = await newVault();
    const records = new Records(vault);
    const text = 'Draft about Thursday, Okonkwo, not sent yet';
    await records.saveDraft('conv-a', { text, urgent: true, savedAt: 5 });
    await records.saveDraft('conv-b', { text: 'another', savedAt: 6 });
    expect(await records.draft('conv-a')).toEqual({ text, urgent: true, savedAt: 5 });
    expect((await records.draft('conv-b'))?.text).toBe('another');
    expect(await records.draft('conv-c')).toBeUndefined();

    // On disk: ciphertext only.
    const raw = await rawRecords(vault.dbName);
    expect(raw.some((v) => contains(v, new TextEncoder().encode('Okonkwo')))).toBe(false);

    await records.removeDraft('conv-a');
    expect(await records.draft('conv-a')).toBeUndefined();
    expect((await records.draft('conv-b'))?.text).toBe('another');
  });

  it('survives lock and unlock, and cannot be read while locked', async () => {
    const vault = await newVault();
    await new Records(vault).saveDraft('conv-a', { text: 'before the lock', savedAt: 1 });
    vault.lock();
    await expect(new Records(vault).draft('conv-a')).rejects.toMatchObject({ code: 'locked' });
    await vault.unlock(PASS);
    expect((await new Records(vault).draft('conv-a'))?.text).toBe('before the lock');
  });
});

describe('Drafts: saved as the person types', () => {
  it('writes after a quiet moment, the latest text only', async () => {
    const vault = await newVault();
    const records = new Records(vault);
    const timers = manualTimers();
    const drafts = new Drafts(records, { ...timers, now: () => 42 });
    drafts.update('conv-a', { text: 'H' });
    drafts.update('conv-a', { text: 'Hello' });
    expect(timers.pending()).toHaveLength(1);
    // Not written yet, but what the person typed is what get() answers.
    expect(await records.draft('conv-a')).toBeUndefined();
    expect((await drafts.get('conv-a'))?.text).toBe('Hello');
    timers.fire();
    await drafts.flush();
    expect(await records.draft('conv-a')).toEqual({ text: 'Hello', savedAt: 42 });
  });

  it('flush() writes what waits at once, so a lock right after keeps it', async () => {
    const vault = await newVault();
    const records = new Records(vault);
    const timers = manualTimers();
    const drafts = new Drafts(records, timers);
    drafts.update('conv-a', { text: 'typed just before the auto-lock', replyTo: 'm1' });
    await drafts.flush();
    expect(timers.pending()).toHaveLength(0);
    vault.lock();
    drafts.stop();
    await vault.unlock(PASS);
    const after = new Drafts(new Records(vault), manualTimers());
    expect(await after.get('conv-a')).toMatchObject({ text: 'typed just before the auto-lock', replyTo: 'm1' });
  });

  it('an emptied composer removes the draft; a sent message discards it, even with a write pending', async () => {
    const vault = await newVault();
    const records = new Records(vault);
    const timers = manualTimers();
    const drafts = new Drafts(records, timers);
    drafts.update('conv-a', { text: 'first' });
    drafts.update('conv-b', { text: 'other conversation' });
    await drafts.flush();
    drafts.update('conv-a', { text: '' });
    await drafts.flush();
    expect(await records.draft('conv-a')).toBeUndefined();

    drafts.update('conv-b', { text: 'other conversation, longer' });
    await drafts.discard('conv-b');
    timers.fire();
    await drafts.flush();
    expect(await records.draft('conv-b')).toBeUndefined();
    expect(await drafts.get('conv-b')).toBeUndefined();
  });

  it('writes land in the order they were made', async () => {
    const vault = await newVault();
    const records = new Records(vault);
    const drafts = new Drafts(records, manualTimers());
    for (let i = 1; i <= 20; i++) {
      drafts.update('conv-a', { text: 'x'.repeat(i) });
      void drafts.flush();
    }
    await drafts.flush();
    expect((await records.draft('conv-a'))?.text).toBe('x'.repeat(20));
  });

  it('a write the locked vault refuses does not break later ones', async () => {
    const vault = await newVault();
    const records = new Records(vault);
    const drafts = new Drafts(records, manualTimers());
    vault.lock();
    drafts.update('conv-a', { text: 'lost: the vault is locked' });
    await expect(drafts.flush()).resolves.toBeUndefined();
    await vault.unlock(PASS);
    drafts.update('conv-a', { text: 'kept' });
    await drafts.flush();
    expect((await records.draft('conv-a'))?.text).toBe('kept');
  });
});
