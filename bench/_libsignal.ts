/**
 * The anchor for the protocol benchmarks: `@signalapp/libsignal-client` (Rust via N-API) with
 * the in-memory stores its TypeScript API leaves to the application, modelled on libsignal's
 * own `storage/inmem`. Session records are kept as `SessionRecord.serialize()` bytes and
 * deserialized on every load, like our `MemoryProtocolStore` keeps encoded records, so both
 * sides pay for serialization between messages. Prekey records stay as objects on both sides.
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KEMPublicKey,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  ServerCertificate,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';

class InMemorySessionStore extends SessionStore {
  private readonly records = new Map<string, Uint8Array<ArrayBuffer>>();
  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.records.set(name.toString(), record.serialize());
  }
  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = this.records.get(name.toString());
    return bytes ? SessionRecord.deserialize(bytes) : null;
  }
  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    const out: SessionRecord[] = [];
    for (const a of addresses) {
      const r = await this.getSession(a);
      if (!r) throw new Error(`no session for ${a.toString()}`);
      out.push(r);
    }
    return out;
  }
}

class InMemoryIdentityStore extends IdentityKeyStore {
  private readonly known = new Map<string, PublicKey>();
  constructor(
    private readonly identity: IdentityKeyPair,
    private readonly registrationId: number,
  ) {
    super();
  }
  async getIdentityKey(): Promise<PrivateKey> {
    return this.identity.privateKey;
  }
  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const id = name.toString();
    const old = this.known.get(id);
    this.known.set(id, key);
    return old && !old.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _direction: Direction): Promise<boolean> {
    const old = this.known.get(name.toString());
    return !old || old.equals(key);
  }
  async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.known.get(name.toString()) ?? null;
  }
}

class InMemoryPreKeyStore extends PreKeyStore {
  readonly map = new Map<number, PreKeyRecord>();
  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.map.set(id, record);
  }
  async getPreKey(id: number): Promise<PreKeyRecord> {
    const r = this.map.get(id);
    if (!r) throw new Error(`no prekey ${id}`);
    return r;
  }
  async removePreKey(id: number): Promise<void> {
    this.map.delete(id);
  }
}

class InMemorySignedPreKeyStore extends SignedPreKeyStore {
  readonly map = new Map<number, SignedPreKeyRecord>();
  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.map.set(id, record);
  }
  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const r = this.map.get(id);
    if (!r) throw new Error(`no signed prekey ${id}`);
    return r;
  }
}

class InMemoryKyberPreKeyStore extends KyberPreKeyStore {
  readonly map = new Map<number, KyberPreKeyRecord>();
  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.map.set(id, record);
  }
  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const r = this.map.get(id);
    if (!r) throw new Error(`no kyber prekey ${id}`);
    return r;
  }
  async markKyberPreKeyUsed(_id: number, _signedPreKeyId: number, _baseKey: PublicKey): Promise<void> {
    // A last-resort Kyber key stays (ours is last-resort too); libsignal's inmem store only records the use.
  }
}

/** The server side of sealed sender: a trust root and a server certificate it signed. */
export interface Trust {
  readonly root: PrivateKey;
  readonly rootPublic: PublicKey;
  readonly server: ServerCertificate;
  readonly serverKey: PrivateKey;
}

export function makeTrust(): Trust {
  const root = PrivateKey.generate();
  const serverKey = PrivateKey.generate();
  return { root, rootPublic: root.getPublicKey(), server: ServerCertificate.new(1, serverKey.getPublicKey(), root), serverKey };
}

/** Far enough ahead that certificates never expire during a run. */
const CERT_EXPIRY = Date.now() + 365 * 24 * 3600 * 1000;

/** A libsignal device: identity, stores, one signed + one Kyber + one one-time prekey, and a sender certificate. */
export class Party {
  readonly uuid = randomUUID();
  readonly deviceId = 1;
  readonly address: ProtocolAddress;
  readonly identity = IdentityKeyPair.generate();
  // Registration ids only need to differ between parties (libsignal range 1..16380).
  readonly registrationId = 1 + (crypto.getRandomValues(new Uint16Array(1))[0]! % 16000);
  readonly sessions = new InMemorySessionStore();
  readonly identities: InMemoryIdentityStore;
  readonly preKeys = new InMemoryPreKeyStore();
  readonly signedPreKeys = new InMemorySignedPreKeyStore();
  readonly kyberPreKeys = new InMemoryKyberPreKeyStore();
  readonly certificate: SenderCertificate;
  /** The bundle as it arrives from a server: serialized keys and signatures. */
  readonly published: {
    readonly opk: Uint8Array<ArrayBuffer>;
    readonly spk: Uint8Array<ArrayBuffer>;
    readonly spkSig: Uint8Array<ArrayBuffer>;
    readonly identity: Uint8Array<ArrayBuffer>;
    readonly kyber: Uint8Array<ArrayBuffer>;
    readonly kyberSig: Uint8Array<ArrayBuffer>;
  };

  constructor(trust: Trust) {
    this.address = ProtocolAddress.new(this.uuid, this.deviceId);
    this.identities = new InMemoryIdentityStore(this.identity, this.registrationId);
    this.certificate = SenderCertificate.new(this.uuid, null, this.deviceId, this.identity.publicKey, CERT_EXPIRY, trust.server, trust.serverKey);

    const now = Date.now();
    const spk = PrivateKey.generate();
    const spkSig = this.identity.privateKey.sign(spk.getPublicKey().serialize());
    this.signedPreKeys.map.set(1, SignedPreKeyRecord.new(1, now, spk.getPublicKey(), spk, spkSig));
    const kyber = KEMKeyPair.generate();
    const kyberSig = this.identity.privateKey.sign(kyber.getPublicKey().serialize());
    this.kyberPreKeys.map.set(1, KyberPreKeyRecord.new(1, now, kyber, kyberSig));
    const opk = PrivateKey.generate();
    this.preKeys.map.set(1, PreKeyRecord.new(1, opk.getPublicKey(), opk));
    this.published = {
      opk: opk.getPublicKey().serialize(),
      spk: spk.getPublicKey().serialize(),
      spkSig,
      identity: this.identity.publicKey.serialize(),
      kyber: kyber.getPublicKey().serialize(),
      kyberSig,
    };
  }

  /** Parse the published bundle, as a client does with the server's answer (our side decodes bytes too). */
  bundle(): PreKeyBundle {
    const b = this.published;
    return PreKeyBundle.new(
      this.registrationId,
      this.deviceId,
      1,
      PublicKey.deserialize(b.opk),
      1,
      PublicKey.deserialize(b.spk),
      b.spkSig,
      PublicKey.deserialize(b.identity),
      1,
      KEMPublicKey.deserialize(b.kyber),
      b.kyberSig,
    );
  }
}
