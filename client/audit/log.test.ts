import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditExport } from '../../shared/audit.ts';
import { deriveIdentity, generateRootSecret, type Identity } from '../../shared/keys.ts';
import type { KdfCost } from '../vault/kdf.ts';
import { createVault, openVault, type Vault } from '../vault/vault.ts';
import { AuditLog } from './log.ts';

const FAST: KdfCost = { algorithm: 'argon2id', m: 64, t: 1, p: 1 };
let identity: Identity;
let n = 0;

beforeAll(async () => {
  identity = await deriveIdentity(generateRootSecret());
});

async function fresh(): Promise<{ vault: Vault; dbName: string }> {
  const dbName = `audit-${n++}`;
  return { vault: await createVault('device passphrase', { dbName, kdf: FAST }), dbName };
}

describe('AuditLog', () => {
  it('appends signed, chained entries in order and checks them', async () => {
    const { vault } = await fresh();
    let t = 1000;
    const log = new AuditLog(vault, identity, () => t++);
    await log.append('log_started');
    await log.append('unlock');
    await log.append('unlock_failed', { attempts: 2 });
    const entries = await log.entries();
    expect(entries.map((e) => [e.seq, e.type, e.at])).toEqual([
      [0, 'log_started', 1000],
      [1, 'unlock', 1001],
      [2, 'unlock_failed', 1002],
    ]);
    expect(entries[2]!.details).toEqual({ attempts: 2 });
    expect(await log.check()).toEqual({ ok: true, count: 3 });
  });

  it('keeps the log across a lock and a new handle on the database', async () => {
    const { vault, dbName } = await fresh();
    await new AuditLog(vault, identity).append('log_started');
    vault.lock();
    const again = await openVault(dbName);
    await again.unlock('device passphrase');
    const log = new AuditLog(again, identity);
    await log.append('unlock');
    expect((await log.entries()).map((e) => e.type)).toEqual(['log_started', 'unlock']);
    expect(await log.check()).toMatchObject({ ok: true, count: 2 });
  });

  it('two handles appending at once (two tabs) never give two entries one number', async () => {
    const { vault, dbName } = await fresh();
    const other = await openVault(dbName);
    await other.unlock('device passphrase');
    const a = new AuditLog(vault, identity);
    const b = new AuditLog(other, identity);
    await Promise.all([a.append('unlock'), b.append('unlock'), a.append('lock'), b.append('lock'), a.append('settings_changed')]);
    const entries = await a.entries();
    expect(entries.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(await a.check()).toEqual({ ok: true, count: 5 });
  });

  it('notices entries deleted from the database behind the vault (the newest one too)', async () => {
    const { vault, dbName } = await fresh();
    const log = new AuditLog(vault, identity);
    for (const type of ['log_started', 'unlock', 'lock'] as const) await log.append(type);
    // Whoever holds the device can delete IndexedDB rows without the vault key.
    const raw = await openDB(dbName);
    const keys = (await raw.getAllKeys('records')).filter((k) => Array.isArray(k) && k[0] === 'audit');
    expect(keys).toHaveLength(3);
    await raw.delete('records', keys.at(-1)!);
    raw.close();
    const check = await log.check();
    expect(check).toMatchObject({ ok: false, entry: 2 });
  });

  it('exports a file the standalone check accepts, with the export itself recorded', async () => {
    const { vault } = await fresh();
    const log = new AuditLog(vault, identity);
    await log.append('log_started');
    await log.append('unlock');
    const file = await log.export();
    expect(file.entries.map((e) => e.type)).toEqual(['log_started', 'unlock', 'audit_exported']);
    expect(file.entries[2]!.details).toEqual({ entries: 3 });
    expect(await verifyAuditExport(JSON.parse(JSON.stringify(file)))).toMatchObject({ ok: true, count: 3 });
  });

  it('refuses to append while locked, and record() does not throw', async () => {
    const { vault } = await fresh();
    const log = new AuditLog(vault, identity);
    vault.lock();
    await expect(log.append('unlock')).rejects.toMatchObject({ code: 'locked' });
    await expect(log.record('lock')).resolves.toBeUndefined();
  });
});
