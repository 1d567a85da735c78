/**
 * The one conformance suite for the relay's storage (ARCHITECTURE.md, "Storage and scale": one
 * interface, one suite, both adapters). `storeConformance` registers vitest blocks against a
 * factory; each adapter's test file calls it (sqlite/sqlite.test.ts, postgres/…).
 *
 * It covers every Store and BlobStore method, the expected refusals (used, expired and unknown
 * codes and invites, an existing account, a replayed nonce, a revoked or misdirected capability,
 * quota by count and by bytes, duplicate versus conflicting sends, someone else's ack, an
 * oversize blob) and that each refusal leaves every row as it was. Through the adapter's
 * `tables()` it also checks what is at rest: an acknowledged message's tombstone holds no id,
 * limit rows hold no account key, blob rows hold no uploader key (issue 9, items 2 and 8). Time is always the `now` the
 * test passes: nothing here reads the clock or asserts durations.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfidantError } from '../../shared/index.ts';
import { BLOB_ID_LEN, type Account, type AccountKind, type BlobStore, type MailboxQuota, type Store, type StoredMessage } from './types.ts';

export interface OpenedForTest {
  /** A migrated, empty store. */
  readonly store: Store;
  readonly blobs: BlobStore;
  /** Releases everything; must cope with a store the test closed already. */
  cleanup(): Promise<void>;
  /**
   * Every row of every table the store keeps, read outside the Store interface (the schema's
   * bookkeeping table excepted): lets the suite check what is at rest, not only what the
   * interface hands out. Byte columns come back as Uint8Array.
   */
  tables(): Promise<Record<string, readonly (readonly unknown[])[]>>;
}

/** A fixed "now" far from 0 so that `now - x` stays positive. */
const T0 = 1_750_000_000_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const ROOMY: MailboxQuota = { maxMessages: 1000, maxBytes: 1 << 24 };

const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

const newAccount = (kind: AccountKind, createdAt = T0): Account => ({
  signingKey: rnd(32),
  agreementKey: rnd(32),
  identity: rnd(129),
  kind,
  createdAt,
});

const message = (mailboxId: Uint8Array, over: Partial<Omit<StoredMessage, 'seq'>> = {}): Omit<StoredMessage, 'seq'> => ({
  mailboxId,
  messageId: rnd(16),
  envelope: rnd(1024),
  receivedAt: T0,
  expiresAt: T0 + 30 * DAY,
  ...over,
});

/** A lazy source of `total` bytes in `chunk`-sized pieces that records whether it was cancelled. */
function source(total: number, chunk: number): { stream: ReadableStream<Uint8Array>; bytes: Uint8Array; cancelled: () => boolean } {
  const bytes = rnd(total);
  let offset = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= total) return controller.close();
      // A copy per chunk, as a network body would hand out.
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, bytes, cancelled: () => cancelled };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) {
    parts.push(part);
    length += part.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Byte equality without vitest's element-by-element deep equal (slow on 100 KiB+ arrays). */
function expectSameBytes(got: Uint8Array, want: Uint8Array): void {
  expect(got.length).toBe(want.length);
  expect(Buffer.compare(got, want), 'bytes differ').toBe(0);
}

/** Names of the tables that hold `needle` in some byte column (as the whole value or inside it). */
function tablesHolding(tables: Record<string, readonly (readonly unknown[])[]>, needle: Uint8Array): string[] {
  const hit = (v: unknown): boolean => v instanceof Uint8Array && Buffer.from(v.buffer, v.byteOffset, v.byteLength).includes(Buffer.from(needle));
  return Object.entries(tables)
    .filter(([, rows]) => rows.some((row) => row.some(hit)))
    .map(([name]) => name)
    .sort();
}

/** Registers the conformance suite for one adapter. `open` is called before every test. */
export function storeConformance(name: string, open: () => Promise<OpenedForTest>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let blobs: BlobStore;
    let cleanup: () => Promise<void>;
    let tables: () => Promise<Record<string, readonly (readonly unknown[])[]>>;

    beforeEach(async () => {
      ({ store, blobs, cleanup, tables } = await open());
    });
    afterEach(async () => {
      await cleanup();
    });

    /** A registered therapist (through a fresh registration code). */
    async function therapist(): Promise<Account> {
      const code = rnd(32);
      await store.addRegistrationCode(code, T0, T0 + DAY);
      const account = newAccount('therapist');
      expect(await store.registerTherapist(account, code, T0)).toBe('created');
      return account;
    }

    /** A mailbox owned by a fresh therapist. */
    async function mailbox(): Promise<{ owner: Account; mailboxId: Uint8Array }> {
      const owner = await therapist();
      const mailboxId = rnd(16);
      expect(await store.createMailbox(mailboxId, owner.signingKey, T0)).toBe('created');
      return { owner, mailboxId };
    }

    async function withPreKeys(account: Account, oneTimeIds: number[]): Promise<void> {
      await store.setSignedPreKey(account.signingKey, { id: 1, publicKey: rnd(32), signature: rnd(64) }, T0);
      await store.setKemPreKey(account.signingKey, { id: 1, publicKey: rnd(1184), signature: rnd(64) }, T0);
      await store.addOneTimePreKeys(account.signingKey, oneTimeIds.map((id) => ({ id, publicKey: rnd(32) })));
    }

    describe('lifecycle', () => {
      it('names its adapter kind', () => {
        expect(['sqlite', 'postgres']).toContain(store.kind);
      });

      it('migrate() again on a current schema changes nothing and keeps the data', async () => {
        const account = await therapist();
        await store.migrate();
        await store.migrate();
        expect(await store.getAccount(account.signingKey)).toEqual(account);
      });

      it('ping() is true while open, false after close, and never throws', async () => {
        expect(await store.ping()).toBe(true);
        await store.close();
        await expect(store.ping()).resolves.toBe(false);
        await store.close(); // closing twice is harmless
        await expect(store.ping()).resolves.toBe(false);
      });
    });

    describe('therapist registration', () => {
      it('creates the account with a valid code and returns it byte for byte', async () => {
        const code = rnd(32);
        await store.addRegistrationCode(code, T0, T0 + DAY);
        const account = newAccount('therapist');
        expect(await store.registerTherapist(account, code, T0 + MINUTE)).toBe('created');
        const got = await store.getAccount(account.signingKey);
        expect(got).toEqual(account);
        expect(got?.signingKey).toBeInstanceOf(Uint8Array);
      });

      it('refuses a code used twice and creates no second account', async () => {
        const code = rnd(32);
        await store.addRegistrationCode(code, T0, T0 + DAY);
        const first = newAccount('therapist');
        const second = newAccount('therapist');
        expect(await store.registerTherapist(first, code, T0)).toBe('created');
        expect(await store.registerTherapist(second, code, T0)).toBe('code_invalid');
        expect(await store.getAccount(second.signingKey)).toBeUndefined();
        expect(await store.getAccount(first.signingKey)).toEqual(first);
      });

      it('refuses an expired code (expiresAt <= now) and an unknown one alike', async () => {
        const code = rnd(32);
        await store.addRegistrationCode(code, T0, T0 + DAY);
        const account = newAccount('therapist');
        expect(await store.registerTherapist(account, code, T0 + DAY)).toBe('code_invalid');
        expect(await store.registerTherapist(account, rnd(32), T0)).toBe('code_invalid');
        expect(await store.getAccount(account.signingKey)).toBeUndefined();
        // The code was not consumed by the refusals: still good one ms before expiry.
        expect(await store.registerTherapist(account, code, T0 + DAY - 1)).toBe('created');
      });

      it('answers exists for a registered key and leaves the code unused', async () => {
        const account = await therapist();
        const code = rnd(32);
        await store.addRegistrationCode(code, T0, T0 + DAY);
        expect(await store.registerTherapist({ ...newAccount('therapist'), signingKey: account.signingKey }, code, T0)).toBe('exists');
        expect(await store.getAccount(account.signingKey)).toEqual(account);
        expect(await store.registerTherapist(newAccount('therapist'), code, T0)).toBe('created');
      });

      it('does not accept an invite in place of a registration code', async () => {
        const owner = await therapist();
        const invite = rnd(32);
        await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
        expect(await store.registerTherapist(newAccount('therapist'), invite, T0)).toBe('code_invalid');
      });

      it('getAccount of an unknown key is undefined', async () => {
        expect(await store.getAccount(rnd(32))).toBeUndefined();
      });
    });

    describe('client registration', () => {
      it('creates a client account with a valid invite', async () => {
        const owner = await therapist();
        const invite = rnd(32);
        await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
        const client = newAccount('client');
        expect(await store.registerClient(client, invite, T0)).toBe('created');
        expect(await store.getAccount(client.signingKey)).toEqual(client);
      });

      it('refuses an invite used twice', async () => {
        const owner = await therapist();
        const invite = rnd(32);
        await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
        expect(await store.registerClient(newAccount('client'), invite, T0)).toBe('created');
        const second = newAccount('client');
        expect(await store.registerClient(second, invite, T0)).toBe('invite_invalid');
        expect(await store.getAccount(second.signingKey)).toBeUndefined();
      });

      it('refuses an expired or unknown invite, and a registration code in its place', async () => {
        const owner = await therapist();
        const invite = rnd(32);
        await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
        const code = rnd(32);
        await store.addRegistrationCode(code, T0, T0 + DAY);
        const client = newAccount('client');
        expect(await store.registerClient(client, invite, T0 + DAY)).toBe('invite_invalid');
        expect(await store.registerClient(client, rnd(32), T0)).toBe('invite_invalid');
        expect(await store.registerClient(client, code, T0)).toBe('invite_invalid');
        expect(await store.getAccount(client.signingKey)).toBeUndefined();
      });

      it('inviteExpiry: the expiry of an unused, unexpired invite, without consuming it; else undefined', async () => {
        const owner = await therapist();
        const invite = rnd(32);
        await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
        expect(await store.inviteExpiry(invite, T0)).toBe(T0 + DAY);
        expect(await store.inviteExpiry(invite, T0 + DAY - 1)).toBe(T0 + DAY);
        expect(await store.inviteExpiry(invite, T0 + DAY)).toBeUndefined();
        expect(await store.inviteExpiry(rnd(32), T0)).toBeUndefined();
        // Asking changed nothing: the invite still registers once, and is then used.
        expect(await store.registerClient(newAccount('client'), invite, T0)).toBe('created');
        expect(await store.inviteExpiry(invite, T0)).toBeUndefined();
        // A registration code is not an invite.
        const code = rnd(32);
        await store.addRegistrationCode(code, T0, T0 + DAY);
        expect(await store.inviteExpiry(code, T0)).toBeUndefined();
      });

      it('addInvite answers exists for a hash stored already (by any therapist) and keeps the first row', async () => {
        const owner = await therapist();
        const other = await therapist();
        const invite = rnd(32);
        expect(await store.addInvite(invite, owner.signingKey, T0, T0 + DAY)).toBe('created');
        expect(await store.addInvite(invite, owner.signingKey, T0, T0 + 2 * DAY)).toBe('exists');
        expect(await store.addInvite(invite, other.signingKey, T0, T0 + 2 * DAY)).toBe('exists');
        // The first row is kept: its expiry, not the later one, still applies.
        expect(await store.registerClient(newAccount('client'), invite, T0 + DAY)).toBe('invite_invalid');
        expect(await store.registerClient(newAccount('client'), invite, T0)).toBe('created');
        // A used invite's hash is still stored (until the sweep): still exists.
        expect(await store.addInvite(invite, owner.signingKey, T0, T0 + DAY)).toBe('exists');
      });

      it('answers exists for a registered key and leaves the invite unused', async () => {
        const owner = await therapist();
        const invite = rnd(32);
        await store.addInvite(invite, owner.signingKey, T0, T0 + DAY);
        expect(await store.registerClient({ ...newAccount('client'), signingKey: owner.signingKey }, invite, T0)).toBe('exists');
        expect((await store.getAccount(owner.signingKey))?.kind).toBe('therapist');
        expect(await store.registerClient(newAccount('client'), invite, T0)).toBe('created');
      });
    });

    describe('nonces', () => {
      it('accepts a nonce once per signing key and refuses the replay', async () => {
        const key = rnd(32);
        const other = rnd(32);
        const nonce = rnd(16);
        expect(await store.rememberNonce(key, nonce, T0 + MINUTE)).toBe(true);
        expect(await store.rememberNonce(key, nonce, T0 + MINUTE)).toBe(false);
        expect(await store.rememberNonce(key, nonce, T0 + DAY)).toBe(false);
        expect(await store.rememberNonce(other, nonce, T0 + MINUTE)).toBe(true);
        expect(await store.rememberNonce(key, rnd(16), T0 + MINUTE)).toBe(true);
      });

      it('hasNonce reports a stored pair without storing one', async () => {
        const key = rnd(32);
        const nonce = rnd(16);
        expect(await store.hasNonce(key, nonce)).toBe(false);
        expect(await store.hasNonce(key, nonce)).toBe(false);
        expect(await store.rememberNonce(key, nonce, T0 + MINUTE)).toBe(true);
        expect(await store.hasNonce(key, nonce)).toBe(true);
        expect(await store.hasNonce(rnd(32), nonce)).toBe(false);
        expect(await store.hasNonce(key, rnd(16))).toBe(false);
        expect((await store.sweep(T0 + MINUTE)).nonces).toBe(1);
        expect(await store.hasNonce(key, nonce)).toBe(false);
      });

      it('refuses every replay among concurrent attempts but one', async () => {
        const key = rnd(32);
        const nonce = rnd(16);
        const results = await Promise.all(Array.from({ length: 20 }, () => store.rememberNonce(key, nonce, T0 + MINUTE)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('prekeys', () => {
      it('hands out a bundle consuming one one-time prekey, counting down the rest', async () => {
        const account = await therapist();
        const signed = { id: 7, publicKey: rnd(32), signature: rnd(64) };
        const kem = { id: 8, publicKey: rnd(1184), signature: rnd(64) };
        await store.setSignedPreKey(account.signingKey, signed, T0);
        await store.setKemPreKey(account.signingKey, kem, T0);
        const ones = [1, 2, 3].map((id) => ({ id, publicKey: rnd(32) }));
        expect(await store.addOneTimePreKeys(account.signingKey, ones)).toBe(3);

        const taken = new Map<number, Uint8Array>();
        for (const left of [2, 1, 0]) {
          const bundle = await store.takeBundle(account.signingKey);
          expect(bundle?.identity).toEqual(account.identity);
          expect(bundle?.signedPreKey).toEqual(signed);
          expect(bundle?.kemPreKey).toEqual(kem);
          expect(bundle?.oneTimePreKeysLeft).toBe(left);
          const one = bundle?.oneTimePreKey;
          expect(one).toBeDefined();
          taken.set(one!.id, one!.publicKey);
          expect(await store.countOneTimePreKeys(account.signingKey)).toBe(left);
        }
        expect(taken).toEqual(new Map(ones.map((o) => [o.id, o.publicKey])));
      });

      it('still hands out a bundle without one-time prekeys: oneTimePreKey undefined, 0 left', async () => {
        const account = await therapist();
        await withPreKeys(account, []);
        const bundle = await store.takeBundle(account.signingKey);
        expect(bundle).toBeDefined();
        expect(bundle!.oneTimePreKey).toBeUndefined();
        expect(bundle!.oneTimePreKeysLeft).toBe(0);
      });

      it('has no bundle for an unknown account, or before both signed and KEM prekeys exist, and consumes nothing then', async () => {
        expect(await store.takeBundle(rnd(32))).toBeUndefined();
        const account = await therapist();
        await store.addOneTimePreKeys(account.signingKey, [{ id: 1, publicKey: rnd(32) }]);
        expect(await store.takeBundle(account.signingKey)).toBeUndefined();
        await store.setSignedPreKey(account.signingKey, { id: 1, publicKey: rnd(32), signature: rnd(64) }, T0);
        expect(await store.takeBundle(account.signingKey)).toBeUndefined();
        expect(await store.countOneTimePreKeys(account.signingKey)).toBe(1);
        await store.setKemPreKey(account.signingKey, { id: 1, publicKey: rnd(1184), signature: rnd(64) }, T0);
        expect((await store.takeBundle(account.signingKey))?.oneTimePreKey?.id).toBe(1);
      });

      it('replaces the signed and KEM prekeys on upload', async () => {
        const account = await therapist();
        await withPreKeys(account, []);
        const signed = { id: 2, publicKey: rnd(32), signature: rnd(64) };
        const kem = { id: 3, publicKey: rnd(1184), signature: rnd(64) };
        await store.setSignedPreKey(account.signingKey, signed, T0 + DAY);
        await store.setKemPreKey(account.signingKey, kem, T0 + DAY);
        const bundle = await store.takeBundle(account.signingKey);
        expect(bundle?.signedPreKey).toEqual(signed);
        expect(bundle?.kemPreKey).toEqual(kem);
      });

      it('ignores one-time prekey ids already present, within a batch and across batches, keeping the stored key', async () => {
        const account = await therapist();
        await withPreKeys(account, []);
        const original = rnd(32);
        expect(await store.addOneTimePreKeys(account.signingKey, [{ id: 5, publicKey: original }, { id: 5, publicKey: rnd(32) }])).toBe(1);
        expect(await store.addOneTimePreKeys(account.signingKey, [{ id: 5, publicKey: rnd(32) }, { id: 6, publicKey: rnd(32) }])).toBe(2);
        expect(await store.addOneTimePreKeys(account.signingKey, [])).toBe(2);
        const seen = new Map<number, Uint8Array>();
        for (let i = 0; i < 2; i++) {
          const one = (await store.takeBundle(account.signingKey))?.oneTimePreKey;
          seen.set(one!.id, one!.publicKey);
        }
        expect(seen.get(5)).toEqual(original);
        expect(seen.has(6)).toBe(true);
      });

      it('keeps one-time prekeys per account: the same ids in two accounts are separate keys', async () => {
        const a = await therapist();
        const b = await therapist();
        await withPreKeys(a, [1, 2]);
        await withPreKeys(b, [1, 2]);
        await store.takeBundle(a.signingKey);
        await store.takeBundle(a.signingKey);
        expect(await store.countOneTimePreKeys(a.signingKey)).toBe(0);
        expect(await store.countOneTimePreKeys(b.signingKey)).toBe(2);
        expect(await store.countOneTimePreKeys(rnd(32))).toBe(0);
      });

      it('never gives the same one-time prekey to two concurrent takeBundle calls', async () => {
        const account = await therapist();
        const ids = Array.from({ length: 40 }, (_, i) => i + 1);
        await withPreKeys(account, ids);
        const bundles = await Promise.all(Array.from({ length: 60 }, () => store.takeBundle(account.signingKey)));
        const taken = bundles.map((b) => b?.oneTimePreKey?.id).filter((id): id is number => id !== undefined);
        expect(taken).toHaveLength(40);
        expect(new Set(taken).size).toBe(40);
        expect(bundles.filter((b) => b !== undefined && b.oneTimePreKey === undefined)).toHaveLength(20);
        expect(await store.countOneTimePreKeys(account.signingKey)).toBe(0);
        // Every "left" figure 0..39 was reported exactly once by the bundles that got a key.
        const left = bundles.filter((b) => b?.oneTimePreKey !== undefined).map((b) => b!.oneTimePreKeysLeft);
        expect(new Set(left).size).toBe(40);
        expect(Math.max(...left)).toBe(39);
      });
    });

    describe('one-time prekeys per requester (takeBundle with a limit)', () => {
      const limit = (requester: Uint8Array, now = T0, max = 2) => ({ requester, max, windowMs: DAY, now });

      it('hands one requester at most max one-time prekeys of one target per window; others still get theirs', async () => {
        const target = await therapist();
        await withPreKeys(target, [1, 2, 3, 4, 5, 6]);
        const a = rnd(32);
        const b = rnd(32);
        expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey?.id).toBe(1);
        expect((await store.takeBundle(target.signingKey, limit(a, T0 + DAY - 1)))?.oneTimePreKey?.id).toBe(2);
        // Over the limit: the bundle still comes, without a one-time prekey, and nothing is consumed.
        const withheld = await store.takeBundle(target.signingKey, limit(a, T0 + DAY - 1));
        expect(withheld).toBeDefined();
        expect(withheld!.oneTimePreKey).toBeUndefined();
        expect(withheld!.oneTimePreKeysLeft).toBe(4);
        expect(withheld!.identity).toEqual(target.identity);
        expect(await store.countOneTimePreKeys(target.signingKey)).toBe(4);
        // Another requester, and a call without a limit, are not affected.
        expect((await store.takeBundle(target.signingKey, limit(b)))?.oneTimePreKey?.id).toBe(3);
        expect((await store.takeBundle(target.signingKey))?.oneTimePreKey?.id).toBe(4);
        // The window started at the first key handed out: at T0 + DAY a new one starts.
        expect((await store.takeBundle(target.signingKey, limit(a, T0 + DAY)))?.oneTimePreKey?.id).toBe(5);
      });

      it('keeps the count per target: a requester limited for one target still gets another target\'s keys', async () => {
        const t1 = await therapist();
        const t2 = await therapist();
        await withPreKeys(t1, [1, 2, 3]);
        await withPreKeys(t2, [1, 2, 3]);
        const a = rnd(32);
        for (let i = 0; i < 3; i++) await store.takeBundle(t1.signingKey, limit(a, T0, 1));
        expect(await store.countOneTimePreKeys(t1.signingKey)).toBe(2);
        expect((await store.takeBundle(t2.signingKey, limit(a, T0, 1)))?.oneTimePreKey?.id).toBe(1);
      });

      it('counts only keys handed out: bundles without one do not use up the allowance', async () => {
        const target = await therapist();
        await withPreKeys(target, []);
        const a = rnd(32);
        for (let i = 0; i < 3; i++) expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey).toBeUndefined();
        await store.addOneTimePreKeys(target.signingKey, [1, 2, 3].map((id) => ({ id, publicKey: rnd(32) })));
        expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey?.id).toBe(1);
        expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey?.id).toBe(2);
        expect((await store.takeBundle(target.signingKey, limit(a)))?.oneTimePreKey).toBeUndefined();
      });

      it('max 0 never hands out a one-time prekey; an unknown target consumes nothing and records nothing', async () => {
        const target = await therapist();
        await withPreKeys(target, [1]);
        const a = rnd(32);
        expect((await store.takeBundle(target.signingKey, limit(a, T0, 0)))?.oneTimePreKey).toBeUndefined();
        expect(await store.takeBundle(rnd(32), limit(a))).toBeUndefined();
        expect((await store.takeBundle(target.signingKey, limit(a, T0, 1)))?.oneTimePreKey?.id).toBe(1);
      });

      it('holds the limit under concurrent fetches by one requester', async () => {
        const target = await therapist();
        await withPreKeys(target, Array.from({ length: 20 }, (_, i) => i + 1));
        const a = rnd(32);
        const bundles = await Promise.all(Array.from({ length: 15 }, () => store.takeBundle(target.signingKey, limit(a, T0, 3))));
        const ids = bundles.flatMap((bundle) => (bundle?.oneTimePreKey ? [bundle.oneTimePreKey.id] : []));
        expect(ids).toHaveLength(3);
        expect(new Set(ids).size).toBe(3);
        expect(await store.countOneTimePreKeys(target.signingKey)).toBe(17);
      });

      it('refuses a bad limit with invalid_argument, consuming nothing', async () => {
        const target = await therapist();
        await withPreKeys(target, [1]);
        for (const bad of [
          { requester: 'x', max: 1, windowMs: DAY, now: T0 },
          { requester: rnd(32), max: -1, windowMs: DAY, now: T0 },
          { requester: rnd(32), max: 1, windowMs: 0, now: T0 },
          { requester: rnd(32), max: 1, windowMs: DAY, now: 1.5 },
        ]) {
          await expect(store.takeBundle(target.signingKey, bad as never)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
        }
        expect(await store.countOneTimePreKeys(target.signingKey)).toBe(1);
      });

      it('sweep forgets windows that ended', async () => {
        const target = await therapist();
        await withPreKeys(target, [1, 2, 3]);
        const a = rnd(32);
        await store.takeBundle(target.signingKey, limit(a, T0, 1));
        await store.sweep(T0 + DAY);
        expect((await store.takeBundle(target.signingKey, limit(a, T0 + DAY, 1)))?.oneTimePreKey?.id).toBe(2);
        expect((await store.takeBundle(target.signingKey, limit(a, T0 + DAY, 1)))?.oneTimePreKey).toBeUndefined();
      });

      it('keeps neither the requester nor the target at rest for the limit, only a keyed hash whose key goes within two windows', async () => {
        const target = await therapist();
        await withPreKeys(target, [1, 2, 3]);
        const requester = await therapist();
        const ownRows = ['accounts', 'kem_prekeys', 'one_time_prekeys', 'signed_prekeys'];
        expect((await store.takeBundle(target.signingKey, limit(requester.signingKey, T0, 1)))?.oneTimePreKey?.id).toBe(1);
        const during = await tables();
        expect(tablesHolding(during, requester.signingKey)).toEqual(['accounts']);
        expect(tablesHolding(during, target.signingKey)).toEqual(ownRows);
        // The limit still holds from the hash alone.
        expect((await store.takeBundle(target.signingKey, limit(requester.signingKey, T0 + 1, 1)))?.oneTimePreKey).toBeUndefined();
        // Two windows on, nothing of the limit is left: no row, no key that could link one.
        await store.sweep(T0 + 2 * DAY);
        const later = await tables();
        const limitTables = Object.keys(later).filter((t) => t.startsWith('prekey_grant'));
        expect(limitTables.length).toBeGreaterThan(0);
        for (const t of limitTables) expect(later[t], t).toEqual([]);
      });
    });

    describe('mailboxes and capabilities', () => {
      it('creates a mailbox once and reports its owner; a second create changes nothing', async () => {
        const { owner, mailboxId } = await mailbox();
        expect(await store.mailboxOwner(mailboxId)).toEqual(owner.signingKey);
        const other = await therapist();
        expect(await store.createMailbox(mailboxId, other.signingKey, T0)).toBe('exists');
        expect(await store.mailboxOwner(mailboxId)).toEqual(owner.signingKey);
        expect(await store.mailboxOwner(rnd(16))).toBeUndefined();
      });

      it('accepts a capability only for the mailbox it was issued for, until revoked', async () => {
        const { mailboxId } = await mailbox();
        const { mailboxId: otherMailbox } = await mailbox();
        const cap = rnd(32);
        await store.addCapability(cap, mailboxId, T0);
        expect(await store.checkCapability(cap, mailboxId)).toBe(true);
        expect(await store.checkCapability(cap, otherMailbox)).toBe(false);
        expect(await store.checkCapability(rnd(32), mailboxId)).toBe(false);

        expect(await store.revokeCapability(cap, otherMailbox, T0)).toBe(false); // wrong mailbox
        expect(await store.checkCapability(cap, mailboxId)).toBe(true);
        expect(await store.revokeCapability(cap, mailboxId, T0)).toBe(true);
        expect(await store.checkCapability(cap, mailboxId)).toBe(false);
        expect(await store.revokeCapability(cap, mailboxId, T0)).toBe(false); // already revoked
        expect(await store.revokeCapability(rnd(32), mailboxId, T0)).toBe(false); // unknown
      });

      it('does not revive a revoked capability when it is added again', async () => {
        const { mailboxId } = await mailbox();
        const cap = rnd(32);
        await store.addCapability(cap, mailboxId, T0);
        await store.revokeCapability(cap, mailboxId, T0);
        await store.addCapability(cap, mailboxId, T0 + 1);
        expect(await store.checkCapability(cap, mailboxId)).toBe(false);
      });

      it('keeps capabilities separate: revoking one leaves the others of the mailbox valid', async () => {
        const { mailboxId } = await mailbox();
        const a = rnd(32);
        const b = rnd(32);
        await store.addCapability(a, mailboxId, T0);
        await store.addCapability(b, mailboxId, T0);
        await store.revokeCapability(a, mailboxId, T0);
        expect(await store.checkCapability(b, mailboxId)).toBe(true);
      });
    });

    describe('messages', () => {
      it('stores envelopes and lists them oldest first with every field', async () => {
        const { mailboxId } = await mailbox();
        const sent = [message(mailboxId), message(mailboxId, { receivedAt: T0 + 1 }), message(mailboxId, { receivedAt: T0 + 2 })];
        const seqs: number[] = [];
        for (const m of sent) {
          const r = await store.putMessage(m, ROOMY);
          expect(r.status).toBe('stored');
          seqs.push((r as { seq: number }).seq);
        }
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(3);
        const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 + 3 });
        expect(listed).toEqual(sent.map((m, i) => ({ ...m, seq: seqs[i] })));
        expect(listed[0]!.envelope).toBeInstanceOf(Uint8Array);
      });

      it('pages with after and limit', async () => {
        const { mailboxId } = await mailbox();
        const seqs: number[] = [];
        for (let i = 0; i < 5; i++) seqs.push(((await store.putMessage(message(mailboxId), ROOMY)) as { seq: number }).seq);
        const first = await store.listMessages(mailboxId, { after: 0, limit: 2, now: T0 });
        expect(first.map((m) => m.seq)).toEqual(seqs.slice(0, 2));
        const rest = await store.listMessages(mailboxId, { after: first[1]!.seq, limit: 10, now: T0 });
        expect(rest.map((m) => m.seq)).toEqual(seqs.slice(2));
        expect(await store.listMessages(mailboxId, { after: seqs[4]!, limit: 10, now: T0 })).toEqual([]);
      });

      it('lists only the asked mailbox', async () => {
        const a = await mailbox();
        const b = await mailbox();
        await store.putMessage(message(a.mailboxId), ROOMY);
        const mb = message(b.mailboxId);
        await store.putMessage(mb, ROOMY);
        const listed = await store.listMessages(b.mailboxId, { after: 0, limit: 10, now: T0 });
        expect(listed.map((m) => m.messageId)).toEqual([mb.messageId]);
        expect(await store.listMessages(rnd(16), { after: 0, limit: 10, now: T0 })).toEqual([]);
      });

      it('leaves out messages expired at now (expiresAt <= now)', async () => {
        const { mailboxId } = await mailbox();
        const short = message(mailboxId, { expiresAt: T0 + MINUTE });
        const long = message(mailboxId, { expiresAt: T0 + DAY });
        await store.putMessage(short, ROOMY);
        await store.putMessage(long, ROOMY);
        const ids = async (now: number) => (await store.listMessages(mailboxId, { after: 0, limit: 10, now })).map((m) => m.messageId);
        expect(await ids(T0 + MINUTE - 1)).toEqual([short.messageId, long.messageId]);
        expect(await ids(T0 + MINUTE)).toEqual([long.messageId]);
        expect(await ids(T0 + DAY)).toEqual([]);
      });

      it('answers a retry with the same bytes as duplicate with the original seq, storing nothing new', async () => {
        const { mailboxId } = await mailbox();
        const m = message(mailboxId);
        const first = await store.putMessage(m, ROOMY);
        const retry = await store.putMessage({ ...m, envelope: m.envelope.slice(), receivedAt: T0 + MINUTE, expiresAt: T0 + 31 * DAY }, ROOMY);
        expect(first.status).toBe('stored');
        expect(retry).toEqual({ status: 'duplicate', seq: (first as { seq: number }).seq });
        const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
        expect(listed).toEqual([{ ...m, seq: (first as { seq: number }).seq }]);
      });

      it('refuses the same id with different bytes as conflict and keeps the original', async () => {
        const { mailboxId } = await mailbox();
        const m = message(mailboxId);
        await store.putMessage(m, ROOMY);
        const changed = m.envelope.slice();
        changed[0]! ^= 1;
        expect(await store.putMessage({ ...m, envelope: changed }, ROOMY)).toEqual({ status: 'conflict' });
        expect(await store.putMessage({ ...m, envelope: m.envelope.subarray(1) }, ROOMY)).toEqual({ status: 'conflict' });
        const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
        expect(listed.map((x) => x.envelope)).toEqual([m.envelope]);
      });

      it('treats the same message id in two mailboxes as two messages', async () => {
        const a = await mailbox();
        const b = await mailbox();
        const id = rnd(16);
        expect((await store.putMessage(message(a.mailboxId, { messageId: id }), ROOMY)).status).toBe('stored');
        expect((await store.putMessage(message(b.mailboxId, { messageId: id }), ROOMY)).status).toBe('stored');
      });

      it('refuses past the message-count quota and stores nothing; an ack frees room', async () => {
        const { mailboxId } = await mailbox();
        const quota = { maxMessages: 2, maxBytes: 1 << 20 };
        const kept = [message(mailboxId), message(mailboxId)];
        for (const m of kept) expect((await store.putMessage(m, quota)).status).toBe('stored');
        const refused = message(mailboxId);
        expect(await store.putMessage(refused, quota)).toEqual({ status: 'quota' });
        const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
        expect(listed.map((m) => m.messageId)).toEqual(kept.map((m) => m.messageId));
        expect(await store.ackMessages(mailboxId, [kept[0]!.messageId])).toBe(1);
        expect((await store.putMessage(refused, quota)).status).toBe('stored');
      });

      it('refuses past the byte quota (exactly full is allowed) and stores nothing', async () => {
        const { mailboxId } = await mailbox();
        const quota = { maxMessages: 100, maxBytes: 3000 };
        expect((await store.putMessage(message(mailboxId, { envelope: rnd(2000) }), quota)).status).toBe('stored');
        expect(await store.putMessage(message(mailboxId, { envelope: rnd(1001) }), quota)).toEqual({ status: 'quota' });
        expect((await store.putMessage(message(mailboxId, { envelope: rnd(1000) }), quota)).status).toBe('stored');
        expect(await store.putMessage(message(mailboxId, { envelope: rnd(1) }), quota)).toEqual({ status: 'quota' });
        const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
        expect(listed.map((m) => m.envelope.length)).toEqual([2000, 1000]);
        // A single envelope larger than the whole quota is refused in an empty mailbox too.
        const { mailboxId: empty } = await mailbox();
        expect(await store.putMessage(message(empty, { envelope: rnd(3001) }), quota)).toEqual({ status: 'quota' });
      });

      it('counts quota per mailbox', async () => {
        const a = await mailbox();
        const b = await mailbox();
        const quota = { maxMessages: 1, maxBytes: 1 << 20 };
        expect((await store.putMessage(message(a.mailboxId), quota)).status).toBe('stored');
        expect((await store.putMessage(message(b.mailboxId), quota)).status).toBe('stored');
      });

      it('answers a retry as duplicate even when the mailbox is full', async () => {
        const { mailboxId } = await mailbox();
        const quota = { maxMessages: 1, maxBytes: 1 << 20 };
        const m = message(mailboxId);
        const first = await store.putMessage(m, quota);
        expect(await store.putMessage(m, quota)).toEqual({ status: 'duplicate', seq: (first as { seq: number }).seq });
      });

      it('does not count messages expired at receivedAt against the quota', async () => {
        const { mailboxId } = await mailbox();
        const quota = { maxMessages: 1, maxBytes: 1 << 20 };
        await store.putMessage(message(mailboxId, { expiresAt: T0 + MINUTE }), quota);
        expect((await store.putMessage(message(mailboxId), quota)).status).toBe('quota');
        expect((await store.putMessage(message(mailboxId, { receivedAt: T0 + MINUTE }), quota)).status).toBe('stored');
      });

      it('keeps several concurrent sends within the quota', async () => {
        const { mailboxId } = await mailbox();
        const quota = { maxMessages: 5, maxBytes: 1 << 20 };
        const results = await Promise.all(Array.from({ length: 12 }, () => store.putMessage(message(mailboxId), quota)));
        expect(results.filter((r) => r.status === 'stored')).toHaveLength(5);
        expect(results.filter((r) => r.status === 'quota')).toHaveLength(7);
        expect(await store.listMessages(mailboxId, { after: 0, limit: 100, now: T0 })).toHaveLength(5);
      });

      it('ack deletes only the named messages of that mailbox and counts those that existed', async () => {
        const { mailboxId } = await mailbox();
        const ms = [message(mailboxId), message(mailboxId), message(mailboxId)];
        for (const m of ms) await store.putMessage(m, ROOMY);
        expect(await store.ackMessages(mailboxId, [ms[0]!.messageId, ms[2]!.messageId, rnd(16), ms[0]!.messageId])).toBe(2);
        const left = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
        expect(left.map((m) => m.messageId)).toEqual([ms[1]!.messageId]);
        expect(await store.ackMessages(mailboxId, [])).toBe(0);
      });

      it("acking through someone else's mailbox deletes nothing", async () => {
        const victim = await mailbox();
        const attacker = await mailbox();
        const m = message(victim.mailboxId);
        await store.putMessage(m, ROOMY);
        expect(await store.ackMessages(attacker.mailboxId, [m.messageId])).toBe(0);
        expect(await store.ackMessages(rnd(16), [m.messageId])).toBe(0);
        expect(await store.listMessages(victim.mailboxId, { after: 0, limit: 10, now: T0 })).toHaveLength(1);
      });

      it('never reuses a seq, even after the newest message is acknowledged', async () => {
        const { mailboxId } = await mailbox();
        const m = message(mailboxId);
        const first = (await store.putMessage(m, ROOMY)) as { seq: number };
        await store.ackMessages(mailboxId, [m.messageId]);
        const second = (await store.putMessage(message(mailboxId), ROOMY)) as { seq: number };
        expect(second.seq).toBeGreaterThan(first.seq);
      });
    });

    describe('acknowledged messages (tombstones)', () => {
      it('answers a resend after the ack as duplicate with the original seq: nothing stored, nothing counted against the quota', async () => {
        const { mailboxId } = await mailbox();
        const quota = { maxMessages: 1, maxBytes: 1 << 20 };
        const m = message(mailboxId);
        const first = (await store.putMessage(m, quota)) as { status: 'stored'; seq: number };
        expect(first.status).toBe('stored');
        expect(await store.ackMessages(mailboxId, [m.messageId])).toBe(1);
        // A captured send replayed later, with the relay's new timestamps.
        const replay = { ...m, envelope: m.envelope.slice(), receivedAt: T0 + DAY, expiresAt: T0 + 31 * DAY };
        expect(await store.putMessage(replay, quota)).toEqual({ status: 'duplicate', seq: first.seq });
        expect(await store.putMessage(replay, quota)).toEqual({ status: 'duplicate', seq: first.seq });
        expect(await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 + DAY })).toEqual([]);
        // The quota of 1 is free: the replays took nothing.
        expect((await store.putMessage(message(mailboxId, { receivedAt: T0 + DAY }), quota)).status).toBe('stored');
        // A second ack of the same id finds nothing to delete.
        expect(await store.ackMessages(mailboxId, [m.messageId])).toBe(0);
      });

      it('refuses the acknowledged id with other bytes as conflict, storing nothing', async () => {
        const { mailboxId } = await mailbox();
        const m = message(mailboxId);
        await store.putMessage(m, ROOMY);
        await store.ackMessages(mailboxId, [m.messageId]);
        const changed = m.envelope.slice();
        changed[100]! ^= 1;
        expect(await store.putMessage({ ...m, envelope: changed }, ROOMY)).toEqual({ status: 'conflict' });
        expect(await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 })).toEqual([]);
      });

      it('keeps the tombstone until the original expiry and sweeps it then, with the messages', async () => {
        const { mailboxId } = await mailbox();
        const m = message(mailboxId, { expiresAt: T0 + DAY });
        const first = (await store.putMessage(m, ROOMY)) as { seq: number };
        await store.ackMessages(mailboxId, [m.messageId]);
        await store.sweep(T0 + DAY - 1);
        expect(await store.putMessage({ ...m, receivedAt: T0 + DAY - 1, expiresAt: T0 + 31 * DAY }, ROOMY)).toEqual({
          status: 'duplicate',
          seq: first.seq,
        });
        await store.sweep(T0 + DAY);
        const after = await store.putMessage({ ...m, receivedAt: T0 + DAY, expiresAt: T0 + 31 * DAY }, ROOMY);
        expect(after.status).toBe('stored');
      });

      it('tombstones only what the ack deleted: an unknown id, or an id acked through another mailbox, stays free', async () => {
        const victim = await mailbox();
        const other = await mailbox();
        const m = message(victim.mailboxId);
        await store.putMessage(m, ROOMY);
        const unknown = rnd(16);
        expect(await store.ackMessages(other.mailboxId, [m.messageId, unknown])).toBe(0);
        expect((await store.putMessage(message(other.mailboxId, { messageId: m.messageId }), ROOMY)).status).toBe('stored');
        expect((await store.putMessage(message(victim.mailboxId, { messageId: unknown }), ROOMY)).status).toBe('stored');
        expect(await store.listMessages(victim.mailboxId, { after: 0, limit: 10, now: T0 })).toHaveLength(2);
      });

      it('a tombstone holds neither the message id, the mailbox id nor any envelope bytes', async () => {
        const { mailboxId } = await mailbox();
        const m = message(mailboxId);
        await store.putMessage(m, ROOMY);
        expect(tablesHolding(await tables(), m.messageId)).toEqual(['messages']);
        await store.ackMessages(mailboxId, [m.messageId]);
        const after = await tables();
        expect(tablesHolding(after, m.messageId)).toEqual([]);
        expect(tablesHolding(after, mailboxId)).toEqual(['mailboxes']);
        expect(tablesHolding(after, m.envelope.subarray(0, 32))).toEqual([]);
      });
    });

    describe('notifier', () => {
      it('delivers a publish to the mailbox subscribers only, and not after unsubscribe', async () => {
        const { mailboxId } = await mailbox();
        const other = rnd(16);
        const kept = vi.fn();
        const dropped = vi.fn();
        const elsewhere = vi.fn();
        store.notifier.subscribe(mailboxId, kept);
        const unsubscribe = store.notifier.subscribe(mailboxId, dropped);
        const stopElsewhere = store.notifier.subscribe(other, elsewhere);
        unsubscribe();
        unsubscribe(); // twice is harmless

        const r = (await store.putMessage(message(mailboxId), ROOMY)) as { seq: number };
        await store.notifier.publish(mailboxId, r.seq);
        await vi.waitFor(() => expect(kept).toHaveBeenCalledWith(r.seq), { timeout: 10_000 });
        expect(kept).toHaveBeenCalledTimes(1);
        expect(dropped).not.toHaveBeenCalled();
        expect(elsewhere).not.toHaveBeenCalled();
        stopElsewhere();
      });

      it('keeps delivering to the others when one listener throws', async () => {
        const { mailboxId } = await mailbox();
        const after = vi.fn();
        const stopBad = store.notifier.subscribe(mailboxId, () => {
          throw new Error('listener failed');
        });
        const stopGood = store.notifier.subscribe(mailboxId, after);
        await store.notifier.publish(mailboxId, 42);
        await vi.waitFor(() => expect(after).toHaveBeenCalledWith(42), { timeout: 10_000 });
        stopBad();
        stopGood();
      });
    });

    describe('blob rows', () => {
      it('creates an incomplete row, completes it with its size, and deletes it', async () => {
        const owner = await therapist();
        const blobId = rnd(BLOB_ID_LEN);
        const info = { blobId, owner: owner.signingKey, createdAt: T0, expiresAt: T0 + DAY };
        expect(await store.createBlob(info)).toBe('created');
        expect(await store.getBlob(blobId)).toEqual({ blobId, size: 0, complete: false, createdAt: T0, expiresAt: T0 + DAY });
        expect(await store.createBlob({ ...info, expiresAt: T0 + 2 * DAY })).toBe('exists');
        expect(await store.completeBlob(blobId, 12345)).toBe(true);
        expect(await store.getBlob(blobId)).toEqual({ blobId, size: 12345, complete: true, createdAt: T0, expiresAt: T0 + DAY });
        expect(await store.deleteBlob(blobId)).toBe(true);
        expect(await store.getBlob(blobId)).toBeUndefined();
        expect(await store.deleteBlob(blobId)).toBe(false); // absent: harmless
      });

      it('deletes a blob row for its uploader only, and keeps no account key in blob rows', async () => {
        const owner = await therapist();
        const other = await therapist();
        const blobId = rnd(BLOB_ID_LEN);
        expect(await store.createBlob({ blobId, owner: owner.signingKey, createdAt: T0, expiresAt: T0 + DAY })).toBe('created');
        expect(await store.completeBlob(blobId, 10)).toBe(true);
        expect(tablesHolding(await tables(), owner.signingKey)).toEqual(['accounts']);
        expect(await store.deleteBlob(blobId, other.signingKey)).toBe(false);
        expect(await store.deleteBlob(blobId, rnd(32))).toBe(false);
        expect(await store.getBlob(blobId)).toMatchObject({ complete: true, size: 10 });
        expect(await store.deleteBlob(blobId, owner.signingKey)).toBe(true);
        expect(await store.getBlob(blobId)).toBeUndefined();
        expect(await store.deleteBlob(blobId, owner.signingKey)).toBe(false);
      });

      it('reports that a vanished row cannot be completed', async () => {
        expect(await store.completeBlob(rnd(BLOB_ID_LEN), 1)).toBe(false);
        expect(await store.getBlob(rnd(BLOB_ID_LEN))).toBeUndefined();
      });
    });

    describe('blob bytes', () => {
      it('streams a blob in and out unchanged, in many chunks', async () => {
        const blobId = rnd(BLOB_ID_LEN);
        const src = source(300 * 1024 + 17, 7 * 1024);
        expect(await blobs.write(blobId, src.stream, 1 << 20)).toBe(300 * 1024 + 17);
        const stream = await blobs.read(blobId);
        expect(stream).toBeInstanceOf(ReadableStream);
        expectSameBytes(await readAll(stream!), src.bytes);
      });

      it('stores an empty blob, and a blob of exactly maxBytes', async () => {
        const empty = rnd(BLOB_ID_LEN);
        expect(await blobs.write(empty, source(0, 1).stream, 0)).toBe(0);
        expect(await readAll((await blobs.read(empty))!)).toEqual(new Uint8Array(0));
        const full = rnd(BLOB_ID_LEN);
        const src = source(4096, 1000);
        expect(await blobs.write(full, src.stream, 4096)).toBe(4096);
        expectSameBytes(await readAll((await blobs.read(full))!), src.bytes);
      });

      it('reads an absent blob as undefined', async () => {
        expect(await blobs.read(rnd(BLOB_ID_LEN))).toBeUndefined();
      });

      it('refuses a blob over maxBytes with too_large, cancels the source and keeps nothing', async () => {
        const blobId = rnd(BLOB_ID_LEN);
        const src = source(256 * 1024, 16 * 1024);
        const error = await blobs.write(blobId, src.stream, 100 * 1024).catch((e: unknown) => e);
        expect(ConfidantError.is(error, 'too_large')).toBe(true);
        expect(src.cancelled()).toBe(true);
        expect(await blobs.read(blobId)).toBeUndefined();
      });

      it('an upload refused (too large) or failed (source error) leaves no blob and no row when the caller cleans up', async () => {
        // The route flow: row first, bytes, then complete; on failure the row is deleted.
        const owner = await therapist();
        const blobId = rnd(BLOB_ID_LEN);
        await store.createBlob({ blobId, owner: owner.signingKey, createdAt: T0, expiresAt: T0 + DAY });
        await expect(blobs.write(blobId, source(2048, 512).stream, 1024)).rejects.toSatisfy((e) => ConfidantError.is(e, 'too_large'));
        await store.deleteBlob(blobId);
        expect(await store.getBlob(blobId)).toBeUndefined();
        expect(await blobs.read(blobId)).toBeUndefined();

        let sent = 0;
        const failing = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent++ < 3) controller.enqueue(rnd(1000));
            else controller.error(new Error('connection reset'));
          },
        });
        await expect(blobs.write(blobId, failing, 1 << 20)).rejects.toThrow('connection reset');
        expect(await blobs.read(blobId)).toBeUndefined();
      });

      it('keeps the previous bytes when a rewrite of the same id fails, and replaces them when it succeeds', async () => {
        const blobId = rnd(BLOB_ID_LEN);
        const first = source(5000, 1000);
        await blobs.write(blobId, first.stream, 10_000);
        await expect(blobs.write(blobId, source(20_000, 1000).stream, 10_000)).rejects.toSatisfy((e) => ConfidantError.is(e, 'too_large'));
        expectSameBytes(await readAll((await blobs.read(blobId))!), first.bytes);
        const second = source(3000, 1000);
        await blobs.write(blobId, second.stream, 10_000);
        expectSameBytes(await readAll((await blobs.read(blobId))!), second.bytes);
      });

      it('deletes a blob; deleting an absent one is harmless', async () => {
        const blobId = rnd(BLOB_ID_LEN);
        await blobs.write(blobId, source(100, 100).stream, 100);
        await blobs.delete(blobId);
        expect(await blobs.read(blobId)).toBeUndefined();
        await blobs.delete(blobId);
      });

      it('keeps concurrent uploads of different ids apart', async () => {
        const items = Array.from({ length: 4 }, () => ({ id: rnd(BLOB_ID_LEN), src: source(50_000, 3000) }));
        await Promise.all(items.map((x) => blobs.write(x.id, x.src.stream, 1 << 20)));
        for (const x of items) expectSameBytes(await readAll((await blobs.read(x.id))!), x.src.bytes);
      });

      it('a download stream can be cancelled part way', async () => {
        const blobId = rnd(BLOB_ID_LEN);
        await blobs.write(blobId, source(512 * 1024, 64 * 1024).stream, 1 << 20);
        const reader = (await blobs.read(blobId))!.getReader();
        expect((await reader.read()).done).toBe(false);
        await reader.cancel();
        // The blob is still whole for the next reader.
        expect((await readAll((await blobs.read(blobId))!)).length).toBe(512 * 1024);
      });
    });

    describe('sweep', () => {
      it('deletes what expired at now, used codes and invites, and abandoned uploads, and counts them', async () => {
        const owner = await therapist(); // consumed one code: it counts as used below
        const { mailboxId } = await mailbox(); // and another
        const now = T0 + 10 * DAY;

        const liveCode = rnd(32);
        await store.addRegistrationCode(liveCode, T0, now + DAY);
        await store.addRegistrationCode(rnd(32), T0, now); // expired exactly at now

        const usedInvite = rnd(32);
        const liveInvite = rnd(32);
        await store.addInvite(usedInvite, owner.signingKey, T0, now + DAY);
        await store.registerClient(newAccount('client'), usedInvite, T0);
        await store.addInvite(liveInvite, owner.signingKey, T0, now + DAY);
        await store.addInvite(rnd(32), owner.signingKey, T0, now - 1);

        const key = rnd(32);
        const oldNonce = rnd(16);
        const liveNonce = rnd(16);
        await store.rememberNonce(key, oldNonce, now);
        await store.rememberNonce(key, liveNonce, now + 1);

        const old = message(mailboxId, { expiresAt: now });
        const live = message(mailboxId, { expiresAt: now + 1 });
        await store.putMessage(old, ROOMY);
        await store.putMessage(live, ROOMY);

        const blob = (over: { complete?: boolean; createdAt?: number; expiresAt?: number }) => ({ blobId: rnd(BLOB_ID_LEN), ...over });
        const expired = blob({ complete: true, expiresAt: now });
        const abandoned = blob({ complete: false, createdAt: now - DAY - 1, expiresAt: now + DAY });
        const uploading = blob({ complete: false, createdAt: now - MINUTE, expiresAt: now + DAY });
        const kept = blob({ complete: true, createdAt: now - 2 * DAY, expiresAt: now + DAY });
        for (const b of [expired, abandoned, uploading, kept]) {
          await store.createBlob({ blobId: b.blobId, owner: owner.signingKey, createdAt: b.createdAt ?? T0, expiresAt: b.expiresAt! });
          if (b.complete) expect(await store.completeBlob(b.blobId, 10)).toBe(true);
        }

        const result = await store.sweep(now, { incompleteBlobsBefore: now - DAY });
        const { expiredBlobIds, ...counts } = result;
        expect(counts).toEqual({ messages: 1, blobs: 2, nonces: 1, registrationCodes: 3, invites: 2 });
        const hex = (ids: Uint8Array[]) => ids.map((id) => Buffer.from(id).toString('hex')).sort();
        expect(hex(expiredBlobIds)).toEqual(hex([expired.blobId, abandoned.blobId]));

        // What was live is untouched and still works.
        expect((await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 })).map((m) => m.messageId)).toEqual([live.messageId]);
        expect(await store.getBlob(uploading.blobId)).toBeDefined();
        expect(await store.getBlob(kept.blobId)).toBeDefined();
        expect(await store.getBlob(abandoned.blobId)).toBeUndefined();
        expect(await store.rememberNonce(key, liveNonce, now + 1)).toBe(false);
        expect(await store.rememberNonce(key, oldNonce, now + MINUTE)).toBe(true);
        expect(await store.registerClient(newAccount('client'), liveInvite, now)).toBe('created');
        expect(await store.registerTherapist(newAccount('therapist'), liveCode, now)).toBe('created');

        // Nothing left to sweep but the code and invite just used.
        expect(await store.sweep(now, { incompleteBlobsBefore: now - DAY })).toEqual({
          messages: 0,
          blobs: 0,
          nonces: 0,
          registrationCodes: 1,
          invites: 1,
          expiredBlobIds: [],
        });
      });

      it('leaves unexpired incomplete uploads alone without incompleteBlobsBefore', async () => {
        const owner = await therapist();
        const blobId = rnd(BLOB_ID_LEN);
        await store.createBlob({ blobId, owner: owner.signingKey, createdAt: T0, expiresAt: T0 + 30 * DAY });
        const r = await store.sweep(T0 + 29 * DAY);
        expect(r.blobs).toBe(0);
        expect(r.expiredBlobIds).toEqual([]);
        expect(await store.getBlob(blobId)).toBeDefined();
      });

      it('finds nothing to sweep in an empty store', async () => {
        expect(await store.sweep(T0)).toEqual({ messages: 0, blobs: 0, nonces: 0, registrationCodes: 0, invites: 0, expiredBlobIds: [] });
      });
    });
  });
}
