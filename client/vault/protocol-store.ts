/**
 * The device's `ProtocolStore` (shared/session.ts) over the encrypted vault: the counterpart of
 * shared/memory-store.ts that the same session tests run against (protocol-store.test.ts).
 *
 * Layout in the vault (docs/VAULT.md §Collections):
 *   protocol          ""         "root-secret"   the 32-byte root secret (identity, keys.ts)
 *   protocol          ""         "prekey-ids"    next ids to hand out {signed, kem, oneTime}
 *   sessions          <address>  "record"        encodeSessionRecord bytes; the address (a peer's
 *                                                identity id) is a blinded partition, not stored
 *   prekeys.signed    ""         <id>            encodeSignedPreKeyRecord
 *   prekeys.kem       ""         <id>            encodeKemPreKeyRecord
 *   prekeys.one-time  ""         <id>            encodeOneTimePreKeyRecord
 * Prekey ids are in the clear (the relay publishes them anyway).
 *
 * The identity is derived from the root secret on first use and kept until the vault locks;
 * on lock its secrets are wiped, with the protocol's key caches (`clearKeyCache`,
 * `clearSealedSenderCache`). Ids are never reused: the counters only grow, so a one-time prekey
 * deleted after use cannot come back under the same id.
 * Does not: talk to the relay (client/account uploads what `generate*` returns), or decide
 * whom to trust (session.ts pins identities; the app shows changes).
 * @module
 */
import { equalBytes } from '../../shared/bytes.ts';
import { deriveIdentity, generateRootSecret, wipeIdentity, type Identity } from '../../shared/keys.ts';
import { decodeKemPreKeyRecord, decodeOneTimePreKeyRecord, decodeSignedPreKeyRecord, encodeKemPreKeyRecord, encodeOneTimePreKeyRecord, encodeSignedPreKeyRecord, generateKemPreKey, generateOneTimePreKeys, generateSignedPreKey, makeBundle, type KemPreKeyRecord, type OneTimePreKeyRecord, type PreKeyBundle, type SignedPreKeyRecord } from '../../shared/prekeys.ts';
import { clearKeyCache, type CryptoProvider } from '../../shared/provider.ts';
import { clearSealedSenderCache } from '../../shared/sealed.ts';
import type { ProtocolStore } from '../../shared/session.ts';
import { encodeValue } from './codec.ts';
import { VaultError, vaultFail } from './errors.ts';
import { withLock } from './locks.ts';
import type { Vault, VaultExpectation, VaultOp } from './vault.ts';

export const COLLECTION = {
  protocol: 'protocol',
  sessions: 'sessions',
  signed: 'prekeys.signed',
  kem: 'prekeys.kem',
  oneTime: 'prekeys.one-time',
} as const;

const ROOT_SECRET_ID = 'root-secret';
const COUNTERS_ID = 'prekey-ids';
const SESSION_ID = 'record';
const ROOT_SECRET_LEN = 32;
const MAX_U32 = 0xffff_ffff;
/**
 * How often `transact` redoes a step whose commit found a session changed underneath it. With
 * the origin lock held this never happens; it is the second line of defence (a browser without
 * Web Locks, a writer that bypassed `transact`), and a bound so that a livelock surfaces as an
 * error instead of a hang.
 */
const MAX_STEP_ATTEMPTS = 5;

interface Counters {
  signed: number;
  kem: number;
  oneTime: number;
}

function aAddress(address: unknown): string {
  if (typeof address !== 'string' || address.length === 0) throw vaultFail('invalid_argument', 'address must be a non-empty string');
  return address;
}

export class VaultProtocolStore implements ProtocolStore {
  private identity: Identity | undefined;
  private identityPending: Promise<Identity> | undefined;
  /** Prekey writes run one at a time, so two refills never hand out the same ids. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly unsubscribe: () => void;

  private constructor(
    readonly vault: Vault,
    private readonly provider: CryptoProvider | undefined,
  ) {
    this.unsubscribe = vault.onLockChange((unlocked) => {
      if (!unlocked) this.forget();
    });
  }

  /**
   * Set up the protocol state of a new device in `vault`: store `rootSecret` (default: a fresh
   * one; the caller shows it as the recovery phrase, keys.ts `rootSecretToPhrase`). Repeating
   * with the same secret is harmless; a different secret than the stored one is refused.
   */
  static async create(vault: Vault, options: { rootSecret?: Uint8Array; provider?: CryptoProvider } = {}): Promise<VaultProtocolStore> {
    const rootSecret = options.rootSecret ?? generateRootSecret();
    if (!(rootSecret instanceof Uint8Array) || rootSecret.length !== ROOT_SECRET_LEN) {
      throw vaultFail('invalid_argument', `rootSecret must be ${ROOT_SECRET_LEN} bytes`);
    }
    const stored = await vault.get(COLLECTION.protocol, '', ROOT_SECRET_ID);
    if (stored && !equalBytes(stored, rootSecret)) throw vaultFail('exists', 'this vault already holds a different identity');
    if (!stored) await vault.put(COLLECTION.protocol, '', ROOT_SECRET_ID, rootSecret);
    return new VaultProtocolStore(vault, options.provider);
  }

  /** The store of a vault that already holds an identity (`no_identity` otherwise). */
  static async open(vault: Vault, options: { provider?: CryptoProvider } = {}): Promise<VaultProtocolStore> {
    if (!(await vault.get(COLLECTION.protocol, '', ROOT_SECRET_ID))) throw vaultFail('no_identity', 'this vault holds no identity');
    return new VaultProtocolStore(vault, options.provider);
  }

  /** True when `vault` holds an identity (`open` would succeed). */
  static async exists(vault: Vault): Promise<boolean> {
    return (await vault.get(COLLECTION.protocol, '', ROOT_SECRET_ID)) !== undefined;
  }

  /** Stop following the vault's lock state and wipe the cached identity. */
  close(): void {
    this.unsubscribe();
    this.forget();
  }

  private forget(): void {
    const id = this.identity;
    this.identity = undefined;
    this.identityPending = undefined;
    if (id) wipeIdentity(id);
    clearKeyCache();
    clearSealedSenderCache();
  }

  /** The root secret (to show the recovery phrase or build an encrypted export). Wipe after use. */
  async rootSecret(): Promise<Uint8Array> {
    const secret = await this.vault.get(COLLECTION.protocol, '', ROOT_SECRET_ID);
    if (!secret || secret.length !== ROOT_SECRET_LEN) throw vaultFail('no_identity', 'this vault holds no identity');
    return secret;
  }

  async getIdentity(): Promise<Identity> {
    if (this.identity) return this.identity;
    if (!this.vault.isUnlocked) throw vaultFail('locked', 'vault is locked');
    this.identityPending ??= (async () => {
      const secret = await this.rootSecret();
      try {
        return await deriveIdentity(secret, this.provider);
      } finally {
        secret.fill(0);
      }
    })();
    const pending = this.identityPending;
    let identity: Identity;
    try {
      identity = await pending;
    } catch (e) {
      // Let the next call try again (e.g. after a lock during the read, then an unlock).
      if (this.identityPending === pending) this.identityPending = undefined;
      throw e;
    }
    // Locked while deriving: do not resurrect the identity after the lock wiped its cache.
    if (this.identityPending !== pending || !this.vault.isUnlocked) {
      wipeIdentity(identity);
      throw vaultFail('locked', 'vault was locked');
    }
    this.identity = identity;
    return identity;
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  /** The origin-wide lock that every session step of this vault runs under (locks.ts). */
  get sessionLockName(): string {
    return `confidant:${this.vault.dbName}:sessions`;
  }

  /**
   * One session step, safe against every other tab, window and worker of this origin: `run`
   * gets a unit of work (`ProtocolStoreBatch`) in which it may open, seal or start sessions and
   * `stage` its own records (the opened messages, the sealed outbox item); then every change is
   * written in one transaction that also checks that no session it read has changed since.
   *
   * Two guards, either enough on its own: the Web Locks API serialises steps across the origin
   * (so a second tab waits and then reads what the first one wrote), and the commit's version
   * check refuses a stale read (`conflict`), after which the step is redone from fresh state,
   * at most MAX_STEP_ATTEMPTS times. Nothing `run` returns, such as an envelope, may leave the
   * device before this resolves: only a committed step is real.
   */
  transact<T>(run: (session: ProtocolStoreBatch) => Promise<T>): Promise<T> {
    return withLock(this.sessionLockName, async () => {
      for (let attempt = 1; ; attempt++) {
        const session = this.batch();
        try {
          const result = await run(session);
          await session.commit();
          return result;
        } catch (e) {
          session.discard();
          if (!VaultError.is(e, 'conflict') || attempt >= MAX_STEP_ATTEMPTS) throw e;
        }
      }
    });
  }

  async loadSession(address: string): Promise<Uint8Array | undefined> {
    return this.vault.get(COLLECTION.sessions, aAddress(address), SESSION_ID);
  }

  async storeSession(address: string, record: Uint8Array): Promise<void> {
    await this.vault.put(COLLECTION.sessions, aAddress(address), SESSION_ID, record);
  }

  async deleteSession(address: string): Promise<void> {
    await this.vault.delete(COLLECTION.sessions, aAddress(address), SESSION_ID);
  }

  // -------------------------------------------------------------------------------------------
  // Prekeys: the ProtocolStore lookups

  async loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    const b = await this.vault.get(COLLECTION.signed, '', id);
    return b && decodeSignedPreKeyRecord(b);
  }

  async loadKemPreKey(id: number): Promise<KemPreKeyRecord | undefined> {
    const b = await this.vault.get(COLLECTION.kem, '', id);
    return b && decodeKemPreKeyRecord(b);
  }

  async loadOneTimePreKey(id: number): Promise<OneTimePreKeyRecord | undefined> {
    const b = await this.vault.get(COLLECTION.oneTime, '', id);
    return b && decodeOneTimePreKeyRecord(b);
  }

  async removeOneTimePreKey(id: number): Promise<void> {
    await this.vault.delete(COLLECTION.oneTime, '', id);
  }

  // -------------------------------------------------------------------------------------------
  // Prekeys: generating and recording them for upload

  private async counters(): Promise<Counters> {
    const c = await this.vault.getJSON<{ signed?: number; kem?: number; oneTime?: number }>(COLLECTION.protocol, '', COUNTERS_ID);
    // Also never below the highest stored id + 1, for records stored before any counter was.
    const [s, k, o] = await Promise.all(
      [COLLECTION.signed, COLLECTION.kem, COLLECTION.oneTime].map(async (col) => {
        const last = await this.vault.list(col, '', { reverse: true, limit: 1 });
        return last.length ? (last[0]!.id as number) + 1 : 1;
      }),
    );
    return { signed: Math.max(c?.signed ?? 1, s!), kem: Math.max(c?.kem ?? 1, k!), oneTime: Math.max(c?.oneTime ?? 1, o!) };
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private counterOp(next: Counters): VaultOp {
    for (const v of Object.values(next)) if (v > MAX_U32) throw vaultFail('invalid_argument', 'prekey ids exhausted');
    return { type: 'put', collection: COLLECTION.protocol, partition: '', id: COUNTERS_ID, value: encodeValue({ ...next }) };
  }

  async nextSignedPreKeyId(): Promise<number> {
    return (await this.counters()).signed;
  }
  async nextKemPreKeyId(): Promise<number> {
    return (await this.counters()).kem;
  }
  async nextOneTimePreKeyId(): Promise<number> {
    return (await this.counters()).oneTime;
  }

  /**
   * Moves every prekey id counter `by` ahead (a device restored from a backup): the ids the lost
   * device handed out after the backup are unknown here, and a peer may still hold one of them,
   * so new keys must never reuse them.
   */
  async skipPreKeyIds(by: number): Promise<void> {
    if (!Number.isInteger(by) || by < 1) throw vaultFail('invalid_argument', `by must be a positive integer, got ${by}`);
    await this.serial(async () => {
      const c = await this.counters();
      await this.vault.batch([this.counterOp({ signed: c.signed + by, kem: c.kem + by, oneTime: c.oneTime + by })]);
    });
  }

  /** Keep a signed prekey (generated here or by `generateSignedPreKey`). */
  async storeSignedPreKey(record: SignedPreKeyRecord): Promise<void> {
    await this.serial(() => this.writeSigned(record));
  }

  private writeSigned(record: SignedPreKeyRecord): Promise<void> {
    return this.writeCurrent('signed', COLLECTION.signed, record, encodeSignedPreKeyRecord(record));
  }

  async storeKemPreKey(record: KemPreKeyRecord): Promise<void> {
    await this.serial(() => this.writeKem(record));
  }

  private writeKem(record: KemPreKeyRecord): Promise<void> {
    return this.writeCurrent('kem', COLLECTION.kem, record, encodeKemPreKeyRecord(record));
  }

  /** A signed or KEM prekey record and its id counter, in one transaction. */
  private async writeCurrent(counter: 'signed' | 'kem', collection: string, record: { readonly id: number }, value: Uint8Array): Promise<void> {
    const c = await this.counters();
    await this.vault.batch([
      { type: 'put', collection, partition: '', id: record.id, value },
      this.counterOp({ ...c, [counter]: Math.max(c[counter], record.id + 1) }),
    ]);
  }

  /** Keep one-time prekeys, all in one transaction with the id counter. */
  async storeOneTimePreKeys(records: readonly OneTimePreKeyRecord[]): Promise<void> {
    await this.serial(() => this.writeOneTime(records));
  }

  private async writeOneTime(records: readonly OneTimePreKeyRecord[]): Promise<void> {
    if (records.length === 0) return;
    const c = await this.counters();
    const top = Math.max(...records.map((r) => r.id));
    await this.vault.batch([
      ...records.map((r): VaultOp => ({ type: 'put', collection: COLLECTION.oneTime, partition: '', id: r.id, value: encodeOneTimePreKeyRecord(r) })),
      this.counterOp({ ...c, oneTime: Math.max(c.oneTime, top + 1) }),
    ]);
  }

  /** A new signed prekey under the next id, stored; returns it for upload. */
  generateSignedPreKey(): Promise<SignedPreKeyRecord> {
    return this.generateNext('signed', generateSignedPreKey, (record) => this.writeSigned(record));
  }

  /** A new ML-KEM-768 prekey under the next id, stored; returns it for upload. */
  generateKemPreKey(): Promise<KemPreKeyRecord> {
    return this.generateNext('kem', generateKemPreKey, (record) => this.writeKem(record));
  }

  /** `generate` under the next id of `counter`, written by `write`, one at a time with other prekey writes. */
  private async generateNext<R>(
    counter: 'signed' | 'kem',
    generate: (identity: Identity, id: number, provider?: CryptoProvider) => Promise<R>,
    write: (record: R) => Promise<void>,
  ): Promise<R> {
    const identity = await this.getIdentity();
    return this.serial(async () => {
      const record = await generate(identity, (await this.counters())[counter], this.provider);
      await write(record);
      return record;
    });
  }

  /** `count` new one-time prekeys under fresh ids, stored; returns them for upload. */
  async generateOneTimePreKeys(count: number): Promise<OneTimePreKeyRecord[]> {
    if (!Number.isInteger(count) || count < 0) throw vaultFail('invalid_argument', `count must be a non-negative integer, got ${count}`);
    return this.serial(async () => {
      const records = await generateOneTimePreKeys((await this.counters()).oneTime, count, this.provider);
      await this.writeOneTime(records);
      return records;
    });
  }

  /** The newest signed prekey (highest id), the one to publish. */
  async currentSignedPreKey(): Promise<SignedPreKeyRecord | undefined> {
    const [last] = await this.vault.list(COLLECTION.signed, '', { reverse: true, limit: 1 });
    return last && decodeSignedPreKeyRecord(last.value);
  }

  async currentKemPreKey(): Promise<KemPreKeyRecord | undefined> {
    const [last] = await this.vault.list(COLLECTION.kem, '', { reverse: true, limit: 1 });
    return last && decodeKemPreKeyRecord(last.value);
  }

  async oneTimePreKeyCount(): Promise<number> {
    return this.vault.count(COLLECTION.oneTime, '');
  }

  /**
   * After rotation: delete signed and KEM prekeys older than the newest `keep` of each (late
   * prekey messages may still name a recently replaced one, so keep at least 2).
   */
  async pruneSignedPreKeys(keep = 2): Promise<void> {
    if (!Number.isInteger(keep) || keep < 1) throw vaultFail('invalid_argument', `keep must be a positive integer, got ${keep}`);
    const ops: VaultOp[] = [];
    for (const collection of [COLLECTION.signed, COLLECTION.kem]) {
      const old = await this.vault.list(collection, '', { reverse: true });
      for (const e of old.slice(keep)) ops.push({ type: 'delete', collection, partition: '', id: e.id });
    }
    await this.vault.batch(ops);
  }

  /**
   * A unit of work for a backlog: a `ProtocolStore` whose session writes and one-time prekey
   * removals stay in memory until `commit`, which writes them, plus the caller's own records
   * (the opened messages), in one transaction. 500 messages then cost one IndexedDB commit
   * instead of 500, and a crash loses nothing: either the ratchet advanced and the messages
   * are stored, or neither, and the relay (not yet acknowledged) sends them again.
   * The app takes units of work through `transact`, which adds the cross-tab lock and retry.
   */
  batch(): ProtocolStoreBatch {
    return new ProtocolStoreBatch(this);
  }

  /**
   * The bundle a relay would hand out for this device (newest signed and KEM prekeys, the given
   * or lowest one-time prekey, none with `null`). For tests and for checking an upload.
   */
  async bundle(options: { oneTimePreKeyId?: number | null } = {}): Promise<PreKeyBundle> {
    const [spk, kem] = await Promise.all([this.currentSignedPreKey(), this.currentKemPreKey()]);
    if (!spk || !kem) throw vaultFail('no_identity', 'no signed or KEM prekey yet');
    let opk: OneTimePreKeyRecord | undefined;
    if (options.oneTimePreKeyId === undefined) {
      const [first] = await this.vault.list(COLLECTION.oneTime, '', { limit: 1 });
      opk = first && decodeOneTimePreKeyRecord(first.value);
    } else if (options.oneTimePreKeyId !== null) {
      opk = await this.loadOneTimePreKey(options.oneTimePreKeyId);
    }
    return makeBundle(await this.getIdentity(), spk, kem, opk);
  }
}

/**
 * See `VaultProtocolStore.batch`. Remembers the stored version of every session it read, and
 * its commit writes only if none of those changed meanwhile (`conflict` otherwise): a unit of
 * work that raced another writer fails whole instead of overwriting its step.
 */
export class ProtocolStoreBatch implements ProtocolStore {
  private readonly sessions = new Map<string, Uint8Array>();
  /** Session versions as first read from the vault (undefined: there was none). */
  private readonly versions = new Map<string, Uint8Array | undefined>();
  private readonly removedOneTime = new Set<number>();
  private readonly staged: VaultOp[] = [];
  private done = false;

  constructor(readonly base: VaultProtocolStore) {}

  private open(): void {
    if (this.done) throw vaultFail('closed', 'batch already committed');
  }

  getIdentity(): Promise<Identity> {
    return this.base.getIdentity();
  }
  async loadSession(address: string): Promise<Uint8Array | undefined> {
    this.open();
    const a = aAddress(address);
    const pending = this.sessions.get(a);
    if (pending) return pending;
    const { value, version } = await this.base.vault.getVersioned(COLLECTION.sessions, a, SESSION_ID);
    if (!this.versions.has(a)) this.versions.set(a, version);
    return value;
  }
  async storeSession(address: string, record: Uint8Array): Promise<void> {
    this.open();
    if (!(record instanceof Uint8Array)) throw vaultFail('invalid_argument', 'record must be a Uint8Array');
    this.sessions.set(aAddress(address), record);
  }
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    return this.base.loadSignedPreKey(id);
  }
  loadKemPreKey(id: number): Promise<KemPreKeyRecord | undefined> {
    return this.base.loadKemPreKey(id);
  }
  async loadOneTimePreKey(id: number): Promise<OneTimePreKeyRecord | undefined> {
    this.open();
    return this.removedOneTime.has(id) ? undefined : this.base.loadOneTimePreKey(id);
  }
  async removeOneTimePreKey(id: number): Promise<void> {
    this.open();
    this.removedOneTime.add(id);
  }

  /** Number of pending writes (sessions and removals). */
  get size(): number {
    return this.sessions.size + this.removedOneTime.size;
  }

  /** Records of the caller's to write in the same transaction as the session steps. */
  stage(ops: readonly VaultOp[]): void {
    this.open();
    this.staged.push(...ops);
  }

  /**
   * Write every pending change, the staged records and `extra` (e.g. the opened messages) in
   * one transaction, provided no session this unit read has changed since (`conflict`).
   */
  async commit(extra: readonly VaultOp[] = []): Promise<void> {
    this.open();
    const ops: VaultOp[] = [
      ...[...this.sessions].map(([address, value]): VaultOp => ({ type: 'put', collection: COLLECTION.sessions, partition: address, id: SESSION_ID, value })),
      ...[...this.removedOneTime].map((id): VaultOp => ({ type: 'delete', collection: COLLECTION.oneTime, partition: '', id })),
      ...this.staged,
      ...extra,
    ];
    const expect = [...this.sessions.keys()]
      .filter((address) => this.versions.has(address))
      .map((address): VaultExpectation => ({ collection: COLLECTION.sessions, partition: address, id: SESSION_ID, version: this.versions.get(address) }));
    await this.base.vault.batch(ops, { expect });
    this.done = true;
  }

  /** Drop every pending change (nothing was written). */
  discard(): void {
    this.sessions.clear();
    this.versions.clear();
    this.removedOneTime.clear();
    this.staged.length = 0;
    this.done = true;
  }
}
