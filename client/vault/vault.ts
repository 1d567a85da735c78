/**
 * The encrypted vault (ARCHITECTURE.md, boundary 9; docs/VAULT.md): everything the app keeps on the
 * device, in one IndexedDB database, encrypted under a random 256-bit vault key that is wrapped
 * by a key derived from the person's passphrase (kdf.ts).
 *
 *   vault key VK      32 random bytes; stored only wrapped:
 *                     AES-256-GCM(KEK, iv, VK, aad = "confidant vault key v1" || vaultId || kdfParams)
 *   record key        HKDF-SHA-256(VK, salt = vaultId, info = "confidant vault records v1")   AES-256-GCM
 *   blinding key      HKDF-SHA-256(VK, salt = vaultId, info = "confidant vault partitions v1") HMAC-SHA-256
 *
 * Both derived keys live only as non-extractable WebCrypto keys; VK and KEK bytes are wiped as
 * soon as they are imported. `lock()` drops the key references (what JS allows; see VAULT.md).
 *
 * A record is addressed by (collection, partition, id). The collection ("messages") and id
 * (a sequence number, a random id) are stored in the clear because IndexedDB must order by them;
 * the partition (a conversation id, a peer address) is blinded:
 *   blinded = base64url(HMAC(blindingKey, len(collection) || collection || partition)[0..16])
 * so equal partitions in different collections are unlinkable without the key. The value is
 *   0x01 || iv(12) || AES-256-GCM(recordKey, iv, plaintext, aad)
 *   aad = "confidant vault record v1" || len(c) || c || len(blinded) || blinded || idTag || id
 * so a ciphertext moved to any other key fails authentication (`bad_mac`), never decrypts.
 *
 * Writes of several records (`batch`, `putMany`) are encrypted first and then written in one
 * IndexedDB transaction: all or nothing. Does not: decide when to lock (the UI does, on
 * inactivity; background sync must not count as activity), or know what collections mean.
 * @module
 */
import { equalBytes } from '../../shared/bytes.ts';
import { toBase64url } from '../../shared/encoding.ts';
import { decodeValue, encodeValue, type VaultValue } from './codec.ts';
import { DEFAULT_DB_NAME, deleteVaultDB, openVaultDB, partitionRange, type RecordId, type RecordKey, type StoredHeader, type StoredRecord, type VaultDatabase } from './db.ts';
import { VaultError, vaultFail } from './errors.ts';
import { checkKdfCost, deriveWrappingKey, encodeKdfParams, KDF_SALT_LEN, newKdfParams, type KdfCost, type KdfParams } from './kdf.ts';

/** Header format written by this build. */
export const VAULT_FORMAT = 1;
/** First byte of every encrypted record. */
const RECORD_VERSION = 1;
const VAULT_KEY_LEN = 32;
const VAULT_ID_LEN = 16;
const IV_LEN = 12;
const TAG_LEN = 16;
/** Blinded partition length in bytes before base64url: 128 bits, collisions negligible. */
const BLIND_LEN = 16;
/** Blinded partition names cached while unlocked (hot conversations); cleared on lock. */
const BLIND_CACHE_MAX = 4096;
const MAX_NAME_LEN = 1024;

const LABEL = {
  wrap: 'confidant vault key v1',
  records: 'confidant vault records v1',
  partitions: 'confidant vault partitions v1',
  record: 'confidant vault record v1',
} as const;

const utf8 = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s);
const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

export interface CreateOptions {
  /** IndexedDB database name (default "confidant-vault"); tests and profiles use their own. */
  readonly dbName?: string;
  /** KDF cost (default `DEFAULT_KDF`). Tests inject a cheap one; production keeps the default. */
  readonly kdf?: KdfCost;
  readonly onProgress?: (fraction: number) => void;
}

export interface ListOptions {
  /** At most this many records (default: all). */
  readonly limit?: number;
  /** Start strictly after this id, in the direction of iteration (the last id of the previous page). */
  readonly after?: RecordId;
  /** Newest first: descending id order. */
  readonly reverse?: boolean;
}

export interface VaultEntry<T = Uint8Array> {
  readonly id: RecordId;
  readonly value: T;
}

export type VaultOp =
  | { readonly type: 'put'; readonly collection: string; readonly partition: string; readonly id: RecordId; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly collection: string; readonly partition: string; readonly id: RecordId };

/**
 * A record as `getVersioned` read it. `version` is an opaque token (the stored ciphertext,
 * which a fresh IV makes different on every write); undefined when there was no record.
 */
/**
 * A write this handle committed, as its listeners hear it (`onCommit`): the ops of a `batch`
 * (values as given, before encryption) or a whole partition removed by `deletePartition`.
 */
export type VaultChange = VaultOp | { readonly type: 'delete-partition'; readonly collection: string; readonly partition: string };

export interface VersionedValue {
  readonly value: Uint8Array | undefined;
  readonly version: Uint8Array | undefined;
}

/** A condition of a `batch`: the record still holds the version read (undefined: still absent). */
export interface VaultExpectation {
  readonly collection: string;
  readonly partition: string;
  readonly id: RecordId;
  readonly version: Uint8Array | undefined;
}

interface UnlockedKeys {
  /**
   * The vault key itself, kept (and zeroed on lock) only so that a backup can carry it: a
   * restored vault must have this key to read the records as they are stored (the partition
   * blinding derives from it; docs/VAULT.md "Backups").
   */
  readonly vaultKey: Uint8Array;
  readonly recordKey: CryptoKey;
  readonly blindKey: CryptoKey;
  readonly blindCache: Map<string, string>;
}

interface Header {
  readonly vaultId: Uint8Array;
  readonly kdf: KdfParams;
  readonly wrapIv: Uint8Array;
  readonly wrappedKey: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Argument checks (noble style: name the argument, say what was expected).

function aName(value: unknown, name: string, allowEmpty: boolean): string {
  if (typeof value !== 'string') throw vaultFail('invalid_argument', `${name} must be a string, got ${typeof value}`);
  if (!allowEmpty && value.length === 0) throw vaultFail('invalid_argument', `${name} must not be empty`);
  if (value.length > MAX_NAME_LEN) throw vaultFail('invalid_argument', `${name} is ${value.length} chars, max ${MAX_NAME_LEN}`);
  return value;
}

function aId(value: unknown): RecordId {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw vaultFail('invalid_argument', `id must be a finite number, got ${value}`);
    // IndexedDB treats -0 and 0 as one key; the AAD would not, so store one of them.
    return value === 0 ? 0 : value;
  }
  return aName(value, 'id', true);
}

function aBytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw vaultFail('invalid_argument', `${name} must be a Uint8Array, got ${typeof value}`);
  return value;
}

function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, false);
  out.set(bytes, 4);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function encodeId(id: RecordId): Uint8Array {
  if (typeof id === 'number') {
    const out = new Uint8Array(9);
    out[0] = 1;
    new DataView(out.buffer).setFloat64(1, id, false);
    return out;
  }
  return concat(Uint8Array.of(2), lengthPrefixed(utf8(id)));
}

function recordAad(collection: string, blinded: string, id: RecordId): Uint8Array {
  return concat(utf8(LABEL.record), lengthPrefixed(utf8(collection)), lengthPrefixed(utf8(blinded)), encodeId(id));
}

function wrapAad(vaultId: Uint8Array, kdf: KdfParams): Uint8Array {
  return concat(utf8(LABEL.wrap), vaultId, encodeKdfParams(kdf));
}

// ---------------------------------------------------------------------------------------------
// Header (de)serialisation. The header is read before anything is authenticated, so every
// field is checked; its integrity comes from the AAD of the wrapped key.

function storeHeader(h: Header): StoredHeader {
  return { format: VAULT_FORMAT, vaultId: h.vaultId, kdf: { ...h.kdf }, wrapIv: h.wrapIv, wrappedKey: h.wrappedKey };
}

function parseHeader(stored: StoredHeader): Header {
  if (stored.format !== VAULT_FORMAT) throw vaultFail('unsupported_version', `vault format ${String(stored.format)}`);
  const bytes = (v: unknown, len: number, name: string): Uint8Array => {
    if (!(v instanceof Uint8Array) || v.length !== len) throw vaultFail('malformed', `vault header ${name} is not ${len} bytes`);
    return v;
  };
  const kdf = stored.kdf as Record<string, unknown> & { algorithm?: unknown };
  let cost: KdfCost;
  try {
    cost = checkKdfCost(kdf as unknown as KdfCost);
  } catch (e) {
    if (VaultError.is(e, 'invalid_argument')) throw vaultFail('malformed', 'vault header kdf parameters out of range');
    throw e;
  }
  return {
    vaultId: bytes(stored.vaultId, VAULT_ID_LEN, 'vaultId'),
    kdf: { ...cost, salt: bytes(kdf.salt, KDF_SALT_LEN, 'kdf salt') },
    wrapIv: bytes(stored.wrapIv, IV_LEN, 'wrapIv'),
    wrappedKey: bytes(stored.wrappedKey, VAULT_KEY_LEN + TAG_LEN, 'wrappedKey'),
  };
}

async function importAesKey(raw: Uint8Array, usages: KeyUsage[]): Promise<CryptoKey> {
  return subtle().importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, usages);
}

/** Wrap `vaultKey` under a fresh KEK from `passphrase` and `kdf`. */
async function wrapVaultKey(vaultKey: Uint8Array, vaultId: Uint8Array, passphrase: string, kdf: KdfParams, onProgress?: (f: number) => void): Promise<Header> {
  const kekBytes = await deriveWrappingKey(passphrase, kdf, onProgress);
  const kek = await importAesKey(kekBytes, ['encrypt']);
  kekBytes.fill(0);
  const wrapIv = crypto.getRandomValues(new Uint8Array(IV_LEN));
  const wrappedKey = new Uint8Array(
    await subtle().encrypt({ name: 'AES-GCM', iv: wrapIv, additionalData: wrapAad(vaultId, kdf) as Uint8Array<ArrayBuffer> }, kek, vaultKey as Uint8Array<ArrayBuffer>),
  );
  return { vaultId, kdf, wrapIv, wrappedKey };
}

/** The vault key bytes (caller wipes), or `wrong_passphrase`. */
async function unwrapVaultKey(header: Header, passphrase: string, onProgress?: (f: number) => void): Promise<Uint8Array> {
  const kekBytes = await deriveWrappingKey(passphrase, header.kdf, onProgress);
  const kek = await importAesKey(kekBytes, ['decrypt']);
  kekBytes.fill(0);
  try {
    const raw = await subtle().decrypt(
      { name: 'AES-GCM', iv: header.wrapIv as Uint8Array<ArrayBuffer>, additionalData: wrapAad(header.vaultId, header.kdf) as Uint8Array<ArrayBuffer> },
      kek,
      header.wrappedKey as Uint8Array<ArrayBuffer>,
    );
    return new Uint8Array(raw);
  } catch {
    // A wrong passphrase and an edited header look the same: the tag does not verify.
    throw vaultFail('wrong_passphrase', 'the passphrase does not unlock this vault');
  }
}

/** Derive the record and blinding keys from the vault key, as non-extractable CryptoKeys. */
async function deriveKeys(vaultKey: Uint8Array, vaultId: Uint8Array): Promise<UnlockedKeys> {
  const base = await subtle().importKey('raw', vaultKey as Uint8Array<ArrayBuffer>, 'HKDF', false, ['deriveKey']);
  const hkdf = (label: string): HkdfParams => ({ name: 'HKDF', hash: 'SHA-256', salt: vaultId as Uint8Array<ArrayBuffer>, info: utf8(label) });
  const [recordKey, blindKey] = await Promise.all([
    subtle().deriveKey(hkdf(LABEL.records), base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
    subtle().deriveKey(hkdf(LABEL.partitions), base, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']),
  ]);
  return { vaultKey: vaultKey.slice(), recordKey, blindKey, blindCache: new Map() };
}

/** Map IndexedDB failures that mean "this handle is gone" to `closed`; rethrow the rest. */
function idbError(e: unknown): never {
  if (e instanceof DOMException && (e.name === 'InvalidStateError' || e.name === 'AbortError')) {
    throw new VaultError('closed', `vault database unavailable (${e.name})`, { cause: e });
  }
  throw e;
}

// ---------------------------------------------------------------------------------------------

/**
 * A handle on one vault database. Obtained locked from `openVault` (call `unlock`) or unlocked
 * from `createVault`. Every record operation rejects with `locked` while locked.
 */
export class Vault {
  private keys: UnlockedKeys | undefined;
  private closed = false;
  private readonly lockListeners = new Set<(unlocked: boolean) => void>();
  private readonly commitListeners = new Set<(changes: readonly VaultChange[]) => void>();

  private constructor(
    private readonly db: VaultDatabase,
    readonly dbName: string,
    private header: Header,
  ) {}

  /** @internal Used by `createVault` / `openVault` only. */
  static async _open(dbName: string, mustExist: boolean): Promise<{ db: VaultDatabase; stored: StoredHeader | undefined; attach(h: Header): Vault }> {
    let vault: Vault | undefined;
    const db = await openVaultDB(dbName, {
      onClosedByOtherTab: () => vault?.markClosed(),
    });
    const stored = await db.get('meta', 'header');
    if (mustExist && !stored) {
      db.close();
      throw vaultFail('no_vault', 'no vault in this database');
    }
    return { db, stored, attach: (h) => (vault = new Vault(db, dbName, h)) };
  }

  /** True while the vault key is held (records can be read and written). */
  get isUnlocked(): boolean {
    return this.keys !== undefined;
  }

  /** The KDF parameters the passphrase currently goes through (no salt). */
  get kdf(): KdfCost {
    const { salt: _salt, ...cost } = this.header.kdf;
    return cost;
  }

  /** Listen for lock/unlock (the UI hides content, the protocol store wipes its identity). */
  onLockChange(listener: (unlocked: boolean) => void): () => void {
    this.lockListeners.add(listener);
    return () => this.lockListeners.delete(listener);
  }

  /**
   * Hear every write this handle commits, after its transaction completed (a rolled-back batch
   * is never heard): what is derived from the records, such as the search index
   * (client/search/), follows them without each writer having to tell it. Only this handle's
   * writes: another tab's are not heard (their derived data reconciles by other means).
   * A listener runs synchronously and must not throw; if it does, the error is reported on the
   * console and the write stays committed.
   */
  onCommit(listener: (changes: readonly VaultChange[]) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  private committed(changes: readonly VaultChange[]): void {
    for (const l of [...this.commitListeners]) {
      try {
        l(changes);
      } catch (e) {
        console.error('confidant: a vault commit listener failed', e);
      }
    }
  }

  private notify(): void {
    let first: unknown;
    for (const l of [...this.lockListeners]) {
      try {
        l(this.isUnlocked);
      } catch (e) {
        first ??= e;
      }
    }
    // Like signals' endBatch: every listener runs, then the first error surfaces.
    if (first !== undefined) throw first;
  }

  private markClosed(): void {
    this.closed = true;
    const was = this.keys !== undefined;
    this.keys = undefined;
    if (was) this.notify();
  }

  private assertOpen(): void {
    if (this.closed) throw vaultFail('closed', 'vault handle is closed');
  }

  private need(): UnlockedKeys {
    this.assertOpen();
    if (!this.keys) throw vaultFail('locked', 'vault is locked');
    return this.keys;
  }

  /**
   * Derive the key from `passphrase` and unwrap the vault key. A wrong passphrase rejects with
   * `wrong_passphrase` and changes nothing (the vault stays locked, nothing is written).
   */
  async unlock(passphrase: string, options: { onProgress?: (fraction: number) => void } = {}): Promise<void> {
    this.assertOpen();
    // Re-read the header: another tab may have changed the passphrase since we opened.
    const stored = await this.db.get('meta', 'header').catch(idbError);
    if (!stored) throw vaultFail('closed', 'the vault was destroyed');
    this.header = parseHeader(stored);
    const vaultKey = await unwrapVaultKey(this.header, passphrase, options.onProgress);
    try {
      this._setKeys(await deriveKeys(vaultKey, this.header.vaultId));
    } finally {
      vaultKey.fill(0);
    }
  }

  /** @internal */
  _setKeys(keys: UnlockedKeys): void {
    this.assertOpen();
    this.keys = keys;
    this.notify();
  }

  /** Drop every key reference and cached blinded name. Idempotent. */
  lock(): void {
    if (!this.keys) return;
    this.keys.vaultKey.fill(0);
    this.keys.blindCache.clear();
    this.keys = undefined;
    this.notify();
  }

  /**
   * Re-wrap the vault key under `next` (and, with `kdf`, new KDF parameters: this is also how
   * parameters are raised later, with `next === current`). Needs the current passphrase even
   * when unlocked, so an unlocked, unattended device cannot have its passphrase changed.
   * Records are untouched (the vault key stays the same); the lock state does not change.
   */
  async changePassphrase(current: string, next: string, options: { kdf?: KdfCost; onProgress?: (fraction: number) => void } = {}): Promise<void> {
    this.assertOpen();
    const stored = await this.db.get('meta', 'header').catch(idbError);
    if (!stored) throw vaultFail('closed', 'the vault was destroyed');
    const header = parseHeader(stored);
    const params = newKdfParams(options.kdf ?? this.kdf);
    const vaultKey = await unwrapVaultKey(header, current);
    let fresh: Header;
    try {
      fresh = await wrapVaultKey(vaultKey, header.vaultId, next, params, options.onProgress);
    } finally {
      vaultKey.fill(0);
    }
    const tx = this.db.transaction('meta', 'readwrite');
    const now = await tx.store.get('header');
    // Another tab changed it meanwhile: refuse rather than overwrite its change.
    if (!now || !equalBytes(now.wrappedKey, header.wrappedKey)) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw vaultFail('wrong_passphrase', 'the vault passphrase changed meanwhile; unlock again');
    }
    await tx.store.put(storeHeader(fresh), 'header');
    await tx.done.catch(idbError);
    this.header = fresh;
  }

  /**
   * Erase the vault: first overwrite the wrapped key (so the ciphertext left in freed storage
   * pages can no longer be decrypted, whatever the passphrase), then delete the database.
   */
  async destroy(): Promise<void> {
    this.assertOpen();
    await this.db.delete('meta', 'header').catch(idbError);
    this.lock();
    this.close();
    await deleteVaultDB(this.dbName);
  }

  /** Lock and close the database connection. The handle is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.lock();
    this.closed = true;
    this.db.close();
  }

  // -------------------------------------------------------------------------------------------
  // Records

  private async blind(keys: UnlockedKeys, collection: string, partition: string): Promise<string> {
    const cacheKey = `${collection.length}:${collection}${partition}`;
    const hit = keys.blindCache.get(cacheKey);
    if (hit !== undefined) return hit;
    const mac = await subtle().sign('HMAC', keys.blindKey, concat(lengthPrefixed(utf8(collection)), utf8(partition)) as Uint8Array<ArrayBuffer>);
    const blinded = toBase64url(new Uint8Array(mac, 0, BLIND_LEN));
    if (keys.blindCache.size >= BLIND_CACHE_MAX) keys.blindCache.clear();
    keys.blindCache.set(cacheKey, blinded);
    return blinded;
  }

  private async seal(keys: UnlockedKeys, c: string, p: string, id: RecordId, value: Uint8Array): Promise<StoredRecord> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_LEN));
    const ct = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: recordAad(c, p, id) as Uint8Array<ArrayBuffer> }, keys.recordKey, value as Uint8Array<ArrayBuffer>);
    return { c, p, k: id, v: concat(Uint8Array.of(RECORD_VERSION), iv, new Uint8Array(ct)) };
  }

  private async open(keys: UnlockedKeys, r: StoredRecord): Promise<Uint8Array> {
    const v = r.v as Uint8Array<ArrayBuffer>;
    if (!(v instanceof Uint8Array) || v.length < 1 + IV_LEN + TAG_LEN) throw vaultFail('malformed', `record in ${r.c} is truncated`);
    if (v[0] !== RECORD_VERSION) throw vaultFail('unsupported_version', `record version ${v[0]}`);
    try {
      const pt = await subtle().decrypt(
        { name: 'AES-GCM', iv: v.subarray(1, 1 + IV_LEN), additionalData: recordAad(r.c, r.p, r.k) as Uint8Array<ArrayBuffer> },
        keys.recordKey,
        v.subarray(1 + IV_LEN),
      );
      return new Uint8Array(pt);
    } catch {
      throw vaultFail('bad_mac', `record in ${r.c} failed authentication (tampered or moved)`);
    }
  }

  private async key(keys: UnlockedKeys, collection: string, partition: string, id: RecordId): Promise<RecordKey> {
    const c = aName(collection, 'collection', false);
    const p = await this.blind(keys, c, aName(partition, 'partition', true));
    return [c, p, aId(id)];
  }

  /** The bytes stored at (collection, partition, id), or undefined. */
  async get(collection: string, partition: string, id: RecordId): Promise<Uint8Array | undefined> {
    const keys = this.need();
    const k = await this.key(keys, collection, partition, id);
    const r = await this.db.get('records', k).catch(idbError);
    return r ? this.open(keys, r) : undefined;
  }

  /**
   * The bytes at each of `ids` in one partition (undefined where there is none), read in one
   * IndexedDB transaction: a slice of received messages asks for its payload ids at once
   * (client/sync/receive.ts) instead of one transaction per message.
   */
  async getMany(collection: string, partition: string, ids: readonly RecordId[]): Promise<(Uint8Array | undefined)[]> {
    const keys = this.need();
    if (ids.length === 0) return [];
    const ks = await Promise.all(ids.map((id) => this.key(keys, collection, partition, id)));
    let rows: (StoredRecord | undefined)[];
    try {
      const tx = this.db.transaction('records', 'readonly');
      rows = await Promise.all(ks.map((k) => tx.store.get(k)));
      await tx.done;
    } catch (e) {
      idbError(e);
    }
    return Promise.all(rows.map((r) => (r ? this.open(keys, r) : undefined)));
  }

  /**
   * The bytes at (collection, partition, id) with their version, for a later `batch` that must
   * fail if another tab wrote the record in between (`expect`).
   */
  async getVersioned(collection: string, partition: string, id: RecordId): Promise<VersionedValue> {
    const keys = this.need();
    const k = await this.key(keys, collection, partition, id);
    const r = await this.db.get('records', k).catch(idbError);
    if (!r) return { value: undefined, version: undefined };
    return { value: await this.open(keys, r), version: r.v.slice() };
  }

  /** Store `value` at (collection, partition, id), replacing what was there. */
  async put(collection: string, partition: string, id: RecordId, value: Uint8Array): Promise<void> {
    await this.batch([{ type: 'put', collection, partition, id, value }]);
  }

  /** Remove one record (no error if absent). */
  async delete(collection: string, partition: string, id: RecordId): Promise<void> {
    await this.batch([{ type: 'delete', collection, partition, id }]);
  }

  /**
   * Apply puts and deletes in one IndexedDB transaction: either all land or none does.
   * Everything is encrypted before the transaction opens (IndexedDB transactions commit as soon
   * as they wait on anything but IndexedDB).
   *
   * With `expect`, the same transaction first reads each expected record and compares it with
   * the version the caller read (`getVersioned`); if any differs, the transaction is aborted,
   * nothing is written and the call rejects with `conflict`. Read, check and write are then one
   * atomic step even when another tab writes the same records.
   */
  async batch(ops: readonly VaultOp[], options: { readonly expect?: readonly VaultExpectation[] } = {}): Promise<void> {
    const keys = this.need();
    if (!Array.isArray(ops)) throw vaultFail('invalid_argument', 'ops must be an array');
    const expect = options.expect ?? [];
    if (!Array.isArray(expect)) throw vaultFail('invalid_argument', 'expect must be an array');
    const expected = await Promise.all(
      expect.map(async (e) => ({
        key: await this.key(keys, e.collection, e.partition, e.id),
        version: e.version === undefined ? undefined : aBytes(e.version, 'version'),
      })),
    );
    const prepared = await Promise.all(
      ops.map(async (op) => {
        const [c, p, id] = await this.key(keys, op.collection, op.partition, op.id);
        if (op.type === 'put') return { put: await this.seal(keys, c, p, id, aBytes(op.value, 'value')) };
        if (op.type === 'delete') return { del: [c, p, id] as RecordKey };
        throw vaultFail('invalid_argument', `op type ${String((op as { type?: unknown }).type)}`);
      }),
    );
    if (prepared.length === 0 && expected.length === 0) return;
    this.need();
    const tx = this.db.transaction('records', 'readwrite');
    if (expected.length > 0) {
      let current: (StoredRecord | undefined)[];
      try {
        // Only IndexedDB requests are awaited here, so the transaction stays open.
        current = await Promise.all(expected.map((e) => tx.store.get(e.key)));
      } catch (e) {
        tx.abort();
        await tx.done.catch(() => undefined);
        return idbError(e);
      }
      const stale = expected.some((e, i) => {
        const now = current[i];
        return e.version === undefined ? now !== undefined : now === undefined || !equalBytes(now.v, e.version);
      });
      if (stale) {
        tx.abort();
        await tx.done.catch(() => undefined);
        throw vaultFail('conflict', `${expected.length} expected record(s) changed since read`);
      }
    }
    for (const op of prepared) {
      // Not awaited one by one: requests queue in order and the transaction commits once.
      if (op.put) tx.store.put(op.put).catch(() => undefined);
      else tx.store.delete(op.del!).catch(() => undefined);
    }
    await tx.done.catch(idbError);
    if (ops.length > 0) this.committed(ops);
  }

  /** Store many records in one transaction (a backlog of incoming messages). */
  async putMany(entries: readonly { collection: string; partition: string; id: RecordId; value: Uint8Array }[]): Promise<void> {
    await this.batch(entries.map((e) => ({ type: 'put', ...e })));
  }

  /**
   * Records of one partition in id order (descending with `reverse`), for paging:
   * `list(c, p, { limit: 50, reverse: true })`, then `after: lastPage.at(-1).id` for the next.
   */
  async list(collection: string, partition: string, options: ListOptions = {}): Promise<VaultEntry[]> {
    const keys = this.need();
    const [c, p] = await this.key(keys, collection, partition, '');
    const { limit, after, reverse = false } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw vaultFail('invalid_argument', `limit must be a non-negative integer, got ${limit}`);
    if (limit === 0) return [];
    let range = partitionRange(c, p);
    if (after !== undefined) {
      const a = aId(after);
      range = reverse ? IDBKeyRange.bound([c, p, -Infinity], [c, p, a], false, true) : IDBKeyRange.bound([c, p, a], [c, p, []], true, false);
    }
    let rows: StoredRecord[];
    try {
      if (!reverse) {
        rows = await this.db.getAll('records', range, limit);
      } else {
        rows = [];
        const tx = this.db.transaction('records', 'readonly');
        for (let cursor = await tx.store.openCursor(range, 'prev'); cursor; cursor = await cursor.continue()) {
          rows.push(cursor.value);
          if (limit !== undefined && rows.length >= limit) break;
        }
        await tx.done;
      }
    } catch (e) {
      idbError(e);
    }
    const values = await Promise.all(rows.map((r) => this.open(keys, r)));
    return rows.map((r, i) => ({ id: r.k, value: values[i]! }));
  }

  /**
   * What a backup needs to make a vault that reads these records as they are: the vault id and
   * key (a copy: the caller wipes it). Only while unlocked.
   */
  backupKeys(): { readonly vaultId: Uint8Array; readonly vaultKey: Uint8Array } {
    const keys = this.need();
    return { vaultId: this.header.vaultId.slice(), vaultKey: keys.vaultKey.slice() };
  }

  /**
   * Every stored record as stored (encrypted), in key order, `batch` at a time: each batch is
   * one short read transaction, the next starts after the last key read, so a backup streams
   * the whole vault in bounded memory while the app keeps writing. Only while unlocked.
   */
  async *rawRecords(batch = 256): AsyncGenerator<StoredRecord[]> {
    this.need();
    let after: RecordKey | undefined;
    for (;;) {
      const range = after === undefined ? undefined : IDBKeyRange.lowerBound(after, true);
      const rows = await this.db.getAll('records', range, batch).catch(idbError);
      if (rows.length === 0) return;
      this.need();
      yield rows;
      const last = rows.at(-1)!;
      after = [last.c, last.p, last.k];
      if (rows.length < batch) return;
    }
  }

  /** Number of records in one partition (no decryption). */
  async count(collection: string, partition: string): Promise<number> {
    const keys = this.need();
    const [c, p] = await this.key(keys, collection, partition, '');
    return this.db.count('records', partitionRange(c, p)).catch(idbError);
  }

  /** Delete every record of one partition in one transaction (a conversation, on deletion). */
  async deletePartition(collection: string, partition: string): Promise<void> {
    const keys = this.need();
    const [c, p] = await this.key(keys, collection, partition, '');
    await this.db.delete('records', partitionRange(c, p)).catch(idbError);
    this.committed([{ type: 'delete-partition', collection, partition }]);
  }

  // -------------------------------------------------------------------------------------------
  // JSON-ish values (codec.ts): the same operations over `VaultValue`.

  async getJSON<T extends VaultValue = VaultValue>(collection: string, partition: string, id: RecordId): Promise<T | undefined> {
    const bytes = await this.get(collection, partition, id);
    return bytes ? decodeValue<T>(bytes) : undefined;
  }

  async putJSON(collection: string, partition: string, id: RecordId, value: VaultValue): Promise<void> {
    await this.put(collection, partition, id, encodeValue(value));
  }

  async listJSON<T extends VaultValue = VaultValue>(collection: string, partition: string, options: ListOptions = {}): Promise<VaultEntry<T>[]> {
    return (await this.list(collection, partition, options)).map((e) => ({ id: e.id, value: decodeValue<T>(e.value) }));
  }
}

/**
 * Create a vault in `dbName` under `passphrase` and return it unlocked. Rejects with `exists`
 * when that database already holds a vault (nothing is changed).
 */
export async function createVault(passphrase: string, options: CreateOptions = {}): Promise<Vault> {
  const dbName = options.dbName ?? DEFAULT_DB_NAME;
  const params = newKdfParams(options.kdf);
  const { db, stored, attach } = await Vault._open(dbName, false);
  try {
    if (stored) throw vaultFail('exists', 'this database already holds a vault');
    const vaultKey = crypto.getRandomValues(new Uint8Array(VAULT_KEY_LEN));
    const vaultId = crypto.getRandomValues(new Uint8Array(VAULT_ID_LEN));
    try {
      const header = await wrapVaultKey(vaultKey, vaultId, passphrase, params, options.onProgress);
      try {
        // `add`, not `put`: a vault created meanwhile by another tab is never overwritten.
        await db.add('meta', storeHeader(header), 'header');
      } catch (e) {
        if (e instanceof DOMException && e.name === 'ConstraintError') throw vaultFail('exists', 'this database already holds a vault');
        idbError(e);
      }
      const vault = attach(header);
      vault._setKeys(await deriveKeys(vaultKey, vaultId));
      return vault;
    } finally {
      vaultKey.fill(0);
    }
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Make a vault in `dbName` from a backup: the backed-up vault's id and key (`keys`), wrapped
 * under this device's `passphrase`, and its records exactly as they were stored (`records`, in
 * batches). Its records then read as they did on the old device. The header is written last,
 * so an interrupted restore leaves no vault (the next attempt starts from an empty database).
 * Rejects with `exists` when `dbName` already holds a vault. Returns the vault unlocked.
 */
export async function restoreVault(
  keys: { readonly vaultId: Uint8Array; readonly vaultKey: Uint8Array },
  records: AsyncIterable<readonly StoredRecord[]>,
  passphrase: string,
  options: CreateOptions = {},
): Promise<Vault> {
  const dbName = options.dbName ?? DEFAULT_DB_NAME;
  if (aBytes(keys.vaultId, 'vaultId').length !== VAULT_ID_LEN) throw vaultFail('invalid_argument', `vaultId must be ${VAULT_ID_LEN} bytes`);
  if (aBytes(keys.vaultKey, 'vaultKey').length !== VAULT_KEY_LEN) throw vaultFail('invalid_argument', `vaultKey must be ${VAULT_KEY_LEN} bytes`);
  const first = await Vault._open(dbName, false);
  const leftover = first.stored === undefined && (await first.db.count('records').catch(idbError)) > 0;
  first.db.close();
  if (first.stored) throw vaultFail('exists', 'this database already holds a vault');
  // Records of an earlier, interrupted restore: start again from nothing.
  if (leftover) await deleteVaultDB(dbName);
  const header = await wrapVaultKey(keys.vaultKey, keys.vaultId, passphrase, newKdfParams(options.kdf), options.onProgress);
  const { db, attach } = await Vault._open(dbName, false);
  try {
    for await (const batch of records) {
      const tx = db.transaction('records', 'readwrite');
      for (const r of batch) tx.store.put(r).catch(() => undefined);
      await tx.done.catch(idbError);
    }
    try {
      await db.add('meta', storeHeader(header), 'header');
    } catch (e) {
      if (e instanceof DOMException && e.name === 'ConstraintError') throw vaultFail('exists', 'this database already holds a vault');
      idbError(e);
    }
    const vault = attach(header);
    vault._setKeys(await deriveKeys(keys.vaultKey, keys.vaultId));
    return vault;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Open the vault in `dbName`, locked. Rejects with `no_vault` if there is none. */
export async function openVault(dbName: string = DEFAULT_DB_NAME): Promise<Vault> {
  const { db, stored, attach } = await Vault._open(dbName, true);
  try {
    return attach(parseHeader(stored!));
  } catch (e) {
    db.close();
    throw e;
  }
}

/** True when `dbName` holds a vault (to choose between the create and unlock screens). */
export async function vaultExists(dbName: string = DEFAULT_DB_NAME): Promise<boolean> {
  try {
    (await openVault(dbName)).close();
    return true;
  } catch (e) {
    if (VaultError.is(e, 'no_vault')) return false;
    throw e;
  }
}
