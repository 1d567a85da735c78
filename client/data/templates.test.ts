// @vitest-environment node
/**
 * Reply templates in the vault (issue 11, "Triage"): written, listed in the order written,
 * changed, removed, encrypted at rest like every record, and refused when blank or too long.
 * A real vault on fake-indexeddb.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH } from '../../shared/consts.ts';
import { createVault } from '../vault/vault.ts';
import { Templates } from './templates.ts';

let n = 0;
const PASS = 'templates test passphrase';
const newVault = () => createVault(PASS, { dbName: `templates-${process.pid}-${++n}`, kdf: { algorithm: 'argon2id', m: 64, t: 1, p: 1 } });

describe('reply templates', () => {
  it('are listed in the order they were written, changed in place, and removed', async () => {
    const templates = new Templates(await newVault());
    const late = await templates.save({ title: 'Running late', text: 'I am running about ten minutes late.' }, 2_000);
    const received = await templates.save({ title: '', text: 'Thank you for your message.\nI will reply tomorrow.' }, 1_000);
    expect(received.title).toBe('Thank you for your message.');
    expect((await templates.list()).map((t) => t.title)).toEqual(['Thank you for your message.', 'Running late']);

    const changed = await templates.save({ id: late.id, title: 'Late', text: 'Five minutes late, sorry.' }, 3_000);
    expect(changed).toEqual({ id: late.id, title: 'Late', text: 'Five minutes late, sorry.', createdAt: 2_000 });
    expect(await templates.list()).toHaveLength(2);

    await templates.remove(received.id);
    expect((await templates.list()).map((t) => t.text)).toEqual(['Five minutes late, sorry.']);
  });

  it('refuses a blank text and one longer than a message may be', async () => {
    const templates = new Templates(await newVault());
    await expect(templates.save({ title: 'Empty', text: '   ' }, 1)).rejects.toThrow(RangeError);
    await expect(templates.save({ title: 'Long', text: 'x'.repeat(MAX_TEXT_LENGTH + 1) }, 1)).rejects.toThrow(/at most 16,000 characters/);
    expect(await templates.list()).toEqual([]);
  });

  it('are encrypted at rest: the words are nowhere in IndexedDB', async () => {
    const vault = await newVault();
    const templates = new Templates(vault);
    await templates.save({ title: 'Crisis plan reminder', text: 'Remember the steps of your crisis plan we wrote together.' }, 1);
    const db = await openDB(vault.dbName);
    const rows = (await db.getAll('records')) as { v: Uint8Array }[];
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    for (const needle of ['crisis plan', 'Crisis plan reminder']) expect(rows.some((r) => Buffer.from(r.v).includes(Buffer.from(needle)))).toBe(false);
  });
});
