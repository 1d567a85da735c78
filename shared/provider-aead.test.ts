/**
 * provider.ts `aesGcmKey`: the keyed AES-256-GCM handle (`AeadKey`) is the same primitive on the
 * WebCrypto and noble paths, byte for byte, and the same as the one-shot `aesGcmEncrypt`.
 *
 * - Known answer: McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Test Case 16
 *   (AES-256, 96-bit IV, 20 bytes of AAD), on both providers.
 * - fast-check equivalence on both sides of SIZE_SPLIT, with and without AAD; cross-decrypt.
 * - Tampering: any flipped bit of ciphertext, tag, AAD or nonce, a wrong key, a dropped AAD and a
 *   ciphertext shorter than the tag are all `bad_mac`.
 * - The handle reads its inputs before it returns: buffers changed right after a call (and the
 *   key wiped after set-up) change nothing.
 * - Input checks: wrong types or lengths are `invalid_argument`.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { any, failureOf, NOT_BYTES, PROVIDERS, SIZE_SPLIT, web, wrongType } from './_test-inputs.ts';
import type { ErrorCode } from './errors.ts';
import { nobleProvider, randomBytes } from './provider.ts';

const RUNS = 40;

const expectCode = async (run: () => unknown, code: ErrorCode): Promise<void> => expect(await failureOf(run)).toBe(code);

const flip = (b: Uint8Array, index: number, mask = 1): Uint8Array => {
  const out = b.slice();
  out[index] = out[index]! ^ mask;
  return out;
};

/** GCM spec Test Case 16: K, IV, P, A -> C || T. */
const TC16 = {
  key: hexToBytes('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'),
  nonce: hexToBytes('cafebabefacedbaddecaf888'),
  plaintext: hexToBytes(
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
  ),
  aad: hexToBytes('feedfacedeadbeeffeedfacedeadbeefabaddad2'),
  sealed:
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
    '76fc6ece0f4e1768cddf8853bb2d551b',
};

describe.each(PROVIDERS)('aesGcmKey on %s', (_name, p) => {
  it('GCM spec Test Case 16 (AES-256, 96-bit IV, AAD)', async () => {
    const k = await p.aesGcmKey(TC16.key);
    expect(bytesToHex(await k.encrypt(TC16.nonce, TC16.plaintext, TC16.aad))).toBe(TC16.sealed);
    expect(await k.decrypt(TC16.nonce, hexToBytes(TC16.sealed), TC16.aad)).toEqual(TC16.plaintext);
  });

  it('one handle serves many nonces, also concurrently, each as the one-shot call would', async () => {
    const key = randomBytes(32);
    const k = await p.aesGcmKey(key);
    const nonces = Array.from({ length: 8 }, () => randomBytes(12));
    const data = Array.from({ length: 8 }, (_, i) => randomBytes(i * 1000));
    const sealed = await Promise.all(nonces.map((n, i) => k.encrypt(n, data[i]!, nonces[0])));
    for (const [i, n] of nonces.entries()) {
      expect(sealed[i]).toEqual(gcm(key, n, nonces[0]).encrypt(data[i]!));
    }
    const opened = await Promise.all(nonces.map((n, i) => k.decrypt(n, sealed[i]!, nonces[0])));
    expect(opened).toEqual(data);
  });

  it('reads its inputs before it returns: later changes to them, or a wiped key, change nothing', async () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(53);
    const plaintext = randomBytes(SIZE_SPLIT * 4);
    const expected = gcm(key, nonce, aad).encrypt(plaintext);
    const keyCopy = key.slice();
    const k = await p.aesGcmKey(keyCopy);
    keyCopy.fill(0);
    const [n, a, d] = [nonce.slice(), aad.slice(), plaintext.slice()];
    const sealing = k.encrypt(n, d, a);
    n.fill(1);
    a.fill(2);
    d.fill(3);
    expect(bytesToHex(await sealing)).toBe(bytesToHex(expected));
    const [n2, a2, c2] = [nonce.slice(), aad.slice(), expected.slice()];
    const opening = k.decrypt(n2, c2, a2);
    n2.fill(1);
    a2.fill(2);
    c2.fill(3);
    expect(await opening).toEqual(plaintext);
  });

  it('tampering with ciphertext, tag, AAD or nonce, a wrong key or a dropped AAD is bad_mac', async () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(20);
    const k = await p.aesGcmKey(key);
    const ct = await k.encrypt(nonce, randomBytes(40), aad);
    for (let i = 0; i < ct.length; i++) await expectCode(() => k.decrypt(nonce, flip(ct, i, 1 << i % 8), aad), 'bad_mac');
    for (let i = 0; i < aad.length; i++) await expectCode(() => k.decrypt(nonce, ct, flip(aad, i)), 'bad_mac');
    for (let i = 0; i < nonce.length; i++) await expectCode(() => k.decrypt(flip(nonce, i), ct, aad), 'bad_mac');
    await expectCode(() => k.decrypt(nonce, ct), 'bad_mac');
    await expectCode(() => k.decrypt(nonce, concatBytes(ct, new Uint8Array(1)), aad), 'bad_mac');
    await expectCode(async () => (await p.aesGcmKey(flip(key, 0))).decrypt(nonce, ct, aad), 'bad_mac');
    for (let n = 0; n < 16; n++) await expectCode(() => k.decrypt(nonce, ct.subarray(0, n), aad), 'bad_mac');
  });
});

describe('aesGcmKey: webcrypto and noble give identical bytes (fast-check)', () => {
  it.each([
    ['below SIZE_SPLIT', 0, SIZE_SPLIT - 1],
    ['above SIZE_SPLIT', SIZE_SPLIT, 3 * SIZE_SPLIT],
  ] as const)('%s, with and without AAD, each opening the other', async (_w, minLength, maxLength) => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ minLength, maxLength }),
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        async (key, nonce, plaintext, aad) => {
          const [w, n] = await Promise.all([web.aesGcmKey(key), nobleProvider.aesGcmKey(key)]);
          const ctWeb = await w.encrypt(nonce, plaintext, aad);
          const ctNoble = await n.encrypt(nonce, plaintext, aad);
          expect(bytesToHex(ctWeb)).toBe(bytesToHex(ctNoble));
          expect(bytesToHex(ctWeb)).toBe(bytesToHex(await nobleProvider.aesGcmEncrypt(key, nonce, plaintext, aad)));
          expect(await w.decrypt(nonce, ctNoble, aad)).toEqual(plaintext);
          expect(await n.decrypt(nonce, ctWeb, aad)).toEqual(plaintext);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('an empty AAD is the same as none', async () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const plaintext = randomBytes(100);
    const ct = gcm(key, nonce).encrypt(plaintext);
    for (const [, p] of PROVIDERS) {
      const k = await p.aesGcmKey(key);
      expect(await k.encrypt(nonce, plaintext, new Uint8Array(0))).toEqual(ct);
      expect(await k.decrypt(nonce, ct, new Uint8Array(0))).toEqual(plaintext);
    }
  });
});


describe.each(PROVIDERS)('aesGcmKey input checks on %s', (_name, p) => {
  const nonce = new Uint8Array(12);
  const data = new Uint8Array(SIZE_SPLIT + 16);

  it.each(wrongType('key', [0, 16, 24, 31, 33]))('aesGcmKey: %s is invalid_argument', async (_w, v) => {
    await expectCode(() => p.aesGcmKey(any(v)), 'invalid_argument');
  });

  it.each(wrongType('nonce', [0, 8, 11, 13, 16]))('encrypt / decrypt: %s is invalid_argument', async (_w, v) => {
    const k = await p.aesGcmKey(new Uint8Array(32));
    await expectCode(() => k.encrypt(any(v), data), 'invalid_argument');
    await expectCode(() => k.decrypt(any(v), data), 'invalid_argument');
  });

  it.each(NOT_BYTES)('encrypt / decrypt: a plaintext or ciphertext that is %s is invalid_argument', async (_w, v) => {
    const k = await p.aesGcmKey(new Uint8Array(32));
    await expectCode(() => k.encrypt(nonce, any(v)), 'invalid_argument');
    await expectCode(() => k.decrypt(nonce, any(v)), 'invalid_argument');
  });

  it.each(NOT_BYTES.filter(([w]) => w !== 'undefined'))('encrypt / decrypt: AAD that is %s is invalid_argument (undefined means none)', async (_w, v) => {
    const k = await p.aesGcmKey(new Uint8Array(32));
    await expectCode(() => k.encrypt(nonce, data, any(v)), 'invalid_argument');
    const ct = await k.encrypt(nonce, data);
    await expectCode(() => k.decrypt(nonce, ct, any(v)), 'invalid_argument');
  });
});
