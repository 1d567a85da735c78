/**
 * provider.ts: the WebCrypto and the noble paths are one primitive each, byte for byte, with one
 * Ed25519 verification rule (noble strict, `zip215: false`).
 *
 * - Known answers: RFC 7748 §5.2 and §6.1 (X25519), RFC 8032 §7.1 (Ed25519), on both providers.
 * - Project Wycheproof x25519_test.json and ed25519_test.json: every case on both providers.
 * - fast-check equivalence: X25519, generated key pairs, Ed25519, AES-256-GCM on both sides of
 *   inputs on both sides of SIZE_SPLIT, SHA-256; tampering.
 * - Torsion: signatures whose R or A carries a small-order component, for which the cofactored
 *   equation holds and the cofactorless one (native verifiers) fails, get noble strict's verdict
 *   on both paths; S >= L, non-canonical A and small-order A are refused by both.
 * - Input checks for every export: wrong types and lengths are `invalid_argument` (verify: false).
 *
 * Vector sources and how they were checked: vectors/README.md.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { any, failureOf, NOT_BYTES, PROVIDERS, SIZE_SPLIT, web, wrongType } from './_test-inputs.ts';
import { MLKEM768_CIPHERTEXT_LEN, MLKEM768_PUBLIC_LEN, MLKEM768_SECRET_LEN } from './consts.ts';

import { ConfidantError, type ErrorCode } from './errors.ts';
import { _ED25519_REJECTED_KEYS, clearKeyCache, detectProvider, getProvider, nobleProvider, randomBytes } from './provider.ts';
import rfc7748 from './vectors/rfc7748.json';
import rfc8032 from './vectors/rfc8032.json';
import wycheproofEd25519 from './vectors/wycheproof_ed25519.json';
import wycheproofX25519 from './vectors/wycheproof_x25519.json';

// The machine is slow (2 cores): property tests keep to a few dozen runs each.
const RUNS = 50;


/** What a call did: its bytes (hex) or boolean, or the error code (or class and message if not ours). */
type Outcome = { readonly ok: string } | { readonly error: string };

async function outcome(run: () => Promise<Uint8Array | boolean>): Promise<Outcome> {
  try {
    const r = await run();
    return { ok: typeof r === 'boolean' ? String(r) : bytesToHex(r) };
  } catch (e) {
    return { error: e instanceof ConfidantError ? e.code : `${(e as Error)?.name}: ${(e as Error)?.message}` };
  }
}

/** Awaits `run` (sync throws included) and checks it failed with a ConfidantError of `code`. */
const expectCode = async (run: () => unknown, code: ErrorCode): Promise<void> => expect(await failureOf(run)).toBe(code);

const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
const bytes32 = bytes(32, 32);
const flip = (b: Uint8Array, index: number, mask = 1): Uint8Array => {
  const out = b.slice();
  out[index] = out[index]! ^ mask;
  return out;
};

describe('provider selection', () => {
  it('uses WebCrypto for every primitive on Node 20, so the comparisons below are native against noble', () => {
    expect(web.implementation).toEqual({ x25519: 'webcrypto', ed25519: 'webcrypto', aesGcm: 'webcrypto' });
    expect(nobleProvider.implementation).toEqual({ x25519: 'noble', ed25519: 'noble', aesGcm: 'noble' });
  });

  it("detectProvider('noble') is the pure-JS provider and getProvider() is detected once", async () => {
    expect(await detectProvider('noble')).toBe(nobleProvider);
    const p = await getProvider();
    expect(await getProvider()).toBe(p);
    expect(p.implementation).toEqual(web.implementation);
  });
});

// ---------------------------------------------------------------------------------------------
// 1. Known answers

describe.each(PROVIDERS)('RFC known answers on %s', (_name, p) => {
  it('RFC 7748 §5.2: X25519 clamps the scalar, masks the top bit of u, and gives both outputs', async () => {
    for (const v of rfc7748.x25519) {
      expect(bytesToHex(await p.x25519(hexToBytes(v.scalar), hexToBytes(v.u))), v.name).toBe(v.output);
    }
  });

  it('RFC 7748 §5.2: iterated X25519 after 1 and 1,000 rounds (the 1,000,000 round value is not run)', async () => {
    let k: Uint8Array = hexToBytes(rfc7748.iterated.start);
    let u = k;
    for (let i = 1; i <= 1000; i++) {
      const next = await p.x25519(k, u);
      u = k;
      k = next;
      if (i === 1) expect(bytesToHex(k)).toBe(rfc7748.iterated.after1);
    }
    expect(bytesToHex(k)).toBe(rfc7748.iterated.after1000);
  });

  it('RFC 7748 §6.1: both public keys and the shared secret of the Diffie-Hellman example', async () => {
    const d = rfc7748.diffieHellman;
    expect(bytesToHex(await p.x25519PublicKey(hexToBytes(d.alicePrivate)))).toBe(d.alicePublic);
    expect(bytesToHex(await p.x25519PublicKey(hexToBytes(d.bobPrivate)))).toBe(d.bobPublic);
    expect(bytesToHex(await p.x25519(hexToBytes(d.alicePrivate), hexToBytes(d.bobPublic)))).toBe(d.shared);
    expect(bytesToHex(await p.x25519(hexToBytes(d.bobPrivate), hexToBytes(d.alicePublic)))).toBe(d.shared);
  });

  it.each(rfc8032.tests)('RFC 8032 §7.1 $name: public key, signature and verification', async (v) => {
    const secret = hexToBytes(v.secretKey);
    const message = hexToBytes(v.message);
    const publicKey = hexToBytes(v.publicKey);
    const signature = hexToBytes(v.signature);
    expect(bytesToHex(await p.ed25519PublicKey(secret))).toBe(v.publicKey);
    expect(bytesToHex(await p.ed25519Sign(secret, message))).toBe(v.signature);
    expect(await p.ed25519Verify(publicKey, message, signature)).toBe(true);
    // One flipped bit anywhere (R, S, message, key) and it no longer verifies.
    expect(await p.ed25519Verify(publicKey, message, flip(signature, 0))).toBe(false);
    expect(await p.ed25519Verify(publicKey, message, flip(signature, 40))).toBe(false);
    expect(await p.ed25519Verify(flip(publicKey, 3), message, signature)).toBe(false);
    const longer = concatBytes(message, new Uint8Array([0]));
    expect(await p.ed25519Verify(publicKey, longer, signature)).toBe(false);
  });

  it('SHA-256 of "abc" and of the empty string (FIPS 180-4 examples)', async () => {
    expect(bytesToHex(await p.sha256(utf8ToBytes('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(bytesToHex(await p.sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Project Wycheproof

describe('Wycheproof x25519_test.json: every case on both providers', () => {
  const cases = wycheproofX25519.testGroups.flatMap((g) => g.tests);
  /** Cases where the peer key has low order: RFC 7748 §6.1's all-zero check must refuse them. */
  const isLowOrder = (flags: readonly string[]) => flags.includes('ZeroSharedSecret') || flags.includes('LowOrderPublic');
  const results: { tcId: number; result: string; flags: readonly string[]; shared: string; web: Outcome; noble: Outcome }[] = [];

  beforeAll(async () => {
    for (const tc of cases) {
      const secret = hexToBytes(tc.private);
      const peer = hexToBytes(tc.public);
      results.push({
        tcId: tc.tcId,
        result: tc.result,
        flags: tc.flags,
        shared: tc.shared,
        web: await outcome(() => web.x25519(secret, peer)),
        noble: await outcome(() => nobleProvider.x25519(secret, peer)),
      });
    }
  });

  it('runs every test case of the file', () => {
    expect(results).toHaveLength(wycheproofX25519.numberOfTests);
    expect(new Set(results.map((r) => r.tcId)).size).toBe(wycheproofX25519.numberOfTests);
  });

  it('low-order peer keys (all-zero shared secret) throw invalid_key on both paths', () => {
    const low = results.filter((r) => isLowOrder(r.flags));
    expect(low.length).toBeGreaterThan(0);
    const wrong = low.filter((r) => !('error' in r.web && r.web.error === 'invalid_key') || !('error' in r.noble && r.noble.error === 'invalid_key'));
    expect(wrong).toEqual([]);
  });

  it('valid cases give the listed shared secret on both paths', () => {
    const valid = results.filter((r) => r.result === 'valid' && !isLowOrder(r.flags));
    expect(valid.length).toBeGreaterThan(0);
    const wrong = valid.filter((r) => !('ok' in r.web && r.web.ok === r.shared) || !('ok' in r.noble && r.noble.ok === r.shared));
    expect(wrong).toEqual([]);
  });

  it('acceptable cases: both providers agree (same bytes, or both throw the same code)', () => {
    const acceptable = results.filter((r) => r.result === 'acceptable');
    expect(acceptable.length).toBeGreaterThan(0);
    expect(acceptable.filter((r) => JSON.stringify(r.web) !== JSON.stringify(r.noble))).toEqual([]);
  });

  it('whenever a provider returns a secret, it is the RFC 7748 value Wycheproof lists (twist, non-canonical u)', () => {
    const wrong = results.filter((r) => ('ok' in r.web && r.web.ok !== r.shared) || ('ok' in r.noble && r.noble.ok !== r.shared));
    expect(wrong).toEqual([]);
  });
});

describe('Wycheproof ed25519_test.json: every case on both providers', () => {
  const cases = wycheproofEd25519.testGroups.flatMap((g) => g.tests.map((tc) => ({ ...tc, pk: g.publicKey.pk })));
  /**
   * tcIds on which noble strict (zip215: false) disagrees with Wycheproof's verdict, with the
   * verdict noble gives. None: all 150 cases agree. This v1 file has no small-order, mixed-order
   * or non-canonical public keys, where cofactored (noble) and cofactorless (RFC 8032 §5.1.7
   * allows either) verification could differ; its invalid cases are special values of R and S,
   * truncated or padded signatures, flipped bits in R, and S >= L, which every strict verifier refuses.
   */
  const NOBLE_STRICT_DEVIATIONS: ReadonlyMap<number, boolean> = new Map();
  const results: { tcId: number; expected: boolean; web: boolean; noble: boolean; strict: boolean }[] = [];

  beforeAll(async () => {
    for (const tc of cases) {
      const pk = hexToBytes(tc.pk);
      const msg = hexToBytes(tc.msg);
      const sig = hexToBytes(tc.sig);
      let strict: boolean;
      try {
        strict = ed25519.verify(sig, msg, pk, { zip215: false });
      } catch {
        strict = false;
      }
      results.push({
        tcId: tc.tcId,
        expected: NOBLE_STRICT_DEVIATIONS.get(tc.tcId) ?? tc.result === 'valid',
        web: await web.ed25519Verify(pk, msg, sig),
        noble: await nobleProvider.ed25519Verify(pk, msg, sig),
        strict,
      });
    }
  });

  it('runs every test case of the file', () => {
    expect(results).toHaveLength(wycheproofEd25519.numberOfTests);
    expect(cases.every((tc) => tc.result === 'valid' || tc.result === 'invalid')).toBe(true);
  });

  it('the webcrypto verdict equals the noble verdict, and both equal ed25519.verify(zip215: false), for every case', () => {
    expect(results.filter((r) => r.web !== r.noble || r.noble !== r.strict)).toEqual([]);
  });

  it('valid cases verify and invalid cases do not (no listed deviation of noble strict)', () => {
    expect(results.filter((r) => r.web !== r.expected || r.noble !== r.expected)).toEqual([]);
    expect(results.filter((r) => r.expected).length).toBe(cases.filter((tc) => tc.result === 'valid').length);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Equivalence properties

describe('webcrypto and noble give identical bytes (fast-check)', () => {
  it('X25519 with a random scalar and a random u (curve, twist or low order): same secret or same error', async () => {
    await fc.assert(
      fc.asyncProperty(bytes32, bytes32, async (secret, u) => {
        expect(await outcome(() => web.x25519(secret, u))).toEqual(await outcome(() => nobleProvider.x25519(secret, u)));
      }),
      { numRuns: RUNS },
    );
  });

  it('X25519 Diffie-Hellman across paths: a on webcrypto and b on noble reach the same secret', async () => {
    await fc.assert(
      fc.asyncProperty(bytes32, bytes32, async (a, b) => {
        const [pubA, pubB] = [await web.x25519PublicKey(a), await nobleProvider.x25519PublicKey(b)];
        const ab = await web.x25519(a, pubB);
        expect(await nobleProvider.x25519(a, pubB)).toEqual(ab);
        expect(await nobleProvider.x25519(b, pubA)).toEqual(ab);
        expect(await web.x25519(b, pubA)).toEqual(ab);
      }),
      { numRuns: RUNS },
    );
  });

  it('x25519Generate: each path derives the public key of the other path’s secret, and they agree', async () => {
    for (let i = 0; i < 25; i++) {
      const w = await web.x25519Generate();
      const n = await nobleProvider.x25519Generate();
      for (const pair of [w, n]) {
        expect(pair.secretKey).toHaveLength(32);
        expect(await nobleProvider.x25519PublicKey(pair.secretKey)).toEqual(pair.publicKey);
        expect(await web.x25519PublicKey(pair.secretKey)).toEqual(pair.publicKey);
      }
      const shared = await web.x25519(w.secretKey, n.publicKey);
      expect(await nobleProvider.x25519(w.secretKey, n.publicKey)).toEqual(shared);
      expect(await nobleProvider.x25519(n.secretKey, w.publicKey)).toEqual(shared);
      expect(await web.x25519(n.secretKey, w.publicKey)).toEqual(shared);
    }
  });

  it('Ed25519: same public key, same (deterministic) signature, and each path verifies the other’s', async () => {
    await fc.assert(
      fc.asyncProperty(bytes32, bytes(0, 1024), async (secret, message) => {
        const pub = await web.ed25519PublicKey(secret);
        expect(await nobleProvider.ed25519PublicKey(secret)).toEqual(pub);
        const sigWeb = await web.ed25519Sign(secret, message);
        const sigNoble = await nobleProvider.ed25519Sign(secret, message);
        expect(sigWeb).toEqual(sigNoble);
        expect(await web.ed25519Verify(pub, message, sigNoble)).toBe(true);
        expect(await nobleProvider.ed25519Verify(pub, message, sigWeb)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('Ed25519: a signature with one byte changed fails on both paths', async () => {
    await fc.assert(
      fc.asyncProperty(bytes32, bytes(0, 64), fc.nat(63), fc.integer({ min: 1, max: 255 }), async (secret, message, i, mask) => {
        const pub = await nobleProvider.ed25519PublicKey(secret);
        const bad = flip(await nobleProvider.ed25519Sign(secret, message), i, mask);
        expect(await web.ed25519Verify(pub, message, bad)).toBe(false);
        expect(await nobleProvider.ed25519Verify(pub, message, bad)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  /** Plaintext sizes for AES-GCM: the brief's 0..2000, and sizes around and above SIZE_SPLIT. */
  const AEAD_SIZES = [
    ['0..2000 bytes', 0, 2000],
    ['SIZE_SPLIT-32..+2000 bytes', SIZE_SPLIT - 32, SIZE_SPLIT + 2000],
  ] as const;

  describe.each(AEAD_SIZES)('AES-256-GCM, plaintext %s', (_label, min, max) => {
    const aad = fc.option(bytes(0, 64), { nil: undefined });

    it('same ciphertext on both paths, with and without AAD, and each decrypts the other’s', async () => {
      await fc.assert(
        fc.asyncProperty(bytes32, bytes(12, 12), bytes(min, max), aad, async (key, nonce, plaintext, ad) => {
          const ctWeb = await web.aesGcmEncrypt(key, nonce, plaintext, ad);
          const ctNoble = await nobleProvider.aesGcmEncrypt(key, nonce, plaintext, ad);
          expect(ctWeb).toEqual(ctNoble);
          expect(ctWeb).toHaveLength(plaintext.length + 16);
          expect(await web.aesGcmDecrypt(key, nonce, ctNoble, ad)).toEqual(plaintext);
          expect(await nobleProvider.aesGcmDecrypt(key, nonce, ctWeb, ad)).toEqual(plaintext);
        }),
        { numRuns: RUNS },
      );
    });

    it('changing any byte of the ciphertext (body or tag) throws bad_mac on both paths', async () => {
      await fc.assert(
        fc.asyncProperty(bytes32, bytes(12, 12), bytes(min, max), aad, fc.nat(), fc.integer({ min: 1, max: 255 }), async (key, nonce, plaintext, ad, at, mask) => {
          const ct = await nobleProvider.aesGcmEncrypt(key, nonce, plaintext, ad);
          const bad = flip(ct, at % ct.length, mask);
          for (const [, p] of PROVIDERS) await expectCode(() => p.aesGcmDecrypt(key, nonce, bad, ad), 'bad_mac');
        }),
        { numRuns: RUNS },
      );
    });
  });

  it.each([20, SIZE_SPLIT + 10])('AES-256-GCM, %i-byte plaintext: every single-byte change of the ciphertext, AAD or nonce throws bad_mac on both paths', async (size) => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(13);
    const ct = await web.aesGcmEncrypt(key, nonce, randomBytes(size), aad);
    for (const [, p] of PROVIDERS) {
      for (let i = 0; i < ct.length; i++) await expectCode(() => p.aesGcmDecrypt(key, nonce, flip(ct, i), aad), 'bad_mac');
      for (let i = 0; i < aad.length; i++) await expectCode(() => p.aesGcmDecrypt(key, nonce, ct, flip(aad, i)), 'bad_mac');
      for (let i = 0; i < nonce.length; i++) await expectCode(() => p.aesGcmDecrypt(key, flip(nonce, i), ct, aad), 'bad_mac');
      await expectCode(() => p.aesGcmDecrypt(key, nonce, ct), 'bad_mac');
      await expectCode(() => p.aesGcmDecrypt(flip(key, 0), nonce, ct, aad), 'bad_mac');
    }
  });

  it.each([0, 100, SIZE_SPLIT + 100])('AES-256-GCM, %i bytes: an empty AAD and no AAD are the same on both paths', async (size) => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const plaintext = randomBytes(size);
    const ct = await nobleProvider.aesGcmEncrypt(key, nonce, plaintext);
    for (const [, p] of PROVIDERS) {
      expect(await p.aesGcmEncrypt(key, nonce, plaintext, new Uint8Array(0))).toEqual(ct);
      expect(await p.aesGcmDecrypt(key, nonce, ct, new Uint8Array(0))).toEqual(plaintext);
    }
  });

  it('SHA-256: same digest on both paths and as @noble/hashes', async () => {
    await fc.assert(
      fc.asyncProperty(bytes(0, 5000), async (data) => {
        const d = await web.sha256(data);
        expect(await nobleProvider.sha256(data)).toEqual(d);
        expect(d).toEqual(nobleSha256(data));
      }),
      { numRuns: RUNS },
    );
  });

  it('inputs that are views into larger buffers (non-zero byteOffset) give the same bytes as copies', async () => {
    const view = (b: Uint8Array, pad = 7): Uint8Array => {
      const big = randomBytes(b.length + 2 * pad);
      big.set(b, pad);
      return big.subarray(pad, pad + b.length);
    };
    const [secret, peerSecret, key, nonce] = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(12)];
    const peer = await nobleProvider.x25519PublicKey(peerSecret);
    const message = randomBytes(SIZE_SPLIT + 50);
    const expected = {
      dh: await nobleProvider.x25519(secret, peer),
      sig: await nobleProvider.ed25519Sign(secret, message),
      ct: await nobleProvider.aesGcmEncrypt(key, nonce, message, message.subarray(0, 9)),
      digest: nobleSha256(message),
    };
    for (const [, p] of PROVIDERS) {
      expect(await p.x25519(view(secret), view(peer))).toEqual(expected.dh);
      expect(await p.ed25519Sign(view(secret), view(message))).toEqual(expected.sig);
      expect(await p.ed25519Verify(view(await p.ed25519PublicKey(secret)), view(message), view(expected.sig))).toBe(true);
      expect(await p.aesGcmEncrypt(view(key), view(nonce), view(message), view(message.subarray(0, 9)))).toEqual(expected.ct);
      expect(await p.aesGcmDecrypt(view(key), view(nonce), view(expected.ct), view(message.subarray(0, 9)))).toEqual(message);
      expect(await p.sha256(view(message))).toEqual(expected.digest);
    }
  });

  it('one 32-byte secret used for X25519 and for Ed25519 gets the right key handle for each (cache keyed by algorithm), before and after clearKeyCache()', async () => {
    const secret = randomBytes(32);
    const peer = await nobleProvider.x25519PublicKey(randomBytes(32));
    const message = utf8ToBytes('cache');
    const dh = await nobleProvider.x25519(secret, peer);
    const sig = await nobleProvider.ed25519Sign(secret, message);
    for (let round = 0; round < 2; round++) {
      expect(await web.x25519(secret, peer)).toEqual(dh);
      expect(await web.ed25519Sign(secret, message)).toEqual(sig);
      expect(await web.x25519(secret, peer)).toEqual(dh);
      clearKeyCache();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Torsion and the other strict-verification rules

describe('Ed25519 edge cases: one verdict, noble strict’s, on both paths', () => {
  const { Point } = ed25519;
  type EdPoint = ReturnType<typeof Point.fromBytes>;
  const L = Point.Fn.ORDER;
  const leToBigInt = (b: Uint8Array): bigint => b.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);
  const le32 = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  const challenge = (R: Uint8Array, A: Uint8Array, M: Uint8Array): bigint => leToBigInt(sha512(concatBytes(R, A, M))) % L;
  const strict = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => {
    try {
      return ed25519.verify(sig, msg, pub, { zip215: false });
    } catch {
      return false;
    }
  };
  const lax = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => ed25519.verify(sig, msg, pub, { zip215: true });
  /** What the runtime's own Ed25519 says (OpenSSL in Node: the cofactorless equation, no key checks). */
  const native = async (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean | 'refused'> => {
    try {
      const key = await crypto.subtle.importKey('raw', pub as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
      return await crypto.subtle.verify('Ed25519', key, sig as Uint8Array<ArrayBuffer>, msg as Uint8Array<ArrayBuffer>);
    } catch {
      return 'refused';
    }
  };
  const verdicts = async (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) => ({
    webcrypto: await web.ed25519Verify(pub, msg, sig),
    noble: await nobleProvider.ed25519Verify(pub, msg, sig),
  });

  /** A point of order 8 (Bernstein et al.'s list of small-order encodings); checked below. */
  const T8 = Point.fromBytes(hexToBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'));
  /** The 8 points of order dividing 8: i·T8, i = 0..7 (order 1, 8, 4, 8, 2, 8, 4, 8). */
  const TORSION: readonly EdPoint[] = Array.from({ length: 8 }, (_, i) => (i === 0 ? Point.ZERO : T8.multiplyUnsafe(BigInt(i))));

  /**
   * Signs M "by hand" with secret scalar a: R = rB + tR, A = aB + tA, k = SHA-512(R || A || M) mod L,
   * S = r + k·a mod L. With torsion points tR, tA the cofactored equation [8]SB = [8]R + [8]kA
   * holds while SB = R + kA fails unless tR + k·tA = 0.
   */
  function signWithTorsion(a: bigint, r: bigint, msg: Uint8Array, tR: EdPoint, tA: EdPoint) {
    const Rp = Point.BASE.multiply(r).add(tR);
    const Ap = Point.BASE.multiply(a).add(tA);
    const R = Rp.toBytes();
    const A = Ap.toBytes();
    const k = challenge(R, A, msg);
    const S = (r + k * a) % L;
    const SB = Point.BASE.multiplyUnsafe(S);
    const rhs = Rp.add(Ap.multiplyUnsafe(k));
    return {
      pub: A,
      sig: concatBytes(R, le32(S)),
      cofactorless: SB.equals(rhs),
      cofactored: SB.multiplyUnsafe(8n).equals(rhs.multiplyUnsafe(8n)),
    };
  }

  const A_SECRET = 0x0a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeffn % L;
  const R_SECRET = 0x77665544332211009988aabbccddeeff0123456789abcdeffedcba9876543210n % L;

  it('the torsion points are what they claim: T8 has order exactly 8 and i·T8 are the 8 small-order points', () => {
    expect(T8.multiplyUnsafe(8n).is0()).toBe(true);
    expect(T8.multiplyUnsafe(4n).is0()).toBe(false);
    expect(new Set(TORSION.map((t) => bytesToHex(t.toBytes()))).size).toBe(8);
    expect(TORSION.every((t) => t.isSmallOrder())).toBe(true);
  });

  it('the byte-level key blocklist of the WebCrypto path is exactly the 8 small-order points plus the 2 x = 0 encodings with the sign bit set', () => {
    const torsion = new Set(TORSION.map((t) => bytesToHex(t.toBytes())));
    const listed = [..._ED25519_REJECTED_KEYS];
    expect(listed.filter((h) => torsion.has(h)).sort()).toEqual([...torsion].sort());
    const rest = listed.filter((h) => !torsion.has(h));
    expect(rest.sort()).toEqual(['0100000000000000000000000000000000000000000000000000000000000080', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff']);
    for (const h of rest) {
      // Laxly these decode to x = 0 points (identity, order 2); strictly they are refused ("-0").
      const pt = Point.fromBytes(hexToBytes(h), true);
      expect(pt.isSmallOrder() && pt.x === 0n).toBe(true);
      expect(() => Point.fromBytes(hexToBytes(h), false)).toThrow();
    }
  });

  it('R = rB + T (T of order 2, 4 or 8): cofactored equation holds, cofactorless fails, native says no, both providers say yes like noble strict', async () => {
    const msg = utf8ToBytes('torsion in R');
    for (const [i, t] of TORSION.entries()) {
      if (i === 0) continue;
      const { pub, sig, cofactorless, cofactored } = signWithTorsion(A_SECRET, R_SECRET, msg, t, Point.ZERO);
      expect({ i, cofactored, cofactorless }).toEqual({ i, cofactored: true, cofactorless: false });
      // Premise: the native verifier is cofactorless, so provider.ts must fall back to noble here.
      expect(await native(pub, msg, sig)).toBe(false);
      expect(strict(pub, msg, sig)).toBe(true);
      expect(await verdicts(pub, msg, sig)).toEqual({ webcrypto: true, noble: true });
    }
  });

  it('A = aB + T (mixed-order public key): both providers give noble strict’s verdict (accept) whatever k mod 8', async () => {
    const seen = new Set<string>();
    for (let m = 0; m < 24; m++) {
      const msg = new Uint8Array([m]);
      const t = TORSION[1 + (m % 7)]!;
      const { pub, sig, cofactored, cofactorless } = signWithTorsion(A_SECRET, R_SECRET, msg, Point.ZERO, t);
      expect(cofactored).toBe(true);
      seen.add(String(cofactorless));
      expect(strict(pub, msg, sig)).toBe(true);
      expect(await verdicts(pub, msg, sig)).toEqual({ webcrypto: true, noble: true });
    }
    // Both kinds occurred: the cofactorless equation failed for some messages (k·T != 0) and held for others.
    expect(seen).toEqual(new Set(['true', 'false']));
  });

  it('random a, r, message and torsion in R and/or A: webcrypto verdict = noble verdict = ed25519.verify(zip215: false)', async () => {
    const scalar = fc.bigInt({ min: 1n, max: L - 1n });
    await fc.assert(
      fc.asyncProperty(scalar, scalar, bytes(0, 64), fc.nat(7), fc.nat(7), async (a, r, msg, iR, iA) => {
        const { pub, sig, cofactored } = signWithTorsion(a, r, msg, TORSION[iR]!, TORSION[iA]!);
        expect(cofactored).toBe(true);
        const expected = strict(pub, msg, sig);
        expect(await verdicts(pub, msg, sig)).toEqual({ webcrypto: expected, noble: expected });
      }),
      { numRuns: 40 },
    );
  });

  it('S >= L (S + L, S + 2L, S + 8L of a valid signature) is refused by both providers', async () => {
    const secret = hexToBytes(rfc8032.tests[0]!.secretKey);
    const msg = utf8ToBytes('malleable?');
    const pub = await nobleProvider.ed25519PublicKey(secret);
    const sig = await nobleProvider.ed25519Sign(secret, msg);
    const S = leToBigInt(sig.subarray(32));
    expect(await verdicts(pub, msg, sig)).toEqual({ webcrypto: true, noble: true });
    for (const s of [S + L, S + 2n * L, S + 8n * L, L]) {
      expect(s < 2n ** 256n).toBe(true);
      const bad = concatBytes(sig.subarray(0, 32), le32(s));
      expect(await verdicts(pub, msg, bad)).toEqual({ webcrypto: false, noble: false });
    }
  });

  /**
   * The classic forgery for a small-order key A: R = SB, any S. Cofactored verification accepts it
   * for every message ([8](SB - R - kA) = -[8k]A = 0); cofactorless verification accepts it when
   * kA = 0, so the message is chosen with k = 0 mod 8, which fools the native verifier too.
   */
  function forgeFor(pub: Uint8Array, label: string) {
    const S = 0x123456789abcdefn;
    const R = Point.BASE.multiply(S).toBytes();
    for (let i = 0; ; i++) {
      const msg = utf8ToBytes(`${label} ${i}`);
      if (challenge(R, pub, msg) % 8n === 0n) return { msg, sig: concatBytes(R, le32(S)) };
    }
  }

  it('small-order A (all 8 points): a forged "signs everything" signature that Node’s own verifier accepts is refused by both', async () => {
    for (const [i, t] of TORSION.entries()) {
      const pub = t.toBytes();
      const { msg, sig } = forgeFor(pub, `torsion ${i}`);
      expect(lax(pub, msg, sig)).toBe(true);
      // Why provider.ts checks A itself: the native verifier applies no key rule.
      expect(await native(pub, msg, sig)).toBe(true);
      expect(await verdicts(pub, msg, sig)).toEqual({ webcrypto: false, noble: false });
    }
  });

  it('non-canonical A (y >= p, or x = 0 with the sign bit set) is refused by both, even where a lax or the native verifier accepts', async () => {
    const p = 2n ** 255n - 19n;
    // The identity as y = p + 1 and as y = 1 with x_0 = 1, and the order-2 point as y = p - 1 with
    // x_0 = 1 (x = 0 in both cases, so the sign bit must be 0): ZIP-215 decodes all three.
    for (const pub of [le32(p + 1n), le32(1n + 2n ** 255n), le32(p - 1n + 2n ** 255n)]) {
      const { msg, sig } = forgeFor(pub, 'non-canonical');
      expect(lax(pub, msg, sig)).toBe(true);
      expect(await verdicts(pub, msg, sig)).toEqual({ webcrypto: false, noble: false });
    }
    // OpenSSL decodes y = p + 1 as y = 1: the forgery above passes natively.
    const identity = le32(p + 1n);
    const forged = forgeFor(identity, 'non-canonical');
    expect(await native(identity, forged.msg, forged.sig)).toBe(true);
    // y = p + 3 decodes (laxly) to a mixed-order point, not a small-order one: refused for its encoding alone.
    const msg = utf8ToBytes('non-canonical key');
    const sig = concatBytes(Point.BASE.multiply(5n).toBytes(), le32(5n));
    for (const pub of [le32(p + 3n), le32(p + 3n + 2n ** 255n)]) {
      expect(Point.fromBytes(pub, true).isSmallOrder()).toBe(false);
      expect(() => Point.fromBytes(pub, false)).toThrow();
      expect(await verdicts(pub, msg, sig)).toEqual({ webcrypto: false, noble: false });
    }
  });

  it('non-canonical R (y >= p) is refused by both', async () => {
    const secret = hexToBytes(rfc8032.tests[1]!.secretKey);
    const pub = await nobleProvider.ed25519PublicKey(secret);
    const msg = utf8ToBytes('R');
    const sig = await nobleProvider.ed25519Sign(secret, msg);
    const badR = concatBytes(le32(2n ** 255n - 19n + 1n), sig.subarray(32));
    expect(await verdicts(pub, msg, badR)).toEqual({ webcrypto: false, noble: false });
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Input checks, per export

// Wrong inputs: _test-inputs.ts.

describe('randomBytes', () => {
  it('returns fresh bytes of the asked length', () => {
    expect(randomBytes(0)).toHaveLength(0);
    expect(randomBytes(32)).toHaveLength(32);
    expect(randomBytes(32)).not.toEqual(randomBytes(32));
  });

  it.each([
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', Number.NaN],
    ['"32" (a string)', '32'],
    ['undefined', undefined],
  ] as const)('randomBytes(%s) is invalid_argument', async (_w, n) => {
    await expectCode(() => randomBytes(n as number), 'invalid_argument');
  });
});

describe.each(PROVIDERS)('input checks on %s', (_name, p) => {
  const ok32 = new Uint8Array(32).fill(7);
  const peer = hexToBytes(rfc7748.diffieHellman.bobPublic);
  const key = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(12).fill(2);

  it.each(wrongType('secretKey', [0, 31, 33, 64]))('x25519PublicKey: %s is invalid_argument', async (_w, v) => {
    await expectCode(() => p.x25519PublicKey(any(v)), 'invalid_argument');
  });

  it.each(wrongType('key', [0, 31, 33]))('x25519: secret or peer %s is invalid_argument', async (_w, v) => {
    await expectCode(() => p.x25519(any(v), peer), 'invalid_argument');
    await expectCode(() => p.x25519(ok32, any(v)), 'invalid_argument');
  });

  it.each(wrongType('secretKey', [0, 31, 33, 64]))('ed25519PublicKey: %s is invalid_argument', async (_w, v) => {
    await expectCode(() => p.ed25519PublicKey(any(v)), 'invalid_argument');
  });

  it.each(wrongType('secretKey', [0, 31, 33, 64]))('ed25519Sign: %s is invalid_argument', async (_w, v) => {
    await expectCode(() => p.ed25519Sign(any(v), new Uint8Array(3)), 'invalid_argument');
  });

  it.each(NOT_BYTES)('ed25519Sign: a message that is %s is invalid_argument', async (_w, v) => {
    await expectCode(() => p.ed25519Sign(ok32, any(v)), 'invalid_argument');
  });

  it('ed25519Verify never throws: wrong types or lengths of key, message or signature give false', async () => {
    const secret = hexToBytes(rfc8032.tests[2]!.secretKey);
    const pub = hexToBytes(rfc8032.tests[2]!.publicKey);
    const msg = hexToBytes(rfc8032.tests[2]!.message);
    const sig = hexToBytes(rfc8032.tests[2]!.signature);
    expect(await p.ed25519Verify(pub, msg, sig)).toBe(true);
    expect(await p.ed25519Sign(secret, msg)).toEqual(sig);
    for (const [, v] of wrongType('publicKey', [0, 31, 33, 64])) expect(await p.ed25519Verify(any(v), msg, sig)).toBe(false);
    for (const [, v] of wrongType('signature', [0, 32, 63, 65, 128])) expect(await p.ed25519Verify(pub, msg, any(v))).toBe(false);
    for (const [, v] of NOT_BYTES) expect(await p.ed25519Verify(pub, any(v), sig)).toBe(false);
    // A 65-byte signature whose first 64 bytes are valid is still refused (Wycheproof: SignatureWithGarbage).
    expect(await p.ed25519Verify(pub, msg, concatBytes(sig, new Uint8Array(1)))).toBe(false);
  });

  // AES-GCM: every check must hold for small and larger inputs alike.
  describe.each([
    ['small', 16],
    ['large', SIZE_SPLIT + 16],
  ] as const)('AES-256-GCM, %s input', (_size, n) => {
    const data = new Uint8Array(n);

    it.each(wrongType('key', [0, 16, 24, 31, 33]))('aesGcmEncrypt / aesGcmDecrypt: %s is invalid_argument', async (_w, v) => {
      await expectCode(() => p.aesGcmEncrypt(any(v), nonce, data), 'invalid_argument');
      await expectCode(() => p.aesGcmDecrypt(any(v), nonce, data), 'invalid_argument');
    });

    it.each(wrongType('nonce', [0, 8, 11, 13, 16]))('aesGcmEncrypt / aesGcmDecrypt: %s is invalid_argument', async (_w, v) => {
      await expectCode(() => p.aesGcmEncrypt(key, any(v), data), 'invalid_argument');
      await expectCode(() => p.aesGcmDecrypt(key, any(v), data), 'invalid_argument');
    });

    it.each(NOT_BYTES)('aesGcmEncrypt: a plaintext that is %s is invalid_argument', async (_w, v) => {
      await expectCode(() => p.aesGcmEncrypt(key, nonce, any(v)), 'invalid_argument');
    });

    it.each(NOT_BYTES)('aesGcmDecrypt: a ciphertext that is %s is invalid_argument', async (_w, v) => {
      await expectCode(() => p.aesGcmDecrypt(key, nonce, any(v)), 'invalid_argument');
    });

    it.each(NOT_BYTES.filter(([w]) => w !== 'undefined'))('aesGcmEncrypt / aesGcmDecrypt: AAD that is %s is invalid_argument (undefined means none)', async (_w, v) => {
      await expectCode(() => p.aesGcmEncrypt(key, nonce, data, any(v)), 'invalid_argument');
      const ct = await p.aesGcmEncrypt(key, nonce, data);
      await expectCode(() => p.aesGcmDecrypt(key, nonce, ct, any(v)), 'invalid_argument');
    });
  });

  it('aesGcmDecrypt: a ciphertext shorter than the 16-byte tag is bad_mac (no oracle between truncation and forgery)', async () => {
    for (let n = 0; n < 16; n++) await expectCode(() => p.aesGcmDecrypt(key, nonce, new Uint8Array(n)), 'bad_mac');
  });

  it.each(NOT_BYTES)('sha256: data that is %s is invalid_argument', async (_w, v) => {
    await expectCode(() => p.sha256(any(v)), 'invalid_argument');
  });

  it('ML-KEM-768: wrong lengths and types are invalid_argument; a generated pair round-trips', async () => {
    const { publicKey, secretKey } = await p.mlkem768Generate();
    expect(publicKey).toHaveLength(MLKEM768_PUBLIC_LEN);
    expect(secretKey).toHaveLength(MLKEM768_SECRET_LEN);
    const { cipherText, sharedSecret } = await p.mlkem768Encapsulate(publicKey);
    expect(await p.mlkem768Decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
    for (const [, v] of wrongType('publicKey', [0, MLKEM768_PUBLIC_LEN - 1, MLKEM768_PUBLIC_LEN + 1])) {
      await expectCode(() => p.mlkem768Encapsulate(any(v)), 'invalid_argument');
    }
    for (const [, v] of wrongType('cipherText', [0, MLKEM768_CIPHERTEXT_LEN - 1, MLKEM768_CIPHERTEXT_LEN + 1])) {
      await expectCode(() => p.mlkem768Decapsulate(any(v), secretKey), 'invalid_argument');
    }
    for (const [, v] of wrongType('secretKey', [0, MLKEM768_SECRET_LEN - 1, MLKEM768_SECRET_LEN + 1])) {
      await expectCode(() => p.mlkem768Decapsulate(cipherText, any(v)), 'invalid_argument');
    }
  });
});
