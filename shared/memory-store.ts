/**
 * An in-memory `ProtocolStore` (libsignal's `storage/inmem`): for tests, benchmarks and as the
 * reference the client's IndexedDB vault store is checked against. Records are kept as the
 * serialized bytes the real store would hold, so every use exercises serialization.
 * @module
 */
import { deriveIdentity, generateRootSecret, type Identity } from './keys.ts';
import { generateKemPreKey, generateOneTimePreKeys, generateSignedPreKey, makeBundle, type KemPreKeyRecord, type OneTimePreKeyRecord, type PreKeyBundle, type SignedPreKeyRecord } from './prekeys.ts';
import type { CryptoProvider } from './provider.ts';
import type { ProtocolStore } from './session.ts';

export class MemoryProtocolStore implements ProtocolStore {
  readonly sessions = new Map<string, Uint8Array>();
  readonly signedPreKeys = new Map<number, SignedPreKeyRecord>();
  readonly kemPreKeys = new Map<number, KemPreKeyRecord>();
  readonly oneTimePreKeys = new Map<number, OneTimePreKeyRecord>();

  private constructor(readonly identity: Identity) {}

  /** A store for `identity` (or a fresh random one) with one signed, one KEM and `oneTime` one-time prekeys. */
  static async create(options: { identity?: Identity; oneTime?: number; provider?: CryptoProvider } = {}): Promise<MemoryProtocolStore> {
    const identity = options.identity ?? (await deriveIdentity(generateRootSecret(), options.provider));
    const store = new MemoryProtocolStore(identity);
    const spk = await generateSignedPreKey(identity, 1, options.provider);
    const kem = await generateKemPreKey(identity, 1, options.provider);
    store.signedPreKeys.set(spk.id, spk);
    store.kemPreKeys.set(kem.id, kem);
    for (const opk of await generateOneTimePreKeys(1, options.oneTime ?? 4, options.provider)) store.oneTimePreKeys.set(opk.id, opk);
    return store;
  }

  /** The bundle a relay would hand out: consumes nothing here (the relay does that). */
  bundle(options: { oneTimePreKeyId?: number | null } = {}): PreKeyBundle {
    const spk = [...this.signedPreKeys.values()].at(-1)!;
    const kem = [...this.kemPreKeys.values()].at(-1)!;
    const opk =
      options.oneTimePreKeyId === null
        ? undefined
        : options.oneTimePreKeyId !== undefined
          ? this.oneTimePreKeys.get(options.oneTimePreKeyId)
          : this.oneTimePreKeys.values().next().value;
    return makeBundle(this.identity, spk, kem, opk);
  }

  /** A deep copy of everything the store holds, to prove that a rejected input changed nothing. */
  snapshot(): { sessions: [string, number[]][]; oneTime: number[]; signed: number[]; kem: number[] } {
    return {
      sessions: [...this.sessions.entries()].map(([k, v]) => [k, Array.from(v)]),
      oneTime: [...this.oneTimePreKeys.keys()],
      signed: [...this.signedPreKeys.keys()],
      kem: [...this.kemPreKeys.keys()],
    };
  }

  async getIdentity(): Promise<Identity> {
    return this.identity;
  }
  async loadSession(address: string): Promise<Uint8Array | undefined> {
    return this.sessions.get(address);
  }
  async storeSession(address: string, record: Uint8Array): Promise<void> {
    this.sessions.set(address, record);
  }
  async loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    return this.signedPreKeys.get(id);
  }
  async loadKemPreKey(id: number): Promise<KemPreKeyRecord | undefined> {
    return this.kemPreKeys.get(id);
  }
  async loadOneTimePreKey(id: number): Promise<OneTimePreKeyRecord | undefined> {
    return this.oneTimePreKeys.get(id);
  }
  async removeOneTimePreKey(id: number): Promise<void> {
    this.oneTimePreKeys.delete(id);
  }
}
