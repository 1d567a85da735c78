/**
 * What every conformance suite shares (one suite per resource, ./index.ts): the adapter's
 * opened store, constants, random rows and a few helpers. `storeFixture` registers the hooks
 * that open a fresh store before each test and release it after; `store` and `blobs` always
 * stand for the current test's, so the suites read as if they held them directly.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Account, AccountKind, BlobStore, MailboxQuota, Store, StoredMessage } from '../types.ts';

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

/** Opens a migrated, empty store of one adapter; called before every test. */
export type OpenStore = () => Promise<OpenedForTest>;

/** A fixed "now" far from 0 so that `now - x` stays positive. */
export const T0 = 1_750_000_000_000;
export const MINUTE = 60_000;
export const DAY = 86_400_000;
export const ROOMY: MailboxQuota = { maxMessages: 1000, maxBytes: 1 << 24 };

export const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export const newAccount = (kind: AccountKind, createdAt = T0): Account => ({
  signingKey: rnd(32),
  agreementKey: rnd(32),
  identity: rnd(129),
  kind,
  createdAt,
});

export const message = (mailboxId: Uint8Array, over: Partial<Omit<StoredMessage, 'seq'>> = {}): Omit<StoredMessage, 'seq'> => ({
  mailboxId,
  messageId: rnd(16),
  envelope: rnd(1024),
  receivedAt: T0,
  expiresAt: T0 + 30 * DAY,
  ...over,
});

/** A lazy source of `total` bytes in `chunk`-sized pieces that records whether it was cancelled. */
export function source(total: number, chunk: number): { stream: ReadableStream<Uint8Array>; bytes: Uint8Array; cancelled: () => boolean } {
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

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream as ReadableStream<Uint8Array<ArrayBuffer>>).arrayBuffer());
}

/** Byte equality without vitest's element-by-element deep equal (slow on 100 KiB+ arrays). */
export function expectSameBytes(got: Uint8Array, want: Uint8Array): void {
  expect(got.length).toBe(want.length);
  expect(Buffer.compare(got, want), 'bytes differ').toBe(0);
}

/** Names of the tables that hold `needle` in some byte column (as the whole value or inside it). */
export function tablesHolding(tables: Record<string, readonly (readonly unknown[])[]>, needle: Uint8Array): string[] {
  const hit = (v: unknown): boolean => v instanceof Uint8Array && Buffer.from(v.buffer, v.byteOffset, v.byteLength).includes(Buffer.from(needle));
  return Object.entries(tables)
    .filter(([, rows]) => rows.some((row) => row.some(hit)))
    .map(([name]) => name)
    .sort();
}

/** A therapist registered with a fresh code, straight through the store, at T0. */
export async function registeredTherapist(store: Pick<Store, 'addRegistrationCode' | 'registerTherapist'>): Promise<Account> {
  const code = rnd(32);
  await store.addRegistrationCode(code, T0, T0 + DAY);
  const owner = newAccount('therapist');
  expect(await store.registerTherapist(owner, code, T0)).toBe('created');
  return owner;
}

/** A registered therapist and a mailbox of theirs, straight through the store, at T0. */
export async function therapistWithMailbox(store: Store): Promise<{ owner: Account; mailboxId: Uint8Array }> {
  const owner = await registeredTherapist(store);
  const mailboxId = rnd(16);
  await store.createMailbox(mailboxId, owner.signingKey, T0);
  return { owner, mailboxId };
}

/**
 * What the migration that drops account keys from blob and limit rows leaves of a blob that
 * `owner` uploaded (complete, 7 bytes, T0 to T0 + DAY) and a limit row of `requester` for
 * `owner`, in both adapters: the limit row is gone, neither key is in any table but the
 * owner's account, and the blob can only expire (no delete token was handed out for it).
 */
export async function expectUploaderForgotten(
  store: Store,
  rows: Record<string, readonly (readonly unknown[])[]>,
  { owner, requester, blobId }: { owner: Uint8Array; requester: Uint8Array; blobId: Uint8Array },
): Promise<void> {
  expect(rows['prekey_grants']).toEqual([]);
  expect(tablesHolding(rows, requester)).toEqual([]);
  expect(tablesHolding(rows, owner).filter((name) => name !== 'accounts')).toEqual([]);
  expect(await store.getBlob(blobId)).toEqual({ blobId, size: 7, complete: true, createdAt: T0, expiresAt: T0 + DAY });
  expect(await store.deleteBlob(blobId, rnd(32))).toBe(false);
  expect(await store.deleteBlob(blobId, owner)).toBe(false);
  expect((await store.sweep(T0 + DAY)).expiredBlobIds).toEqual([blobId]);
}

/** The current test's object, with its methods bound: stands for it in a suite's closures. */
function current<T extends object>(get: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_, key) {
      const target = get();
      if (target === undefined) throw new Error('conformance: no store is open outside a test');
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface StoreFixture {
  /** The current test's store. */
  readonly store: Store;
  /** The current test's blob bytes. */
  readonly blobs: BlobStore;
  tables(): Promise<Record<string, readonly (readonly unknown[])[]>>;
  /** A registered therapist (through a fresh registration code). */
  therapist(): Promise<Account>;
  /** A mailbox owned by a fresh therapist. */
  mailbox(): Promise<{ owner: Account; mailboxId: Uint8Array }>;
  withPreKeys(account: Account, oneTimeIds: number[]): Promise<void>;
}

/** Registers the hooks that open a fresh store per test (inside the caller's `describe`). */
export function storeFixture(open: OpenStore): StoreFixture {
  let opened: OpenedForTest | undefined;
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    await opened?.cleanup();
    opened = undefined;
  });
  const store = current(() => opened?.store);
  const blobs = current(() => opened?.blobs);

  async function therapist(): Promise<Account> {
    const code = rnd(32);
    await store.addRegistrationCode(code, T0, T0 + DAY);
    const account = newAccount('therapist');
    expect(await store.registerTherapist(account, code, T0)).toBe('created');
    return account;
  }

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

  return { store, blobs, tables: () => opened!.tables(), therapist, mailbox, withPreKeys };
}
