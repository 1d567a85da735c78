// @vitest-environment node
/**
 * The vault's ProtocolStore against the expectations of shared/memory-store.ts: full PQXDH +
 * Double Ratchet sessions through shared/session.ts, with the state surviving lock, close and
 * re-open from IndexedDB.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { deriveIdentity, generateRootSecret, identitiesEqual } from '../../shared/keys.ts';
import { MemoryProtocolStore } from '../../shared/memory-store.ts';
import { addressOf, openMessage, sealMessage, startSession } from '../../shared/session.ts';
import { chainPosition } from '../../test-support/chain-position.ts';
import { VaultError } from './errors.ts';
import type { KdfCost } from './kdf.ts';
import { COLLECTION, VaultProtocolStore } from './protocol-store.ts';
import { createVault, openVault, type Vault } from './vault.ts';
import { asMailboxId } from '../../shared/ids.ts';

const FAST: KdfCost = { algorithm: 'argon2id', m: 64, t: 1, p: 1 };
const MAILBOX = asMailboxId(new Uint8Array(16).fill(7));
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
let n = 0;
const freshName = () => `protocol-store-test-${process.pid}-${++n}`;

/** A vault-backed device with one signed, one KEM and `oneTime` one-time prekeys, like MemoryProtocolStore.create. */
async function vaultDevice(oneTime = 4, rootSecret?: Uint8Array): Promise<{ vault: Vault; store: VaultProtocolStore; dbName: string }> {
  const dbName = freshName();
  const vault = await createVault('device passphrase', { dbName, kdf: FAST });
  const store = await VaultProtocolStore.create(vault, rootSecret ? { rootSecret } : {});
  await store.generateSignedPreKey();
  await store.generateKemPreKey();
  await store.generateOneTimePreKeys(oneTime);
  return { vault, store, dbName };
}

/** Close everything and come back from IndexedDB, as after a restart. */
async function reopen(dbName: string, old: { vault: Vault; store: VaultProtocolStore }): Promise<{ vault: Vault; store: VaultProtocolStore }> {
  old.store.close();
  old.vault.close();
  const vault = await openVault(dbName);
  await vault.unlock('device passphrase');
  return { vault, store: await VaultProtocolStore.open(vault) };
}

/** Every stored row, raw: proves a rejected message changed nothing. */
async function snapshot(dbName: string) {
  const db = await openDB(dbName);
  const rows = await db.getAll('records');
  db.close();
  return rows.map((r) => [r.c, r.p, r.k, Array.from(r.v as Uint8Array)]);
}

describe('VaultProtocolStore', () => {
  it('derives the identity from the stored root secret, and refuses a second, different one', async () => {
    const rootSecret = generateRootSecret();
    const { vault, store } = await vaultDevice(1, rootSecret.slice());
    const expected = await deriveIdentity(rootSecret);
    expect(identitiesEqual((await store.getIdentity()).publicIdentity, expected.publicIdentity)).toBe(true);
    expect(await store.rootSecret()).toEqual(rootSecret);
    await expect(VaultProtocolStore.create(vault, { rootSecret })).resolves.toBeInstanceOf(VaultProtocolStore);
    await expect(VaultProtocolStore.create(vault, { rootSecret: generateRootSecret() })).rejects.toMatchObject({ code: 'exists' });

    const empty = await createVault('x', { dbName: freshName(), kdf: FAST });
    expect(await VaultProtocolStore.exists(empty)).toBe(false);
    await expect(VaultProtocolStore.open(empty)).rejects.toMatchObject({ code: 'no_identity' });
    empty.close();
    store.close();
    vault.close();
  });

  it('a memory-store Alice and a vault-store Bob talk both ways, across lock and re-open', async () => {
    const alice = await MemoryProtocolStore.create();
    let bob = await vaultDevice(3);
    const bobIdentity = (await bob.store.getIdentity()).publicIdentity;
    const bobAddress = addressOf(bobIdentity);
    const aliceAddress = addressOf(alice.identity.publicIdentity);
    expect(await bob.store.oneTimePreKeyCount()).toBe(3);

    await startSession(alice, bobAddress, await bob.store.bundle());
    const first = await openMessage(bob.store, await sealMessage(alice, bobAddress, MAILBOX, text('hello Bob')));
    expect(str(first.plaintext)).toBe('hello Bob');
    expect(first.address).toBe(aliceAddress);
    expect(await bob.store.oneTimePreKeyCount()).toBe(2);

    const reply = await openMessage(alice, await sealMessage(bob.store, aliceAddress, MAILBOX, text('hi Alice')));
    expect(str(reply.plaintext)).toBe('hi Alice');

    // Locked in the middle of deriving the identity: that call fails, the next one works.
    bob.store.close();
    bob = { ...bob, store: await VaultProtocolStore.open(bob.vault) };
    const racing = bob.store.getIdentity();
    bob.vault.lock();
    await expect(racing).rejects.toMatchObject({ code: 'locked' });
    await bob.vault.unlock('device passphrase');
    expect(identitiesEqual((await bob.store.getIdentity()).publicIdentity, bobIdentity)).toBe(true);

    // Lock: identity and keys gone; nothing readable.
    bob.vault.lock();
    await expect(bob.store.getIdentity()).rejects.toMatchObject({ code: 'locked' });
    await expect(bob.store.loadSession(aliceAddress)).rejects.toMatchObject({ code: 'locked' });
    await bob.vault.unlock('device passphrase');
    expect(identitiesEqual((await bob.store.getIdentity()).publicIdentity, bobIdentity)).toBe(true);

    // Out-of-order delivery while Bob is away, then a restart from IndexedDB.
    const e1 = await sealMessage(alice, bobAddress, MAILBOX, text('one'));
    const e2 = await sealMessage(alice, bobAddress, MAILBOX, text('two'));
    bob = { ...(await reopen(bob.dbName, bob)), dbName: bob.dbName };
    expect(str((await openMessage(bob.store, e2)).plaintext)).toBe('two');
    expect(str((await openMessage(bob.store, e1)).plaintext)).toBe('one');

    for (let i = 0; i < 5; i++) {
      expect(str((await openMessage(alice, await sealMessage(bob.store, aliceAddress, MAILBOX, text(`b${i}`)))).plaintext)).toBe(`b${i}`);
      expect(str((await openMessage(bob.store, await sealMessage(alice, bobAddress, MAILBOX, text(`a${i}`)))).plaintext)).toBe(`a${i}`);
    }
    bob.store.close();
    bob.vault.close();
  });

  it('two vault stores (Alice initiating from the vault) keep talking after both re-open', async () => {
    let alice = await vaultDevice(1);
    let bob = await vaultDevice(1);
    const aliceAddress = addressOf((await alice.store.getIdentity()).publicIdentity);
    const bobAddress = addressOf((await bob.store.getIdentity()).publicIdentity);

    await startSession(alice.store, bobAddress, await bob.store.bundle());
    expect(str((await openMessage(bob.store, await sealMessage(alice.store, bobAddress, MAILBOX, text('1')))).plaintext)).toBe('1');
    alice = { ...(await reopen(alice.dbName, alice)), dbName: alice.dbName };
    bob = { ...(await reopen(bob.dbName, bob)), dbName: bob.dbName };
    expect(str((await openMessage(alice.store, await sealMessage(bob.store, aliceAddress, MAILBOX, text('2')))).plaintext)).toBe('2');
    expect(str((await openMessage(bob.store, await sealMessage(alice.store, bobAddress, MAILBOX, text('3')))).plaintext)).toBe('3');
    expect(await bob.store.oneTimePreKeyCount()).toBe(0);
    for (const d of [alice, bob]) {
      d.store.close();
      d.vault.close();
    }
  });

  it('a replayed first message and a tampered envelope are rejected and change nothing stored', async () => {
    const alice = await MemoryProtocolStore.create();
    const bob = await vaultDevice(2);
    const bobAddress = addressOf((await bob.store.getIdentity()).publicIdentity);
    await startSession(alice, bobAddress, await bob.store.bundle());
    const firstEnvelope = await sealMessage(alice, bobAddress, MAILBOX, text('first'));
    await openMessage(bob.store, firstEnvelope);

    // A fresh session from Alice's side consumed a one-time prekey; replaying the first message is a duplicate.
    const before = await snapshot(bob.dbName);
    await expect(openMessage(bob.store, firstEnvelope)).rejects.toMatchObject({ code: 'duplicate' });
    expect(await snapshot(bob.dbName)).toEqual(before);

    const next = await sealMessage(alice, bobAddress, MAILBOX, text('second'));
    const tampered = next.slice();
    tampered[tampered.length - 1]! ^= 1;
    await expect(openMessage(bob.store, tampered)).rejects.toMatchObject({ code: 'bad_mac' });
    expect(await snapshot(bob.dbName)).toEqual(before);
    expect(str((await openMessage(bob.store, next)).plaintext)).toBe('second');
    bob.store.close();
    bob.vault.close();
  });

  it('hands out prekey ids that only grow, survives re-open, and prunes old signed prekeys', async () => {
    let d = await vaultDevice(3);
    expect((await d.store.currentSignedPreKey())?.id).toBe(1);
    expect((await d.store.currentKemPreKey())?.id).toBe(1);
    await d.store.removeOneTimePreKey(3);
    // Concurrent refills do not collide.
    const [a, b] = await Promise.all([d.store.generateOneTimePreKeys(2), d.store.generateOneTimePreKeys(2)]);
    expect([...a, ...b].map((r) => r.id).sort((x, y) => x - y)).toEqual([4, 5, 6, 7]);
    await d.store.removeOneTimePreKey(7);
    d = { ...(await reopen(d.dbName, d)), dbName: d.dbName };
    expect(await d.store.nextOneTimePreKeyId()).toBe(8);
    expect(await d.store.oneTimePreKeyCount()).toBe(5);

    const spk2 = await d.store.generateSignedPreKey();
    const spk3 = await d.store.generateSignedPreKey();
    await d.store.generateKemPreKey();
    expect([spk2.id, spk3.id]).toEqual([2, 3]);
    expect((await d.store.currentSignedPreKey())?.id).toBe(3);
    expect((await d.store.loadSignedPreKey(1))?.id).toBe(1);
    await d.store.pruneSignedPreKeys(2);
    expect(await d.store.loadSignedPreKey(1)).toBeUndefined();
    expect((await d.store.loadSignedPreKey(2))?.id).toBe(2);
    expect((await d.store.loadKemPreKey(1))?.id).toBe(1);
    expect((await d.store.loadKemPreKey(2))?.id).toBe(2);
    expect(await d.store.nextSignedPreKeyId()).toBe(4);

    // Prekeys generated elsewhere and stored here move the counters too (client/account does this).
    const identity = await d.store.getIdentity();
    const { generateSignedPreKey } = await import('../../shared/prekeys.ts');
    await d.store.storeSignedPreKey(await generateSignedPreKey(identity, 10));
    expect(await d.store.nextSignedPreKeyId()).toBe(11);
    d.store.close();
    d.vault.close();
  });

  it('keeps peer addresses out of the stored keys (blinded partitions)', async () => {
    const alice = await MemoryProtocolStore.create();
    const bob = await vaultDevice(1);
    const bobAddress = addressOf((await bob.store.getIdentity()).publicIdentity);
    await startSession(alice, bobAddress, await bob.store.bundle());
    const opened = await openMessage(bob.store, await sealMessage(alice, bobAddress, MAILBOX, text('x')));
    const db = await openDB(bob.dbName);
    const sessions = (await db.getAll('records')).filter((r) => r.c === COLLECTION.sessions);
    db.close();
    expect(sessions).toHaveLength(1);
    expect(JSON.stringify(sessions)).not.toContain(opened.address);
    expect(await bob.store.loadSession(opened.address)).toBeInstanceOf(Uint8Array);
    await bob.store.deleteSession(opened.address);
    expect(await bob.store.loadSession(opened.address)).toBeUndefined();
    bob.store.close();
    bob.vault.close();
  });

  it('batch(): a backlog opens against pending state and lands in one commit with the messages, or not at all', async () => {
    const alice = await MemoryProtocolStore.create();
    let bob = await vaultDevice(1);
    const bobAddress = addressOf((await bob.store.getIdentity()).publicIdentity);
    await startSession(alice, bobAddress, await bob.store.bundle());
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < 60; i++) envelopes.push(await sealMessage(alice, bobAddress, MAILBOX, text(`m${i}`)));

    // A crash before commit: nothing was written, and the same envelopes open again later.
    const before = await snapshot(bob.dbName);
    const lost = bob.store.batch();
    for (const e of envelopes.slice(0, 10)) await openMessage(lost, e);
    expect(lost.size).toBe(2); // one session, one consumed one-time prekey
    lost.discard();
    expect(await snapshot(bob.dbName)).toEqual(before);
    expect(await bob.store.oneTimePreKeyCount()).toBe(1);

    const batch = bob.store.batch();
    const opened: string[] = [];
    for (const e of envelopes) opened.push(str((await openMessage(batch, e)).plaintext));
    // A duplicate inside the same batch is still refused (the pending session has moved on).
    await expect(openMessage(batch, envelopes[5]!)).rejects.toMatchObject({ code: 'duplicate' });
    expect(await snapshot(bob.dbName)).toEqual(before);
    await batch.commit(opened.map((t, i) => ({ type: 'put', collection: 'messages', partition: 'alice', id: i, value: text(t) })));
    await expect(batch.commit()).rejects.toMatchObject({ code: 'closed' });
    expect(opened).toEqual(envelopes.map((_, i) => `m${i}`));
    expect(await bob.store.oneTimePreKeyCount()).toBe(0);
    expect(await bob.vault.count('messages', 'alice')).toBe(60);

    bob = { ...(await reopen(bob.dbName, bob)), dbName: bob.dbName };
    await expect(openMessage(bob.store, envelopes[59]!)).rejects.toMatchObject({ code: 'duplicate' });
    const aliceAddress = addressOf(alice.identity.publicIdentity);
    expect(str((await openMessage(alice, await sealMessage(bob.store, aliceAddress, MAILBOX, text('got them')))).plaintext)).toBe('got them');
    bob.store.close();
    bob.vault.close();
  });

  it('checks arguments', async () => {
    const d = await vaultDevice(0);
    await expect(d.store.loadSession('')).rejects.toSatisfy((e) => VaultError.is(e, 'invalid_argument'));
    await expect(d.store.generateOneTimePreKeys(-1)).rejects.toSatisfy((e) => VaultError.is(e, 'invalid_argument'));
    await expect(d.store.pruneSignedPreKeys(0)).rejects.toSatisfy((e) => VaultError.is(e, 'invalid_argument'));
    await expect(VaultProtocolStore.create(d.vault, { rootSecret: new Uint8Array(31) })).rejects.toSatisfy((e) => VaultError.is(e, 'invalid_argument'));
    d.store.close();
    d.vault.close();
  });

  describe('several tabs on one vault (two stores on one database)', () => {
    /** Bob's vault open in two "tabs", with a session to Alice in which Bob can send. */
    async function twoTabs() {
      const alice = await MemoryProtocolStore.create();
      const first = await vaultDevice(2);
      const bobAddress = addressOf((await first.store.getIdentity()).publicIdentity);
      await startSession(alice, bobAddress, await first.store.bundle());
      await openMessage(first.store, await sealMessage(alice, bobAddress, MAILBOX, text('hello Bob')));
      const vault2 = await openVault(first.dbName);
      await vault2.unlock('device passphrase');
      const second = { vault: vault2, store: await VaultProtocolStore.open(vault2), dbName: first.dbName };
      const aliceAddress = addressOf(alice.identity.publicIdentity);
      const close = () => {
        for (const t of [first, second]) {
          t.store.close();
          t.vault.close();
        }
      };
      return { alice, tabs: [first, second] as const, aliceAddress, close };
    }

    it('unguarded, two stores step one session from the same state: the setup sees the reuse', async () => {
      const { alice, tabs, aliceAddress, close } = await twoTabs();
      const envelopes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => sealMessage(tabs[i % 2]!.store, aliceAddress, MAILBOX, text(`raw ${i}`))),
      );
      const positions = await Promise.all(envelopes.map((e) => chainPosition(alice.identity, e)));
      expect(new Set(positions).size).toBeLessThan(positions.length);
      close();
    });

    it('transact(): concurrent seals from both tabs never share a message key, and the peer opens every one', async () => {
      const { alice, tabs, aliceAddress, close } = await twoTabs();
      const sent: { text: string; envelope: Uint8Array }[] = [];
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const tab = tabs[i % 2]!;
          const envelope = await tab.store.transact((session) => sealMessage(session, aliceAddress, MAILBOX, text(`tab ${i % 2} message ${i}`)));
          sent.push({ text: `tab ${i % 2} message ${i}`, envelope });
        }),
      );
      const positions = await Promise.all(sent.map((s) => chainPosition(alice.identity, s.envelope)));
      expect(new Set(positions).size).toBe(30);
      for (const s of sent) expect(str((await openMessage(alice, s.envelope)).plaintext)).toBe(s.text);
      close();
    });

    it('a unit of work whose session another writer changed meanwhile commits nothing (conflict)', async () => {
      const { tabs, aliceAddress, close } = await twoTabs();
      const [one, two] = tabs;
      const stale = one.store.batch();
      const fresh = two.store.batch();
      await sealMessage(stale, aliceAddress, MAILBOX, text('from tab one'));
      await sealMessage(fresh, aliceAddress, MAILBOX, text('from tab two'));
      await fresh.commit();
      const before = await snapshot(one.dbName);
      await expect(stale.commit([{ type: 'put', collection: 'messages', partition: 'x', id: 1, value: text('kept?') }])).rejects.toSatisfy((e) =>
        VaultError.is(e, 'conflict'),
      );
      expect(await snapshot(one.dbName)).toEqual(before);
      // A session that did not exist when read must still be absent.
      const racing = one.store.batch();
      expect(await racing.loadSession('nobody-yet')).toBeUndefined();
      await racing.storeSession('nobody-yet', text('A'));
      await two.store.storeSession('nobody-yet', text('B'));
      await expect(racing.commit()).rejects.toSatisfy((e) => VaultError.is(e, 'conflict'));
      expect(str((await one.store.loadSession('nobody-yet'))!)).toBe('B');
      close();
    });

    it('transact() redoes a step from fresh state when its commit finds the session changed', async () => {
      const { alice, tabs, aliceAddress, close } = await twoTabs();
      const [one, two] = tabs;
      let attempts = 0;
      let bypass: Uint8Array | undefined;
      const envelope = await one.store.transact(async (session) => {
        attempts++;
        const sealed = await sealMessage(session, aliceAddress, MAILBOX, text('redone'));
        // A writer outside the lock steps the same session before this step commits.
        if (attempts === 1) bypass = await sealMessage(two.store, aliceAddress, MAILBOX, text('bypass'));
        return sealed;
      });
      expect(attempts).toBe(2);
      expect(await chainPosition(alice.identity, envelope)).not.toBe(await chainPosition(alice.identity, bypass!));
      expect(str((await openMessage(alice, bypass!)).plaintext)).toBe('bypass');
      expect(str((await openMessage(alice, envelope)).plaintext)).toBe('redone');
      close();
    });
  });
});
