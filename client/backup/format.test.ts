import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveIdentity, generateRootSecret, type Identity } from '../../shared/keys.ts';
import type { KdfCost } from '../vault/kdf.ts';
import { createVault, restoreVault, vaultExists, openVault, type Vault } from '../vault/vault.ts';
import { BackupError, openBackup, writeBackup, type BackupSecrets } from './format.ts';

const FAST: KdfCost = { algorithm: 'argon2id', m: 64, t: 1, p: 1 };
let rootSecret: Uint8Array;
let identity: Identity;
let n = 0;

beforeAll(async () => {
  rootSecret = generateRootSecret();
  identity = await deriveIdentity(rootSecret);
});

const secrets = (extra: Partial<BackupSecrets> = {}): BackupSecrets => ({ rootSecret, signingKey: identity.publicIdentity.signingKey, kdf: FAST, ...extra });

async function filledVault(): Promise<Vault> {
  const vault = await createVault('old device passphrase', { dbName: `backup-src-${n++}`, kdf: FAST });
  await vault.putJSON('conversations', '', 'c1', { label: 'J., Tuesday 3pm', unread: 2 });
  for (let i = 0; i < 40; i++) await vault.putJSON('messages', 'c1', i, { text: `message ${i} ${'x'.repeat(i * 10)}` });
  // Attachment-sized values spanning several frames.
  const big = new Uint8Array(700 * 1024).map((_, i) => i % 251);
  for (let i = 0; i < 3; i++) await vault.put('blobs', `blob-${i}`, 0, big);
  await vault.put('protocol', '', 'root-secret', rootSecret);
  return vault;
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of stream as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

async function backupOf(vault: Vault, extra: Partial<BackupSecrets> = {}): Promise<Uint8Array> {
  const b = await writeBackup({ keys: vault.backupKeys(), records: () => vault.rawRecords(16), secrets: secrets(extra), createdAt: 1_800_000_000_000 });
  const bytes = await bytesOf(b.stream);
  expect(await b.done).toMatchObject({ bytes: bytes.length });
  return bytes;
}

const streamOf = (bytes: Uint8Array, chunk = 100_000): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(c) {
      for (let o = 0; o < bytes.length; o += chunk) c.enqueue(bytes.slice(o, o + chunk));
      c.close();
    },
  });

async function restore(bytes: Uint8Array, secret: { rootSecret: Uint8Array } | { passphrase: string }): Promise<{ vault: Vault; dbName: string }> {
  const dbName = `backup-dst-${n++}`;
  const body = await (await openBackup(streamOf(bytes))).unlock(secret);
  return { vault: await restoreVault(body, body.records, 'new device passphrase', { dbName, kdf: FAST }), dbName };
}

describe('backup file', () => {
  it('restores every record into a new vault under a new passphrase, readable as before', async () => {
    const source = await filledVault();
    const bytes = await backupOf(source);
    const { vault, dbName } = await restore(bytes, { rootSecret });
    expect(await vault.getJSON('conversations', '', 'c1')).toEqual({ label: 'J., Tuesday 3pm', unread: 2 });
    expect((await vault.listJSON('messages', 'c1')).map((e) => e.id)).toEqual([...Array(40).keys()]);
    expect((await vault.get('blobs', 'blob-2', 0))?.length).toBe(700 * 1024);
    expect(await vault.get('protocol', '', 'root-secret')).toEqual(rootSecret);
    // The new passphrase opens it; the old one does not.
    vault.lock();
    const again = await openVault(dbName);
    await expect(again.unlock('old device passphrase')).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await again.unlock('new device passphrase');
    expect(await again.getJSON('conversations', '', 'c1')).toMatchObject({ unread: 2 });
  });

  it('hides what the vault holds: no collection name or record id in the file', async () => {
    const bytes = await backupOf(await filledVault());
    const text = new TextDecoder('latin1').decode(bytes);
    for (const needle of ['conversations', 'messages', 'blob-1', 'root-secret', 'J., Tuesday']) expect(text).not.toContain(needle);
  });

  it('opens with the backup passphrase when one was set, and says which secret is wrong', async () => {
    const source = await filledVault();
    const bytes = await backupOf(source, { passphrase: 'backup passphrase' });
    const { vault } = await restore(bytes, { passphrase: 'backup passphrase' });
    expect(await vault.getJSON('conversations', '', 'c1')).toMatchObject({ unread: 2 });
    await expect((await openBackup(streamOf(bytes))).unlock({ passphrase: 'another' })).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await expect((await openBackup(streamOf(bytes))).unlock({ rootSecret: generateRootSecret() })).rejects.toMatchObject({ code: 'wrong_phrase' });
    const phraseOnly = await backupOf(source);
    await expect((await openBackup(streamOf(phraseOnly))).unlock({ passphrase: 'backup passphrase' })).rejects.toMatchObject({ code: 'wrong_passphrase' });
  });

  it('refuses a damaged or cut file and leaves no vault behind', async () => {
    const bytes = await backupOf(await filledVault());
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length * 0.6)]! ^= 1;
    const cut = bytes.slice(0, Math.floor(bytes.length * 0.8));
    for (const bad of [flipped, cut]) {
      const dbName = `backup-bad-${n++}`;
      const body = await (await openBackup(streamOf(bad))).unlock({ rootSecret });
      await expect(restoreVault(body, body.records, 'p', { dbName, kdf: FAST })).rejects.toBeInstanceOf(BackupError);
      expect(await vaultExists(dbName)).toBe(false);
    }
  });

  it('refuses what is not a backup, or a header that was edited', async () => {
    await expect(openBackup(streamOf(new TextEncoder().encode('hello, this is a text file')))).rejects.toMatchObject({ code: 'not_a_backup' });
    const bytes = await backupOf(await filledVault());
    const text = new TextDecoder().decode(bytes.subarray(20, 20 + new DataView(bytes.buffer).getUint32(16)));
    const edited = text.replace(/"createdAt":\d+/, '"createdAt":1');
    const enc = new TextEncoder().encode(edited);
    const out = new Uint8Array(bytes.length - text.length + enc.length);
    out.set(bytes.subarray(0, 16));
    new DataView(out.buffer).setUint32(16, enc.length);
    out.set(enc, 20);
    out.set(bytes.subarray(20 + text.length), 20 + enc.length);
    await expect((await openBackup(streamOf(out))).unlock({ rootSecret })).rejects.toMatchObject({ code: 'wrong_phrase' });
  });

  it('a vault written to while the backup runs still backs up whole', async () => {
    const source = await filledVault();
    const b = await writeBackup({ keys: source.backupKeys(), records: () => source.rawRecords(8), secrets: secrets(), createdAt: 1 });
    const reader = b.stream.getReader();
    const parts: Uint8Array[] = [(await reader.read()).value!];
    await source.putJSON('messages', 'c1', 1000, { text: 'written during the backup' });
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) (bytes.set(p, o), (o += p.length));
    const { vault } = await restore(bytes, { rootSecret });
    expect(await vault.getJSON('messages', 'c1', 1000)).toEqual({ text: 'written during the backup' });
  });
});
