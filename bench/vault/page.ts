/**
 * The vault workloads bench/vault/measure-vault.ts times in headless Chromium (real IndexedDB, real
 * WebCrypto): create and unlock with the default KDF, a 500-message backlog opened through
 * shared/session.ts and stored, and paging a 2,500-message conversation. Not part of the app;
 * bundled on the fly by the measurement script. Figures go to docs/VAULT.md; nothing asserts.
 * @module
 */
import { MemoryProtocolStore } from '../../shared/memory-store.ts';
import { addressOf, openMessage, sealMessage, startSession } from '../../shared/session.ts';
import { encodeValue } from '../../client/vault/codec.ts';
import { VaultProtocolStore } from '../../client/vault/protocol-store.ts';
import { createVault, openVault } from '../../client/vault/vault.ts';
import { asMailboxId } from '../../shared/ids.ts';

export interface BenchResult {
  readonly name: string;
  /** Wall time. */
  readonly ms: number;
  /** CPU time of the page's main thread, when the runner provides a clock. */
  readonly cpuMs?: number;
}

const MAILBOX = asMailboxId(new Uint8Array(16).fill(1));

/** `cpuClock`: main-thread CPU milliseconds so far (the runner reads DevTools' ThreadTime). */
export async function runVaultBench(runs = 3, cpuClock?: () => Promise<number>): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const cpuStart = cpuClock ? await cpuClock() : 0;
    const start = performance.now();
    const r = await f();
    const ms = Math.round(performance.now() - start);
    out.push(cpuClock ? { name, ms, cpuMs: Math.round((await cpuClock()) - cpuStart) } : { name, ms });
    return r;
  };
  const dbName = `vault-bench-${Date.now()}`;
  const passphrase = 'a passphrase of several words';
  const created = await time('create (default KDF)', () => createVault(passphrase, { dbName }));
  created.close();
  for (let i = 0; i < runs; i++) {
    const v = await openVault(dbName);
    await time('unlock (default KDF)', () => v.unlock(passphrase));
    v.close();
  }
  const vault = await openVault(dbName);
  await vault.unlock(passphrase);

  // A backlog of 500 incoming messages: each unsealed and ratchet-decrypted through the vault
  // store (session committed per message, as shared/session.ts does), then the plaintexts
  // stored in one batch.
  const alice = await MemoryProtocolStore.create();
  const store = await VaultProtocolStore.create(vault);
  await store.generateSignedPreKey();
  await store.generateKemPreKey();
  await store.generateOneTimePreKeys(1);
  const bobAddress = addressOf((await store.getIdentity()).publicIdentity);
  await startSession(alice, bobAddress, await store.bundle());
  const first = await sealMessage(alice, bobAddress, MAILBOX, new TextEncoder().encode('hello'));
  await openMessage(store, first);
  const seal = async (n: number) => {
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < n; i++) envelopes.push(await sealMessage(alice, bobAddress, MAILBOX, new TextEncoder().encode(`message ${i} `.padEnd(300, 'x'))));
    return envelopes;
  };
  const toOps = (opened: { plaintext: Uint8Array }[], partition: string) =>
    opened.map((m, i) => ({ type: 'put' as const, collection: 'messages', partition, id: i, value: encodeValue({ text: m.plaintext, at: i }) }));
  const backlog = await seal(500);
  await time('500 messages: open with store.batch() (unseal + ratchet) and commit sessions + messages in one transaction', async () => {
    const batch = store.batch();
    const opened = [];
    for (const e of backlog) opened.push(await openMessage(batch, e));
    await batch.commit(toOps(opened, 'conv-1'));
  });
  const backlog2 = await seal(500);
  await time('500 messages: open directly (a session write per message) and store in one putMany', async () => {
    const opened = [];
    for (const e of backlog2) opened.push(await openMessage(store, e));
    await vault.batch(toOps(opened, 'conv-1b'));
  });
  const batch = Array.from({ length: 500 }, (_, i) => ({ collection: 'messages', partition: 'conv-2', id: i, value: encodeValue({ text: `message ${i} `.padEnd(300, 'x'), at: i }) }));
  await time('putMany 500 records of ~400 B (vault only)', () => vault.putMany(batch));
  for (let i = 0; i < 4; i++) {
    await vault.putMany(batch.map((b) => ({ ...b, partition: 'conv-3', id: b.id + i * 500 })));
  }
  await vault.putMany(batch.map((b) => ({ ...b, partition: 'conv-3', id: b.id + 2000 })));
  await time('page 50 newest of a 2,500-message conversation', () => vault.list('messages', 'conv-3', { reverse: true, limit: 50 }));
  await time('page 50 older (after)', () => vault.list('messages', 'conv-3', { reverse: true, limit: 50, after: 1000 }));
  await time('count 2,500', () => vault.count('messages', 'conv-3'));
  await vault.destroy();
  return out;
}
