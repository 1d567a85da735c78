// @vitest-environment node
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from './codec.ts';
import { VaultError } from './errors.ts';
import { DEFAULT_KDF, type KdfCost } from './kdf.ts';
import { createVault, openVault, vaultExists, type Vault, type VaultChange } from './vault.ts';

/** Cheap KDF for tests; one test below uses DEFAULT_KDF. */
const FAST: KdfCost = { algorithm: 'argon2id', m: 64, t: 1, p: 1 };
let n = 0;
const freshName = () => `vault-test-${process.pid}-${++n}`;
const bytes = (...b: number[]) => Uint8Array.from(b);

async function rejectsWith(p: Promise<unknown>, code: VaultError['code']): Promise<VaultError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `expected a ${code} rejection`).toBeInstanceOf(VaultError);
  expect((e as VaultError).code).toBe(code);
  return e as VaultError;
}

/** Raw access to the records store, as an attacker with the disk (or another profile) has it. */
async function rawDb(name: string) {
  return openDB(name);
}

describe('create / unlock / lock', () => {
  it('creates an unlocked vault, re-opens locked, unlocks with the passphrase', async () => {
    const dbName = freshName();
    const v = await createVault('correct horse', { dbName, kdf: FAST });
    expect(v.isUnlocked).toBe(true);
    await v.put('settings', '', 'theme', bytes(1, 2, 3));
    v.close();

    expect(await vaultExists(dbName)).toBe(true);
    const again = await openVault(dbName);
    expect(again.isUnlocked).toBe(false);
    await rejectsWith(again.get('settings', '', 'theme'), 'locked');
    await again.unlock('correct horse');
    expect(await again.get('settings', '', 'theme')).toEqual(bytes(1, 2, 3));
    again.close();
  });

  it('refuses a wrong passphrase with wrong_passphrase and changes nothing', async () => {
    const dbName = freshName();
    const v = await createVault('correct horse', { dbName, kdf: FAST });
    await v.put('c', 'p', 1, bytes(9));
    v.close();
    const before = await (await rawDb(dbName)).getAll('meta');

    const h = await openVault(dbName);
    const e = await rejectsWith(h.unlock('Correct horse'), 'wrong_passphrase');
    expect(e.message).not.toContain('orse');
    expect(h.isUnlocked).toBe(false);
    await rejectsWith(h.get('c', 'p', 1), 'locked');
    const raw = await rawDb(dbName);
    expect(await raw.getAll('meta')).toEqual(before);
    raw.close();
    await h.unlock('correct horse');
    expect(await h.get('c', 'p', 1)).toEqual(bytes(9));
    h.close();
  });

  it('normalises the passphrase (NFKC): composed and decomposed accents unlock alike', async () => {
    const dbName = freshName();
    (await createVault('caf\u00e9 ｔｅａ', { dbName, kdf: FAST })).close();
    const h = await openVault(dbName);
    await h.unlock('cafe\u0301 tea');
    expect(h.isUnlocked).toBe(true);
    h.close();
  });

  it('lock drops access until the next unlock and tells listeners', async () => {
    const dbName = freshName();
    const v = await createVault('pw', { dbName, kdf: FAST });
    const seen: boolean[] = [];
    v.onLockChange((u) => seen.push(u));
    await v.put('c', '', 'a', bytes(1));
    v.lock();
    expect(v.isUnlocked).toBe(false);
    await rejectsWith(v.get('c', '', 'a'), 'locked');
    await rejectsWith(v.put('c', '', 'b', bytes(2)), 'locked');
    await rejectsWith(v.list('c', ''), 'locked');
    await v.unlock('pw');
    expect(await v.get('c', '', 'a')).toEqual(bytes(1));
    expect(seen).toEqual([false, true]);
    v.close();
  });

  it('refuses to create over an existing vault, and to open where there is none', async () => {
    const dbName = freshName();
    const v = await createVault('pw', { dbName, kdf: FAST });
    await rejectsWith(createVault('other', { dbName, kdf: FAST }), 'exists');
    v.close();
    await rejectsWith(openVault(freshName()), 'no_vault');
    expect(await vaultExists(freshName())).toBe(false);
  });

  it('works with the real default KDF parameters (Argon2id 19 MiB, t = 2)', async () => {
    const dbName = freshName();
    const progress: number[] = [];
    const v = await createVault('a long passphrase of several words', { dbName, onProgress: (f) => progress.push(f) });
    expect(v.kdf).toEqual(DEFAULT_KDF);
    expect(progress.length).toBeGreaterThan(0);
    await v.putJSON('settings', '', 'x', { ok: true });
    v.close();
    const h = await openVault(dbName);
    await rejectsWith(h.unlock('a long passphrase of several word'), 'wrong_passphrase');
    await h.unlock('a long passphrase of several words');
    expect(await h.getJSON('settings', '', 'x')).toEqual({ ok: true });
    h.close();
  });

  it('changePassphrase keeps every record; the old passphrase stops working', async () => {
    const dbName = freshName();
    const v = await createVault('old pw', { dbName, kdf: FAST });
    await v.putMany(Array.from({ length: 20 }, (_, i) => ({ collection: 'messages', partition: 'conv', id: i, value: bytes(i) })));
    await rejectsWith(v.changePassphrase('not it', 'new pw'), 'wrong_passphrase');
    await v.changePassphrase('old pw', 'new pw', { kdf: { algorithm: 'scrypt', N: 16, r: 8, p: 1 } });
    expect(v.isUnlocked).toBe(true);
    expect(v.kdf).toEqual({ algorithm: 'scrypt', N: 16, r: 8, p: 1 });
    v.close();

    const h = await openVault(dbName);
    await rejectsWith(h.unlock('old pw'), 'wrong_passphrase');
    await h.unlock('new pw');
    const all = await h.list('messages', 'conv');
    expect(all.map((e) => e.id)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(all.map((e) => e.value[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    h.close();
  });

  it('a second handle (another tab) is closed when the first destroys the vault, and sees passphrase changes', async () => {
    const dbName = freshName();
    const first = await createVault('pw', { dbName, kdf: FAST });
    const second = await openVault(dbName);
    await first.changePassphrase('pw', 'new pw');
    await rejectsWith(second.unlock('pw'), 'wrong_passphrase');
    await second.unlock('new pw');
    await first.put('c', '', 1, bytes(5));
    expect(await second.get('c', '', 1)).toEqual(bytes(5));
    const seen: boolean[] = [];
    second.onLockChange((u) => seen.push(u));
    await first.destroy();
    expect(seen).toEqual([false]);
    await rejectsWith(second.get('c', '', 1), 'closed');
    await rejectsWith(second.unlock('new pw'), 'closed');
  });

  it('destroy erases the wrapped key and the database', async () => {
    const dbName = freshName();
    const v = await createVault('pw', { dbName, kdf: FAST });
    await v.put('c', '', 1, bytes(1));
    await v.destroy();
    await rejectsWith(v.get('c', '', 1), 'closed');
    expect(await vaultExists(dbName)).toBe(false);
  });
});

describe('records', () => {
  async function unlocked(): Promise<{ v: Vault; dbName: string }> {
    const dbName = freshName();
    return { v: await createVault('pw', { dbName, kdf: FAST }), dbName };
  }

  it('round-trips bytes and values; get of a missing id is undefined; delete removes', async () => {
    const { v } = await unlocked();
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) & 0xff);
    await v.put('attachments', 'a1', 'bytes', big);
    await v.put('empty', '', '', new Uint8Array(0));
    expect(await v.get('attachments', 'a1', 'bytes')).toEqual(big);
    expect(await v.get('empty', '', '')).toEqual(new Uint8Array(0));
    expect(await v.get('attachments', 'a1', 'nope')).toBeUndefined();
    expect(await v.get('attachments', 'a2', 'bytes')).toBeUndefined();

    const value = { text: 'hi', n: 3.5, ok: false, none: null, key: bytes(1, 2), list: [1, 'two', bytes(3)], $b: 'not bytes', nested: { $$x: 1 } };
    await v.putJSON('messages', 'conv', 1, value);
    expect(await v.getJSON('messages', 'conv', 1)).toEqual(value);

    await v.delete('messages', 'conv', 1);
    expect(await v.get('messages', 'conv', 1)).toBeUndefined();
    v.close();
  });

  it('getMany reads ids of one partition in order, undefined where there is none, and is locked out like get', async () => {
    const { v } = await unlocked();
    await v.putMany([
      { collection: 'keys', partition: 'conv', id: 'a', value: bytes(1) },
      { collection: 'keys', partition: 'conv', id: 'c', value: bytes(3, 3) },
      { collection: 'keys', partition: 'other', id: 'b', value: bytes(2) },
    ]);
    expect(await v.getMany('keys', 'conv', ['c', 'b', 'a', 'c'])).toEqual([bytes(3, 3), undefined, bytes(1), bytes(3, 3)]);
    expect(await v.getMany('keys', 'conv', [])).toEqual([]);
    v.lock();
    await rejectsWith(v.getMany('keys', 'conv', ['a']), 'locked');
    v.close();
  });

  it('stores no partition name or plaintext in the clear', async () => {
    const { v, dbName } = await unlocked();
    await v.putJSON('messages', 'conversation-with-alice', 7, { text: 'secret words' });
    const raw = await rawDb(dbName);
    const rows = await raw.getAll('records');
    raw.close();
    expect(rows).toHaveLength(1);
    const dump = JSON.stringify(rows, (_k, x) => (x instanceof Uint8Array ? new TextDecoder().decode(x) : x));
    expect(dump).not.toContain('alice');
    expect(dump).not.toContain('secret');
    expect(rows[0].c).toBe('messages');
    expect(rows[0].k).toBe(7);
    // Same partition name in another collection blinds differently (unlinkable).
    await v.putJSON('labels', 'conversation-with-alice', 7, 'x');
    const raw2 = await rawDb(dbName);
    const ps = (await raw2.getAll('records')).map((r: { p: string }) => r.p);
    raw2.close();
    expect(new Set(ps).size).toBe(2);
    v.close();
  });

  it('a ciphertext moved to another id, partition or collection fails with bad_mac, not garbage', async () => {
    const { v, dbName } = await unlocked();
    await v.put('messages', 'conv-a', 1, bytes(1, 1, 1));
    await v.put('messages', 'conv-a', 2, bytes(2, 2, 2));
    await v.put('messages', 'conv-b', 1, bytes(3, 3, 3));
    await v.put('drafts', 'conv-a', 1, bytes(4, 4, 4));
    const raw = await rawDb(dbName);
    const rows = await raw.getAll('records');
    const find = (c: string, k: number, other?: string) => rows.find((r) => r.c === c && r.k === k && (other === undefined || r.p !== other))!;
    const a1 = rows.find((r) => r.c === 'messages' && r.k === 1 && rows.filter((x) => x.p === r.p).length === 2)!;
    const a2 = find('messages', 2);
    const b1 = find('messages', 1, a1.p);
    const d1 = find('drafts', 1);
    // Swap a1's ciphertext into a2's id, b1's into a1's partition slot, a1's into drafts.
    await raw.put('records', { ...a2, v: a1.v });
    await raw.put('records', { ...b1, v: a1.v });
    await raw.put('records', { ...d1, v: a1.v });
    raw.close();

    expect(await v.get('messages', 'conv-a', 1)).toEqual(bytes(1, 1, 1));
    await rejectsWith(v.get('messages', 'conv-a', 2), 'bad_mac');
    await rejectsWith(v.get('messages', 'conv-b', 1), 'bad_mac');
    await rejectsWith(v.get('drafts', 'conv-a', 1), 'bad_mac');
    await rejectsWith(v.list('messages', 'conv-a'), 'bad_mac');
    v.close();
  });

  it('any flipped byte of a stored record is bad_mac (or a version/length error), never a value', async () => {
    const { v, dbName } = await unlocked();
    await v.put('c', 'p', 'id', bytes(10, 20, 30, 40));
    const raw = await rawDb(dbName);
    const [row] = await raw.getAll('records');
    const original: Uint8Array = row.v;
    for (let i = 0; i < original.length; i++) {
      const t = original.slice();
      t[i]! ^= 0x01;
      await raw.put('records', { ...row, v: t });
      const e = await v.get('c', 'p', 'id').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(VaultError.is(e), `byte ${i}`).toBe(true);
      expect(['bad_mac', 'unsupported_version']).toContain((e as VaultError).code);
    }
    await raw.put('records', { ...row, v: original.slice(0, 20) });
    await rejectsWith(v.get('c', 'p', 'id'), 'malformed');
    await raw.put('records', row);
    raw.close();
    expect(await v.get('c', 'p', 'id')).toEqual(bytes(10, 20, 30, 40));
    v.close();
  });

  it('an edited header (KDF parameters) does not unlock: wrong_passphrase', async () => {
    const dbName = freshName();
    (await createVault('pw', { dbName, kdf: FAST })).close();
    const raw = await rawDb(dbName);
    const header = await raw.get('meta', 'header');
    await raw.put('meta', { ...header, kdf: { ...header.kdf, t: 2 } }, 'header');
    raw.close();
    const h = await openVault(dbName);
    await rejectsWith(h.unlock('pw'), 'wrong_passphrase');
    h.close();
  });

  it('pages a 2,500-message conversation in id order, both directions, with limit and after', async () => {
    const { v } = await unlocked();
    const total = 2500;
    // Written out of order, in several batches, with a neighbour partition around it.
    const ids = Array.from({ length: total }, (_, i) => (i * 7919) % total);
    for (let i = 0; i < total; i += 500) {
      await v.putMany(ids.slice(i, i + 500).map((id) => ({ collection: 'messages', partition: 'conv', id, value: encodeValue({ seq: id }) })));
    }
    await v.putMany([0, 1, 2].map((id) => ({ collection: 'messages', partition: 'other', id, value: bytes(id) })));
    expect(await v.count('messages', 'conv')).toBe(total);
    expect(await v.count('messages', 'other')).toBe(3);
    expect(await v.count('messages', 'nobody')).toBe(0);

    const seen: number[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await v.list('messages', 'conv', { limit: 300, reverse: true, ...(after !== undefined ? { after } : {}) });
      if (page.length === 0) break;
      for (const e of page) seen.push(decodeValue<{ seq: number }>(e.value).seq);
      after = page.at(-1)!.id as number;
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => total - 1 - i));

    const fwd = await v.listJSON<{ seq: number }>('messages', 'conv', { after: 2489 });
    expect(fwd.map((e) => e.id)).toEqual([2490, 2491, 2492, 2493, 2494, 2495, 2496, 2497, 2498, 2499]);
    expect((await v.list('messages', 'conv', { limit: 3 })).map((e) => e.id)).toEqual([0, 1, 2]);
    expect(await v.list('messages', 'conv', { limit: 0 })).toEqual([]);

    await v.deletePartition('messages', 'conv');
    expect(await v.count('messages', 'conv')).toBe(0);
    expect(await v.count('messages', 'other')).toBe(3);
    v.close();
  });

  it('orders string ids lexicographically and numbers before strings', async () => {
    const { v } = await unlocked();
    await v.putMany(['b', 'a', 'c', 10, 2].map((id) => ({ collection: 'c', partition: '', id, value: bytes(0) })));
    expect((await v.list('c', '')).map((e) => e.id)).toEqual([2, 10, 'a', 'b', 'c']);
    expect((await v.list('c', '', { reverse: true, after: 'b' })).map((e) => e.id)).toEqual(['a', 10, 2]);
    v.close();
  });

  it('putMany of 500 records is one transaction: one bad entry and none is stored', async () => {
    const { v } = await unlocked();
    const good = Array.from({ length: 500 }, (_, i) => ({ collection: 'messages', partition: 'conv', id: i, value: bytes(i & 0xff) }));
    const bad = [...good.slice(0, 250), { collection: 'messages', partition: 'conv', id: 250, value: 'not bytes' as unknown as Uint8Array }, ...good.slice(251)];
    await rejectsWith(v.putMany(bad), 'invalid_argument');
    expect(await v.count('messages', 'conv')).toBe(0);

    await v.putMany(good);
    expect(await v.count('messages', 'conv')).toBe(500);

    // A failure inside the IndexedDB transaction itself (an invalid key) rolls back the lot.
    await v.batch([{ type: 'delete', collection: 'messages', partition: 'conv', id: 0 }]);
    const aborting = v.batch([
      { type: 'put', collection: 'messages', partition: 'conv', id: 0, value: bytes(1) },
      { type: 'delete', collection: 'messages', partition: 'conv', id: 1 },
      { type: 'put', collection: 'messages', partition: 'conv', id: Number.NaN, value: bytes(1) },
    ]);
    await rejectsWith(aborting, 'invalid_argument');
    expect(await v.count('messages', 'conv')).toBe(499);
    expect(await v.get('messages', 'conv', 1)).toEqual(bytes(1));
    v.close();
  });

  it('checks arguments with invalid_argument', async () => {
    const { v } = await unlocked();
    await rejectsWith(v.put('', 'p', 1, bytes(1)), 'invalid_argument');
    await rejectsWith(v.put('c', 3 as unknown as string, 1, bytes(1)), 'invalid_argument');
    await rejectsWith(v.put('c', 'p', Infinity, bytes(1)), 'invalid_argument');
    await rejectsWith(v.put('c', 'p', {} as unknown as string, bytes(1)), 'invalid_argument');
    await rejectsWith(v.put('c', 'p', 1, [1] as unknown as Uint8Array), 'invalid_argument');
    await rejectsWith(v.list('c', 'p', { limit: -1 }), 'invalid_argument');
    await rejectsWith(v.putJSON('c', 'p', 1, new Date() as unknown as null), 'invalid_argument');
    v.close();
  });

  it('persists across re-open: a second handle on the same database reads what the first wrote', async () => {
    const dbName = freshName();
    const v = await createVault('pw', { dbName, kdf: FAST });
    await v.putJSON('conversations', '', 'c1', { title: 'Alice' });
    await v.putJSON('messages', 'c1', 1, { text: 'one' });
    v.close();
    const h = await openVault(dbName);
    await h.unlock('pw');
    expect(await h.getJSON('conversations', '', 'c1')).toEqual({ title: 'Alice' });
    expect(await h.listJSON('messages', 'c1')).toEqual([{ id: 1, value: { text: 'one' } }]);
    h.close();
    await rejectsWith(h.get('messages', 'c1', 1), 'closed');
  });

  it('keeps two databases apart', async () => {
    const a = await createVault('pw', { dbName: freshName(), kdf: FAST });
    const b = await createVault('pw', { dbName: freshName(), kdf: FAST });
    await a.put('c', '', 1, bytes(1));
    expect(await b.get('c', '', 1)).toBeUndefined();
    a.close();
    b.close();
  });
});

describe('commit listeners', () => {
  it('hear each committed batch and partition removal after it landed, never a rolled-back one; a failing listener does not undo the write', async () => {
    const v = await createVault('correct horse', { dbName: freshName(), kdf: FAST });
    const heard: (readonly VaultChange[])[] = [];
    const stop = v.onCommit((changes) => heard.push(changes));
    v.onCommit(() => {
      throw new Error('listener bug');
    });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      await v.put('c', 'p', 1, bytes(1));
      expect(await v.get('c', 'p', 1)).toEqual(bytes(1)); // landed before the listener heard it
      expect(heard).toEqual([[{ type: 'put', collection: 'c', partition: 'p', id: 1, value: bytes(1) }]]);
      await rejectsWith(v.batch([{ type: 'delete', collection: 'c', partition: 'p', id: 1 }], { expect: [{ collection: 'c', partition: 'p', id: 1, version: undefined }] }), 'conflict');
      expect(heard).toHaveLength(1);
      await v.deletePartition('c', 'p');
      expect(heard[1]).toEqual([{ type: 'delete-partition', collection: 'c', partition: 'p' }]);
      expect(errors).toHaveLength(2); // the failing listener, once per commit
      stop();
      await v.put('c', 'p', 2, bytes(2));
      expect(heard).toHaveLength(2);
    } finally {
      console.error = original;
      v.close();
    }
  });
});
