/**
 * shared/'s `ProtocolStore` over the vault: sessions and prekeys as the record bytes shared/
 * defines (the same bytes `MemoryProtocolStore` keeps), each encrypted by the vault.
 *
 *   sessions   ''  address          session record
 *   prekeys    's' id               signed prekey record
 *   prekeys    'k' id               KEM prekey record
 *   prekeys    'o' id               one-time prekey record
 *   prekeys    ''  'next-one-time'  next free one-time prekey id
 *
 * The identity is derived from the profile's root secret when the vault unlocks and held only
 * while it stays unlocked (the app drops this store on lock).
 * @module
 */
import type { Identity } from '../../shared/keys.ts';
import {
  decodeKemPreKeyRecord,
  decodeOneTimePreKeyRecord,
  decodeSignedPreKeyRecord,
  encodeKemPreKeyRecord,
  encodeOneTimePreKeyRecord,
  encodeSignedPreKeyRecord,
  type KemPreKeyRecord,
  type OneTimePreKeyRecord,
  type SignedPreKeyRecord,
} from '../../shared/prekeys.ts';
import type { ProtocolStore } from '../../shared/session.ts';
import type { Vault } from '../vault/vault.ts';

const SESSIONS = 'sessions';
const PREKEYS = 'prekeys';
const SIGNED = 's';
const KEM = 'k';
const ONE_TIME = 'o';
const META = '';

export class VaultProtocolStore implements ProtocolStore {
  constructor(
    private readonly vault: Vault,
    private readonly identity: Identity,
  ) {}

  async getIdentity(): Promise<Identity> {
    return this.identity;
  }
  loadSession(address: string): Promise<Uint8Array | undefined> {
    return this.vault.get(SESSIONS, '', address);
  }
  storeSession(address: string, record: Uint8Array): Promise<void> {
    return this.vault.put(SESSIONS, '', address, record);
  }

  async loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    const bytes = await this.vault.get(PREKEYS, SIGNED, id);
    return bytes && decodeSignedPreKeyRecord(bytes);
  }
  async loadKemPreKey(id: number): Promise<KemPreKeyRecord | undefined> {
    const bytes = await this.vault.get(PREKEYS, KEM, id);
    return bytes && decodeKemPreKeyRecord(bytes);
  }
  async loadOneTimePreKey(id: number): Promise<OneTimePreKeyRecord | undefined> {
    const bytes = await this.vault.get(PREKEYS, ONE_TIME, id);
    return bytes && decodeOneTimePreKeyRecord(bytes);
  }
  removeOneTimePreKey(id: number): Promise<void> {
    return this.vault.delete(PREKEYS, ONE_TIME, id);
  }

  /** The newest signed prekey (highest id), if any. */
  async currentSignedPreKey(): Promise<SignedPreKeyRecord | undefined> {
    const [last] = await this.vault.list(PREKEYS, SIGNED, { reverse: true, limit: 1 });
    return last && decodeSignedPreKeyRecord(last.value);
  }
  async currentKemPreKey(): Promise<KemPreKeyRecord | undefined> {
    const [last] = await this.vault.list(PREKEYS, KEM, { reverse: true, limit: 1 });
    return last && decodeKemPreKeyRecord(last.value);
  }
  storeSignedPreKey(r: SignedPreKeyRecord): Promise<void> {
    return this.vault.put(PREKEYS, SIGNED, r.id, encodeSignedPreKeyRecord(r));
  }
  storeKemPreKey(r: KemPreKeyRecord): Promise<void> {
    return this.vault.put(PREKEYS, KEM, r.id, encodeKemPreKeyRecord(r));
  }

  /** Stores fresh one-time prekeys and advances the id counter, in one transaction. */
  async storeOneTimePreKeys(keys: readonly OneTimePreKeyRecord[]): Promise<void> {
    if (keys.length === 0) return;
    const next = Math.max(await this.nextOneTimePreKeyId(), ...keys.map((k) => k.id + 1));
    await this.vault.batch([
      ...keys.map((k) => ({ type: 'put' as const, collection: PREKEYS, partition: ONE_TIME, id: k.id, value: encodeOneTimePreKeyRecord(k) })),
      { type: 'put' as const, collection: PREKEYS, partition: META, id: 'next-one-time', value: Uint8Array.of(next >>> 24, next >>> 16, next >>> 8, next) },
    ]);
  }

  /** The id the next one-time prekey gets (ids are never reused). */
  async nextOneTimePreKeyId(): Promise<number> {
    const bytes = await this.vault.get(PREKEYS, META, 'next-one-time');
    return bytes && bytes.length === 4 ? ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0 : 1;
  }
}
