/**
 * Crypto provider: the asymmetric and AEAD primitives the protocol uses, from WebCrypto where
 * the runtime has them natively and from @noble otherwise. Both give identical bytes for the
 * same inputs (provider.test.ts runs every primitive both ways); only speed differs.
 *
 * - X25519 (RFC 7748): all-zero shared secrets (low-order peer points) are rejected on both paths.
 * - Ed25519 (RFC 8032): one verification rule everywhere, noble's strict mode
 *   (`zip215: false`: canonical A and R, S < L, no small-order A, cofactored equation).
 *   The WebCrypto path is made to agree by construction, see `ed25519Verify`.
 * - AES-256-GCM (NIST SP 800-38D) with 96-bit nonces and 128-bit tags, native whenever the
 *   runtime has it: noble's AES uses lookup tables (cache-timing leaks), so it is only the
 *   fallback. For many chunks under one key, `aesGcmKey` sets the key up once (`AeadKey`).
 *
 * Hashes, HMAC and HKDF always come from @noble/hashes: they are synchronous and, for the
 * short inputs of the protocol, faster than a WebCrypto round trip.
 * Does not: hold long-term secrets. A small cache of imported WebCrypto key handles speeds up
 * repeated use of the same private key; `clearKeyCache()` drops it (the client calls it on lock).
 * @module
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { base64urlnopad } from '@scure/base';
import { AES_GCM_NONCE_LEN, ED25519_SIGNATURE_LEN, KEY_LEN, MLKEM768_CIPHERTEXT_LEN, MLKEM768_PUBLIC_LEN, MLKEM768_SECRET_LEN } from './consts.ts';
import { abytes, isAllZero } from './_bytes.ts';
import { toHex } from './encoding.ts';
import { ConfidantError, fail } from './errors.ts';

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * An AES-256-GCM key (NIST SP 800-38D; 96-bit nonces, 128-bit tags) set up once for many
 * messages: WebCrypto imports it once as a non-extractable `CryptoKey`, noble keeps a copy of
 * the bytes. For bulk data under one key (attachment chunks), where a per-call import would cost
 * more than the encryption itself. Same bytes as `aesGcmEncrypt`/`aesGcmDecrypt` on every path.
 *
 * Both methods read their inputs before they return (WebCrypto copies them, §14.3 "get a copy
 * of the bytes held by the data parameter"; noble computes at once), so the caller may reuse its
 * buffers as soon as the call returns. Wrong types or lengths reject with `invalid_argument`.
 */
export interface AeadKey {
  encrypt(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** Rejects with `bad_mac` when the tag does not verify (or the input is shorter than a tag). */
  decrypt(nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
}

/** The primitives, all async so that a native implementation can sit behind them. */
export interface CryptoProvider {
  /** Which implementation serves each primitive, for diagnostics and benchmarks. */
  readonly implementation: Readonly<Record<'x25519' | 'ed25519' | 'aesGcm', 'webcrypto' | 'noble'>>;
  x25519Generate(): Promise<KeyPair>;
  x25519PublicKey(secretKey: Uint8Array): Promise<Uint8Array>;
  /** Throws `invalid_key` for low-order peer keys (all-zero output). */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  ed25519PublicKey(secretKey: Uint8Array): Promise<Uint8Array>;
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** Strict RFC 8032 (noble `zip215: false`) on every path. Never throws for bad input: false. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** Throws `bad_mac` when the tag does not verify. */
  aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** A keyed AES-256-GCM handle (see `AeadKey`); the caller may wipe `key` once this resolves. */
  aesGcmKey(key: Uint8Array): Promise<AeadKey>;
  /**
   * SHA-256 of a (possibly large) buffer, native where available. Like `AeadKey`, reads `data`
   * before it returns.
   */
  sha256(data: Uint8Array): Promise<Uint8Array>;
  /** ML-KEM-768 (FIPS 203). Always noble: no runtime ships it in WebCrypto yet. */
  mlkem768Generate(): Promise<{ publicKey: Uint8Array; secretKey: Uint8Array }>;
  /** Throws `invalid_key` for a public key that fails FIPS 203's modulus check. */
  mlkem768Encapsulate(publicKey: Uint8Array): Promise<{ cipherText: Uint8Array; sharedSecret: Uint8Array }>;
  /** Implicit rejection: a wrong ciphertext yields an unrelated secret, never an error. */
  mlkem768Decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array>;
}

/** CSPRNG bytes: `crypto.getRandomValues` through noble (which refuses to run without it). */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > 65536) {
    throw fail('invalid_argument', `length must be an integer in [0, 65536], got ${String(length)}`);
  }
  return nobleRandomBytes(length);
}

// ---------------------------------------------------------------------------------------------
// noble

function checkAead(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, dataName: string, aad: Uint8Array | undefined): void {
  abytes(key, KEY_LEN, 'key');
  checkAeadInputs(nonce, data, dataName, aad);
}

function checkAeadInputs(nonce: Uint8Array, data: Uint8Array, dataName: string, aad: Uint8Array | undefined): void {
  abytes(nonce, AES_GCM_NONCE_LEN, 'nonce');
  abytes(data, undefined, dataName);
  if (aad !== undefined) abytes(aad, undefined, 'aad');
}

function nonZeroSecret(shared: Uint8Array): Uint8Array {
  if (isAllZero(shared)) throw fail('invalid_key', 'X25519 produced an all-zero secret (low-order point)');
  return shared;
}

/**
 * Strict Ed25519 verification with noble. This *is* the rule; the WebCrypto path defers to it.
 */
function nobleVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export const nobleProvider: CryptoProvider = {
  implementation: { x25519: 'noble', ed25519: 'noble', aesGcm: 'noble' },
  async x25519Generate() {
    const secretKey = x25519.utils.randomSecretKey();
    return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
  },
  async x25519PublicKey(secretKey) {
    return x25519.getPublicKey(abytes(secretKey, KEY_LEN, 'secretKey'));
  },
  async x25519(secretKey, publicKey) {
    abytes(secretKey, KEY_LEN, 'secretKey');
    abytes(publicKey, KEY_LEN, 'publicKey');
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(secretKey, publicKey);
    } catch (e) {
      // noble throws on the all-zero output itself; report it like the WebCrypto path does.
      throw new ConfidantError('invalid_key', 'X25519 rejected the public key (low-order point)', { cause: e });
    }
    return nonZeroSecret(shared);
  },
  async ed25519PublicKey(secretKey) {
    return ed25519.getPublicKey(abytes(secretKey, KEY_LEN, 'secretKey'));
  },
  async ed25519Sign(secretKey, message) {
    return ed25519.sign(abytes(message, undefined, 'message'), abytes(secretKey, KEY_LEN, 'secretKey'));
  },
  async ed25519Verify(publicKey, message, signature) {
    return nobleVerify(publicKey, message, signature);
  },
  async aesGcmEncrypt(key, nonce, plaintext, aad) {
    checkAead(key, nonce, plaintext, 'plaintext', aad);
    return gcm(key, nonce, aad).encrypt(plaintext);
  },
  async aesGcmDecrypt(key, nonce, ciphertext, aad) {
    checkAead(key, nonce, ciphertext, 'ciphertext', aad);
    try {
      return gcm(key, nonce, aad).decrypt(ciphertext);
    } catch {
      throw fail('bad_mac', `AES-GCM tag check failed (${ciphertext.length} bytes)`);
    }
  },
  async aesGcmKey(key) {
    const k = abytes(key, KEY_LEN, 'key').slice();
    return {
      async encrypt(nonce, plaintext, aad) {
        checkAeadInputs(nonce, plaintext, 'plaintext', aad);
        return gcm(k, nonce, aad).encrypt(plaintext);
      },
      async decrypt(nonce, ciphertext, aad) {
        checkAeadInputs(nonce, ciphertext, 'ciphertext', aad);
        try {
          return gcm(k, nonce, aad).decrypt(ciphertext);
        } catch {
          throw fail('bad_mac', `AES-GCM tag check failed (${ciphertext.length} bytes)`);
        }
      },
    };
  },
  async sha256(data) {
    return sha256(abytes(data, undefined, 'data'));
  },
  mlkem768Generate: async () => ml_kem768.keygen(),
  mlkem768Encapsulate: async (publicKey) => {
    abytes(publicKey, MLKEM768_PUBLIC_LEN, 'publicKey');
    try {
      return ml_kem768.encapsulate(publicKey);
    } catch (e) {
      throw new ConfidantError('invalid_key', 'ML-KEM-768 public key rejected', { cause: e });
    }
  },
  mlkem768Decapsulate: async (cipherText, secretKey) => {
    abytes(cipherText, MLKEM768_CIPHERTEXT_LEN, 'cipherText');
    abytes(secretKey, MLKEM768_SECRET_LEN, 'secretKey');
    try {
      return ml_kem768.decapsulate(cipherText, secretKey);
    } catch (e) {
      throw new ConfidantError('invalid_key', 'ML-KEM-768 secret key rejected', { cause: e });
    }
  },
};

// ---------------------------------------------------------------------------------------------
// WebCrypto

type Subtle = SubtleCrypto;

/** WebCrypto's types want ArrayBuffer-backed views; ours are, TypeScript just cannot tell. */
const bs = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>;

/** DER prefixes of RFC 8410 PKCS#8 private keys: WebCrypto will not import raw private keys. */
const PKCS8_PREFIX = {
  X25519: Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]),
  Ed25519: Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]),
};

/** Ed25519 group order L, little-endian, for the S < L check (RFC 8032 §5.1.7 step 1). */
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

/**
 * Encodings noble strict refuses as a public key that a native verifier might not: the eight
 * points of small order (the torsion subgroup, as listed by libsodium; provider.test.ts checks
 * each with noble and that they form the whole subgroup) and the two x = 0 points written with
 * the sign bit set (a non-canonical "-0").
 */
const ED25519_REJECTED_KEYS = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
]);
export const _ED25519_REJECTED_KEYS: ReadonlySet<string> = ED25519_REJECTED_KEYS;

/** Is the encoded y (sign bit ignored) below p = 2^255 - 19? */
function isCanonicalY(encoded: Uint8Array): boolean {
  if ((encoded[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (encoded[i] !== 0xff) return true;
  return encoded[0]! < 0xed;
}

/**
 * Private-key handles by a digest of the key. Importing a PKCS#8 key costs ~0.8 ms in Node
 * (OpenSSL 3's decoder) against ~0.1 ms for the operation itself, and ratchet keys are used
 * twice or more, so a small LRU pays. The digest, not the key, is the map key.
 */
class KeyCache {
  private readonly map = new Map<string, Promise<CryptoKey>>();
  constructor(private readonly capacity: number) {}
  get(id: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
    let hit = this.map.get(id);
    if (hit) {
      this.map.delete(id);
    } else {
      hit = make();
      // A failed import must not stay cached.
      hit.catch(() => this.map.delete(id));
    }
    this.map.set(id, hit);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
    return hit;
  }
  put(id: string, key: CryptoKey): void {
    this.map.set(id, Promise.resolve(key));
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }
  clear(): void {
    this.map.clear();
  }
}

const privateKeys = new KeyCache(256);
/** Peer X25519 public keys: a ratchet key is used twice in a row (receive, then send chain). */
const publicKeys = new KeyCache(64);

function cacheId(kind: string, secret: Uint8Array): string {
  return kind + base64urlnopad.encode(sha256(secret));
}

/** Drop cached key handles (called when the vault locks). */
export function clearKeyCache(): void {
  privateKeys.clear();
  publicKeys.clear();
}

function makeWebCryptoProvider(subtle: Subtle, use: CryptoProvider['implementation']): CryptoProvider {
  const importPrivate = (alg: 'X25519' | 'Ed25519', secretKey: Uint8Array): Promise<CryptoKey> =>
    privateKeys.get(cacheId(alg, secretKey), () => {
      const der = new Uint8Array(48);
      der.set(PKCS8_PREFIX[alg]);
      der.set(secretKey, 16);
      const usage: KeyUsage[] = alg === 'X25519' ? ['deriveBits'] : ['sign'];
      return subtle.importKey('pkcs8', bs(der), { name: alg }, false, usage).finally(() => der.fill(0));
    });

  async function jwkPair(kp: CryptoKeyPair): Promise<KeyPair> {
    const jwk = await subtle.exportKey('jwk', kp.privateKey);
    return { secretKey: base64urlnopad.decode(jwk.d!), publicKey: base64urlnopad.decode(jwk.x!) };
  }

  /**
   * Would noble strict accept `publicKey` as A, as far as encoding goes? Canonical (y < p), not
   * one of the eight small-order points, not an x = 0 point with the sign bit set. A point that
   * does not decompress at all fails native verification, and noble then agrees (false).
   * Byte checks only: no point decompression (~0.4 ms in JS) per new key.
   */
  function edPublicKeyAcceptable(publicKey: Uint8Array): boolean {
    if (!isCanonicalY(publicKey)) return false;
    return !ED25519_REJECTED_KEYS.has(toHex(publicKey));
  }

  const x = use.x25519 === 'webcrypto';
  const ed = use.ed25519 === 'webcrypto';
  const aes = use.aesGcm === 'webcrypto';

  return {
    implementation: use,
    x25519Generate: !x
      ? nobleProvider.x25519Generate
      : async () => {
          const kp = (await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
          const pair = await jwkPair(kp);
          privateKeys.put(cacheId('X25519', pair.secretKey), kp.privateKey);
          return pair;
        },
    // Deriving a public key from a secret is rare (identity setup): noble is fine and needs no export.
    x25519PublicKey: nobleProvider.x25519PublicKey,
    x25519: !x
      ? nobleProvider.x25519
      : async (secretKey, publicKey) => {
          abytes(secretKey, KEY_LEN, 'secretKey');
          abytes(publicKey, KEY_LEN, 'publicKey');
          const [priv, pub] = await Promise.all([
            importPrivate('X25519', secretKey),
            publicKeys.get(base64urlnopad.encode(publicKey), () => subtle.importKey('raw', bs(publicKey), { name: 'X25519' }, false, [])),
          ]);
          let bits: ArrayBuffer;
          try {
            bits = await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256);
          } catch (e) {
            // Implementations that refuse low-order points throw here instead of returning zeros.
            throw new ConfidantError('invalid_key', 'X25519 rejected the public key (low-order point)', { cause: e });
          }
          return nonZeroSecret(new Uint8Array(bits));
        },
    ed25519PublicKey: nobleProvider.ed25519PublicKey,
    ed25519Sign: !ed
      ? nobleProvider.ed25519Sign
      : async (secretKey, message) => {
          abytes(secretKey, KEY_LEN, 'secretKey');
          abytes(message, undefined, 'message');
          const key = await importPrivate('Ed25519', secretKey);
          return new Uint8Array(await subtle.sign('Ed25519', key, bs(message)));
        },
    ed25519Verify: !ed
      ? nobleProvider.ed25519Verify
      : async (publicKey, message, signature) => {
          if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
          if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_LEN) return false;
          if (!(message instanceof Uint8Array)) return false;
          // noble strict rules that a native verifier may not apply: S < L, canonical and
          // non-small-order A. (A non-canonical R can never pass the native byte comparison.)
          if (bytesToNumberLE(signature.subarray(32)) >= ED25519_L) return false;
          if (!edPublicKeyAcceptable(publicKey)) return false;
          let valid = false;
          try {
            const key = await subtle.importKey('raw', bs(publicKey), { name: 'Ed25519' }, false, ['verify']);
            valid = await subtle.verify('Ed25519', key, bs(signature), bs(message));
          } catch {
            valid = false;
          }
          // Native verifiers use the cofactorless equation, which implies noble's cofactored one.
          // They can only disagree when native says "invalid" and R or A carries a torsion
          // component; asking noble then makes the verdict noble's in every case.
          return valid || nobleVerify(publicKey, message, signature);
        },
    aesGcmEncrypt: !aes
      ? nobleProvider.aesGcmEncrypt
      : async (key, nonce, plaintext, aad) => {
          checkAead(key, nonce, plaintext, 'plaintext', aad);
          const k = await subtle.importKey('raw', bs(key), 'AES-GCM', false, ['encrypt']);
          const params: AesGcmParams = { name: 'AES-GCM', iv: bs(nonce), tagLength: 128 };
          if (aad !== undefined) params.additionalData = bs(aad);
          return new Uint8Array(await subtle.encrypt(params, k, bs(plaintext)));
        },
    aesGcmDecrypt: !aes
      ? nobleProvider.aesGcmDecrypt
      : async (key, nonce, ciphertext, aad) => {
          checkAead(key, nonce, ciphertext, 'ciphertext', aad);
          const k = await subtle.importKey('raw', bs(key), 'AES-GCM', false, ['decrypt']);
          const params: AesGcmParams = { name: 'AES-GCM', iv: bs(nonce), tagLength: 128 };
          if (aad !== undefined) params.additionalData = bs(aad);
          try {
            return new Uint8Array(await subtle.decrypt(params, k, bs(ciphertext)));
          } catch {
            throw fail('bad_mac', `AES-GCM tag check failed (${ciphertext.length} bytes)`);
          }
        },
    aesGcmKey: !aes
      ? nobleProvider.aesGcmKey
      : async (key) => {
          abytes(key, KEY_LEN, 'key');
          // Imported once, non-extractable: every call is one native round trip.
          const k = await subtle.importKey('raw', bs(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
          const params = (nonce: Uint8Array, aad: Uint8Array | undefined): AesGcmParams =>
            aad === undefined
              ? { name: 'AES-GCM', iv: bs(nonce), tagLength: 128 }
              : { name: 'AES-GCM', iv: bs(nonce), additionalData: bs(aad), tagLength: 128 };
          return {
            async encrypt(nonce, plaintext, aad) {
              checkAeadInputs(nonce, plaintext, 'plaintext', aad);
              return new Uint8Array(await subtle.encrypt(params(nonce, aad), k, bs(plaintext)));
            },
            async decrypt(nonce, ciphertext, aad) {
              checkAeadInputs(nonce, ciphertext, 'ciphertext', aad);
              try {
                return new Uint8Array(await subtle.decrypt(params(nonce, aad), k, bs(ciphertext)));
              } catch {
                throw fail('bad_mac', `AES-GCM tag check failed (${ciphertext.length} bytes)`);
              }
            },
          };
        },
    sha256: async (data) => new Uint8Array(await subtle.digest('SHA-256', bs(abytes(data, undefined, 'data')))),
    mlkem768Generate: nobleProvider.mlkem768Generate,
    mlkem768Encapsulate: nobleProvider.mlkem768Encapsulate,
    mlkem768Decapsulate: nobleProvider.mlkem768Decapsulate,
  };
}

/** Probe one WebCrypto algorithm by doing the real operation once; any failure means "absent". */
async function probe(f: () => Promise<unknown>): Promise<boolean> {
  try {
    await f();
    return true;
  } catch {
    return false;
  }
}

/**
 * The provider for this runtime: WebCrypto for each primitive it implements, noble for the rest.
 * Pass `prefer: 'noble'` to force the pure-JS path (tests, benchmarks).
 */
export async function detectProvider(prefer: 'native' | 'noble' = 'native'): Promise<CryptoProvider> {
  const subtle: Subtle | undefined = globalThis.crypto?.subtle;
  if (prefer === 'noble' || !subtle) return nobleProvider;
  const [x, ed, aes] = await Promise.all([
    probe(async () => {
      const kp = (await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
      await subtle.exportKey('jwk', kp.privateKey);
      await subtle.deriveBits({ name: 'X25519', public: kp.publicKey }, kp.privateKey, 256);
    }),
    probe(async () => {
      const kp = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      const sig = await subtle.sign('Ed25519', kp.privateKey, new Uint8Array(1));
      await subtle.verify('Ed25519', kp.publicKey, sig, new Uint8Array(1));
    }),
    probe(async () => {
      const k = await subtle.importKey('raw', new Uint8Array(32), 'AES-GCM', false, ['encrypt']);
      await subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, k, new Uint8Array(1));
    }),
  ]);
  if (!x && !ed && !aes) return nobleProvider;
  return makeWebCryptoProvider(subtle, {
    x25519: x ? 'webcrypto' : 'noble',
    ed25519: ed ? 'webcrypto' : 'noble',
    aesGcm: aes ? 'webcrypto' : 'noble',
  });
}

let defaultProvider: Promise<CryptoProvider> | undefined;

/** The process-wide provider, detected once. */
export function getProvider(): Promise<CryptoProvider> {
  defaultProvider ??= detectProvider();
  return defaultProvider;
}
