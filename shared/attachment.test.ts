/**
 * Attachment STREAM (attachment.ts): round trips over sizes and arbitrary chunkings, noble and
 * WebCrypto giving identical bytes, the frozen vectors (also re-derived by a small reference
 * implementation written from the format description), every STREAM failure (each a typed
 * ConfidantError with no unauthenticated plaintext emitted), backpressure, and input checks.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ATTACHMENT_HEADER_LEN,
  createAttachmentDecryptor,
  createAttachmentEncryptor,
  decryptAttachment,
  encryptAttachment,
  encryptedSize,
  generateAttachmentKey,
  type AttachmentDecryptOptions,
  type AttachmentTransform,
} from './attachment.ts';
import { ATTACHMENT_CHUNK_SIZE, ATTACHMENT_MAX_CHUNKS, ATTACHMENT_MAX_CHUNK_SIZE, ATTACHMENT_MIN_CHUNK_SIZE, LABEL } from './consts.ts';
import { ConfidantError, type ErrorCode } from './errors.ts';
import { detectProvider, nobleProvider, type CryptoProvider } from './provider.ts';
import vectors from './vectors/attachment-v1.json';

const CS = ATTACHMENT_CHUNK_SIZE;
/** Small chunks keep multi-chunk streams small enough to tamper with exhaustively. */
const SMALL = ATTACHMENT_MIN_CHUNK_SIZE;
const PIECE = SMALL + 16;

let native: CryptoProvider;
let providers: [string, CryptoProvider][];
beforeAll(async () => {
  native = await detectProvider();
  providers = [
    ['noble', nobleProvider],
    [`native (aesGcm: ${native.implementation.aesGcm})`, native],
  ];
});

const pattern = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251);
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
};

/** `bytes` cut at the given offsets (sorted, clamped), so streams see arbitrary chunkings. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(0, c), bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

interface Run<R> {
  readonly out: Uint8Array;
  readonly error?: unknown;
  readonly result?: R;
}

/**
 * Writes `parts` into a transform and reads concurrently, keeping whatever it emitted before an
 * error: that is exactly what a consumer would have seen.
 */
async function run<R>(t: ReadableWritablePair<Uint8Array, Uint8Array> & { done: Promise<R> }, parts: Uint8Array[]): Promise<Run<R>> {
  const emitted: Uint8Array[] = [];
  const reader = t.readable.getReader();
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      emitted.push(value);
    }
  })();
  const writer = t.writable.getWriter();
  const writing = (async () => {
    for (const p of parts) await writer.write(p);
    await writer.close();
  })();
  const [w, r, d] = await Promise.allSettled([writing, reading, t.done]);
  const error = r.status === 'rejected' ? r.reason : w.status === 'rejected' ? w.reason : d.status === 'rejected' ? d.reason : undefined;
  if (error !== undefined) {
    // After an error the readable stays errored: nothing more can ever come out.
    await expect(reader.read()).rejects.toBe(error);
    expect(d.status).toBe('rejected');
  }
  return { out: concatBytes(...emitted), error, result: d.status === 'fulfilled' ? d.value : undefined };
}

async function decryptParts(ciphertext: Uint8Array, key: Uint8Array, options: AttachmentDecryptOptions = {}, cuts: number[] = []) {
  return run(createAttachmentDecryptor(key, { provider: native, ...options }), split(ciphertext, cuts));
}

function expectCode(e: unknown, codes: ErrorCode | ErrorCode[]): void {
  expect(e, 'expected a ConfidantError').toBeInstanceOf(ConfidantError);
  expect([codes].flat()).toContain((e as ConfidantError).code);
}

/**
 * A failed decryption may have emitted only authenticated chunks, in order: a prefix of the
 * plaintext made of whole chunks, ending before `firstBadChunk`, and never the final chunk.
 */
function expectOnlyAuthenticatedPrefix(out: Uint8Array, plaintext: Uint8Array, chunkSize: number, firstBadChunk: number): void {
  expect(out.length % chunkSize, 'emitted a partial chunk').toBe(0);
  expect(out.length).toBeLessThanOrEqual(firstBadChunk * chunkSize);
  expect(out.length).toBeLessThan(Math.max(1, plaintext.length));
  expect(bytesToHex(out)).toBe(bytesToHex(plaintext.subarray(0, out.length)));
}

/** Independent reference implementation, written from the module doc (noble, one shot). */
function referenceEncrypt(key: Uint8Array, salt: Uint8Array, chunkSize: number, plaintext: Uint8Array) {
  const okm = hkdf(sha256, key, salt, utf8ToBytes(LABEL.attachmentKey), 39);
  const commitment = hkdf(sha256, key, salt, utf8ToBytes(LABEL.attachmentCommitment), 32);
  const header = concatBytes(Uint8Array.of(1), u32(chunkSize), salt, commitment);
  const n = Math.max(1, Math.ceil(plaintext.length / chunkSize));
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const nonce = concatBytes(okm.subarray(32, 39), u32(i), Uint8Array.of(i === n - 1 ? 1 : 0));
    chunks.push(gcm(okm.subarray(0, 32), nonce, header).encrypt(plaintext.subarray(i * chunkSize, (i + 1) * chunkSize)));
  }
  const digest = sha256(concatBytes(utf8ToBytes(LABEL.attachmentDigest), header, ...chunks.map((c) => sha256(c))));
  return { ciphertext: concatBytes(header, ...chunks), digest };
}

/** A provider that counts AEAD calls (one-shot and keyed), served by noble. */
function countingProvider(): CryptoProvider & { calls: { seal: number; open: number } } {
  const calls = { seal: 0, open: 0 };
  return {
    ...nobleProvider,
    calls,
    aesGcmEncrypt: (...a) => (calls.seal++, nobleProvider.aesGcmEncrypt(...a)),
    aesGcmDecrypt: (...a) => (calls.open++, nobleProvider.aesGcmDecrypt(...a)),
    aesGcmKey: async (key) => {
      const k = await nobleProvider.aesGcmKey(key);
      return {
        encrypt: (...a) => (calls.seal++, k.encrypt(...a)),
        decrypt: (...a) => (calls.open++, k.decrypt(...a)),
      };
    },
  };
}

describe('encryptedSize', () => {
  it('is 53 + size + 16 per chunk, with at least one chunk', () => {
    expect(ATTACHMENT_HEADER_LEN).toBe(53);
    expect(encryptedSize(0)).toBe(53 + 16);
    expect(encryptedSize(1)).toBe(53 + 1 + 16);
    expect(encryptedSize(CS - 1)).toBe(53 + CS - 1 + 16);
    expect(encryptedSize(CS)).toBe(53 + CS + 16);
    expect(encryptedSize(CS + 1)).toBe(53 + CS + 1 + 32);
    expect(encryptedSize(200 * 1024 * 1024)).toBe(53 + 200 * 1024 * 1024 + ((200 * 1024 * 1024) / CS) * 16);
    expect(encryptedSize(2500, SMALL)).toBe(53 + 2500 + 3 * 16);
    expect(encryptedSize(ATTACHMENT_MAX_CHUNKS * SMALL, SMALL)).toBe(53 + ATTACHMENT_MAX_CHUNKS * (SMALL + 16));
  });

  it('refuses more than ATTACHMENT_MAX_CHUNKS chunks with too_large', () => {
    expect(() => encryptedSize(ATTACHMENT_MAX_CHUNKS * SMALL + 1, SMALL)).toThrow(expect.objectContaining({ code: 'too_large' }));
    expect(() => encryptedSize(Number.MAX_SAFE_INTEGER)).toThrow(expect.objectContaining({ code: 'too_large' }));
  });

  it('refuses sizes and chunk sizes that are not what it needs', () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53, '1' as unknown as number]) {
      expect(() => encryptedSize(bad)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
    for (const bad of [0, ATTACHMENT_MIN_CHUNK_SIZE - 1, ATTACHMENT_MAX_CHUNK_SIZE + 1, 2048.5]) {
      expect(() => encryptedSize(10, bad)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
  });

  it('matches what the encryptor produces', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 * SMALL }), async (n) => {
        const { ciphertext, encryptedSize: reported } = await encryptAttachment(pattern(n), undefined, { chunkSize: SMALL, provider: native });
        expect(ciphertext.length).toBe(encryptedSize(n, SMALL));
        expect(reported).toBe(ciphertext.length);
      }),
      { numRuns: 40 },
    );
  });
});

describe('round trips', () => {
  it('generateAttachmentKey gives fresh 32-byte keys', () => {
    const a = generateAttachmentKey();
    expect(a).toHaveLength(32);
    expect(bytesToHex(a)).not.toBe(bytesToHex(generateAttachmentKey()));
  });

  it.each([0, 1, CS - 1, CS, CS + 1, 3 * CS + 17])('%i bytes round-trip with both providers, with and without the digest', async (n) => {
    const plaintext = pattern(n, 7);
    for (const [name, provider] of providers) {
      const enc = await encryptAttachment(plaintext, undefined, { provider });
      expect(enc.ciphertext.length, name).toBe(encryptedSize(n));
      expect(enc.size).toBe(n);
      expect(enc.key).toHaveLength(32);
      expect(enc.digest).toHaveLength(32);
      expect(bytesToHex(await decryptAttachment(enc.ciphertext, enc.key, enc.digest, { provider })), name).toBe(bytesToHex(plaintext));
      expect(bytesToHex(await decryptAttachment(enc.ciphertext, enc.key, undefined, { provider }))).toBe(bytesToHex(plaintext));
    }
  });

  it('streams: done reports key, digest and sizes; the decryptor reports the same digest', async () => {
    const plaintext = pattern(3 * SMALL + 5);
    const enc = createAttachmentEncryptor({ chunkSize: SMALL, provider: native });
    const e = await run(enc, split(plaintext, [100, 2000]));
    expect(e.error).toBeUndefined();
    expect(e.result).toEqual({ key: enc.key, digest: expect.any(Uint8Array), size: plaintext.length, encryptedSize: e.out.length });
    const d = await decryptParts(e.out, enc.key, { digest: e.result!.digest }, [7, 60, 3000]);
    expect(d.error).toBeUndefined();
    expect(bytesToHex(d.out)).toBe(bytesToHex(plaintext));
    expect(d.result).toEqual({ digest: e.result!.digest, size: plaintext.length, encryptedSize: e.out.length, chunkSize: SMALL });
  });

  it('gives the same bytes for any chunking of the input, with either provider', async () => {
    const key = generateAttachmentKey();
    const salt = new Uint8Array(16).fill(9);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5 * SMALL + 3 }),
        fc.array(fc.nat({ max: 5 * SMALL + 200 }), { maxLength: 12 }),
        fc.array(fc.nat({ max: 5 * SMALL + 300 }), { maxLength: 12 }),
        fc.boolean(),
        async (plaintext, inCuts, ctCuts, useNoble) => {
          const provider = useNoble ? nobleProvider : native;
          const whole = await encryptAttachment(plaintext, key, { chunkSize: SMALL, salt, provider: native });
          const enc = await run(createAttachmentEncryptor({ key, chunkSize: SMALL, salt, provider }), split(plaintext, inCuts));
          expect(enc.error).toBeUndefined();
          expect(bytesToHex(enc.out)).toBe(bytesToHex(whole.ciphertext));
          expect(bytesToHex(enc.result!.digest)).toBe(bytesToHex(whole.digest));
          const dec = await run(createAttachmentDecryptor(key, { digest: whole.digest, provider }), split(whole.ciphertext, ctCuts));
          expect(dec.error).toBeUndefined();
          expect(bytesToHex(dec.out)).toBe(bytesToHex(plaintext));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('noble and WebCrypto give identical streams and digests for the same key and salt', async () => {
    const key = generateAttachmentKey();
    const salt = generateAttachmentKey().subarray(0, 16);
    for (const n of [0, 1, SMALL, 4 * SMALL + 1]) {
      const [a, b] = await Promise.all(
        [nobleProvider, native].map((provider) => encryptAttachment(pattern(n), key, { chunkSize: SMALL, salt, provider })),
      );
      expect(bytesToHex(a!.ciphertext)).toBe(bytesToHex(b!.ciphertext));
      expect(bytesToHex(a!.digest)).toBe(bytesToHex(b!.digest));
      // And each decrypts the other's.
      expect(bytesToHex(await decryptAttachment(a!.ciphertext, key, b!.digest, { provider: native }))).toBe(bytesToHex(pattern(n)));
      expect(bytesToHex(await decryptAttachment(b!.ciphertext, key, a!.digest, { provider: nobleProvider }))).toBe(bytesToHex(pattern(n)));
    }
  });

  it('a fresh salt per stream: the same file under the same key encrypts differently each time', async () => {
    const key = generateAttachmentKey();
    const a = await encryptAttachment(pattern(100), key, { provider: native });
    const b = await encryptAttachment(pattern(100), key, { provider: native });
    expect(bytesToHex(a.ciphertext)).not.toBe(bytesToHex(b.ciphertext));
    expect(bytesToHex(a.digest)).not.toBe(bytesToHex(b.digest));
  });
});

describe('known-answer vectors (vectors/attachment-v1.json)', () => {
  it('the labels are the ones in consts.ts', () => {
    expect(vectors.labels).toEqual({
      attachmentKey: LABEL.attachmentKey,
      attachmentCommitment: LABEL.attachmentCommitment,
      attachmentDigest: LABEL.attachmentDigest,
    });
  });

  it.each(vectors.cases.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const key = hexToBytes(v.key);
    const salt = hexToBytes(v.salt);
    const plaintext = hexToBytes(v.plaintext);
    // The reference implementation agrees with the frozen bytes, intermediate values included.
    const okm = hkdf(sha256, key, salt, utf8ToBytes(LABEL.attachmentKey), 39);
    expect(bytesToHex(okm.subarray(0, 32))).toBe(v.aesKey);
    expect(bytesToHex(okm.subarray(32))).toBe(v.noncePrefix);
    expect(bytesToHex(hkdf(sha256, key, salt, utf8ToBytes(LABEL.attachmentCommitment), 32))).toBe(v.commitment);
    expect(v.ciphertext.startsWith(v.header)).toBe(true);
    const ref = referenceEncrypt(key, salt, v.chunkSize, plaintext);
    expect(bytesToHex(ref.ciphertext)).toBe(v.ciphertext);
    expect(bytesToHex(ref.digest)).toBe(v.digest);
    // And so does attachment.ts, with either provider, both ways.
    for (const [name, provider] of providers) {
      const enc = await encryptAttachment(plaintext, key, { chunkSize: v.chunkSize, salt, provider });
      expect(bytesToHex(enc.ciphertext), name).toBe(v.ciphertext);
      expect(bytesToHex(enc.digest), name).toBe(v.digest);
      const dec = await decryptAttachment(hexToBytes(v.ciphertext), key, hexToBytes(v.digest), { provider });
      expect(bytesToHex(dec), name).toBe(v.plaintext);
    }
  });
});

describe('STREAM failures: typed errors, no unauthenticated plaintext', () => {
  const key = hexToBytes('5c'.repeat(32));
  const plaintext = pattern(3 * SMALL + 500, 3); // chunks 0..2 full, chunk 3 has 500 bytes
  let ct: Uint8Array;
  let digest: Uint8Array;
  let header: Uint8Array;
  let chunks: Uint8Array[];
  beforeAll(async () => {
    ({ ciphertext: ct, digest } = await encryptAttachment(plaintext, key, { chunkSize: SMALL, provider: native }));
    header = ct.subarray(0, ATTACHMENT_HEADER_LEN);
    chunks = [0, 1, 2, 3].map((i) => ct.subarray(ATTACHMENT_HEADER_LEN + i * PIECE, ATTACHMENT_HEADER_LEN + (i + 1) * PIECE));
    expect(chunks[3]).toHaveLength(516);
  });

  const stream = (...parts: Uint8Array[]): Uint8Array => concatBytes(header, ...parts);

  it('the untouched stream decrypts (control)', async () => {
    const r = await decryptParts(stream(...chunks), key, { digest });
    expect(r.error).toBeUndefined();
    expect(bytesToHex(r.out)).toBe(bytesToHex(plaintext));
  });

  it('reordered chunks fail bad_mac at the first chunk out of place', async () => {
    const [c0, c1, c2, c3] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    let r = await decryptParts(stream(c1, c0, c2, c3), key);
    expectCode(r.error, 'bad_mac');
    expect(r.out).toHaveLength(0);
    r = await decryptParts(stream(c0, c2, c1, c3), key);
    expectCode(r.error, 'bad_mac');
    expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, 1);
  });

  it('a duplicated chunk fails bad_mac', async () => {
    const [c0, c1, c2, c3] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    for (const s of [stream(c0, c0, c1, c2, c3), stream(c0, c1, c1, c2, c3), stream(c0, c1, c2, c3, c3)]) {
      const r = await decryptParts(s, key);
      expectCode(r.error, 'bad_mac');
      expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, 3);
    }
  });

  it('dropping the last chunk is reported as truncated', async () => {
    const r = await decryptParts(stream(...chunks.slice(0, 3)), key);
    expectCode(r.error, 'truncated');
    expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, 2);
    const only = await decryptParts(stream(chunks[0]!), key);
    expectCode(only.error, 'truncated');
    expect(only.out).toHaveLength(0);
  });

  it('a stream cut anywhere fails (truncated or bad_mac) and emits only whole authenticated chunks', async () => {
    for (let cut = 0; cut < ct.length; cut += 37) {
      const r = await decryptParts(ct.subarray(0, cut), key, {}, [cut >> 1]);
      expectCode(r.error, ['truncated', 'bad_mac']);
      expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, Math.max(0, Math.floor((cut - ATTACHMENT_HEADER_LEN) / PIECE)));
    }
    for (const cut of [ct.length - 1, ct.length - 100, ct.length - 510, ATTACHMENT_HEADER_LEN + PIECE + 3]) {
      const r = await decryptParts(ct.subarray(0, cut), key);
      expectCode(r.error, ['truncated', 'bad_mac']);
    }
  });

  it('header only, a partial header and empty input are truncated', async () => {
    for (const s of [header, header.subarray(0, 20), header.subarray(0, 1), new Uint8Array(0)]) {
      const r = await decryptParts(s, key);
      expectCode(r.error, 'truncated');
      expect(r.out).toHaveLength(0);
    }
    expectCode((await decryptParts(stream(new Uint8Array(15)), key)).error, 'truncated');
  });

  it('an appended chunk or trailing bytes fail', async () => {
    const [c0] = chunks as [Uint8Array];
    for (const extra of [c0, chunks[3]!, Uint8Array.of(0), new Uint8Array(16), new Uint8Array(PIECE)]) {
      const r = await decryptParts(concatBytes(ct, extra), key);
      expectCode(r.error, ['bad_mac', 'truncated']);
      expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, 3);
    }
    // Also when the real last chunk is a full one.
    const full = await encryptAttachment(pattern(2 * SMALL), key, { chunkSize: SMALL, provider: native });
    for (const extra of [Uint8Array.of(0), full.ciphertext.subarray(ATTACHMENT_HEADER_LEN, ATTACHMENT_HEADER_LEN + PIECE)]) {
      const r = await decryptParts(concatBytes(full.ciphertext, extra), key);
      expectCode(r.error, ['bad_mac', 'truncated']);
      expectOnlyAuthenticatedPrefix(r.out, pattern(2 * SMALL), SMALL, 1);
    }
  });

  it('a chunk from another stream under the same key fails bad_mac (each stream has its own salt)', async () => {
    const other = await encryptAttachment(plaintext, key, { chunkSize: SMALL, provider: native });
    for (const i of [0, 1, 3]) {
      const swapped = ct.slice();
      const start = ATTACHMENT_HEADER_LEN + i * PIECE;
      swapped.set(other.ciphertext.subarray(start, Math.min(start + PIECE, ct.length)), start);
      const r = await decryptParts(swapped, key);
      expectCode(r.error, 'bad_mac');
      expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, i);
    }
    // The other stream's header with this stream's chunks: same key, so the commitment passes,
    // and the first chunk fails.
    const r = await decryptParts(concatBytes(other.ciphertext.subarray(0, ATTACHMENT_HEADER_LEN), ...chunks), key);
    expectCode(r.error, 'bad_mac');
    expect(r.out).toHaveLength(0);
  });

  it('a wrong key fails wrong_key before any chunk is decrypted', async () => {
    const provider = countingProvider();
    const r = await decryptParts(ct, generateAttachmentKey(), { provider });
    expectCode(r.error, 'wrong_key');
    expect(r.out).toHaveLength(0);
    expect(provider.calls.open).toBe(0);
    // Same with the header arriving one byte at a time.
    const slow = await decryptParts(ct, generateAttachmentKey(), {}, Array.from({ length: 60 }, (_, i) => i));
    expectCode(slow.error, 'wrong_key');
  });

  it('a tampered header fails: version, chunk size, salt, commitment', async () => {
    const withHeader = (edit: (h: Uint8Array) => void): Uint8Array => {
      const s = ct.slice();
      edit(s.subarray(0, ATTACHMENT_HEADER_LEN));
      return s;
    };
    const setSize = (n: number) => withHeader((h) => new DataView(h.buffer, h.byteOffset).setUint32(1, n, false));
    const cases: [Uint8Array, ErrorCode | ErrorCode[]][] = [
      [withHeader((h) => (h[0] = 2)), 'unsupported_version'],
      [withHeader((h) => (h[0] = 0)), 'unsupported_version'],
      [setSize(2 * SMALL), 'bad_mac'],
      [setSize(SMALL + 1), 'bad_mac'],
      [setSize(ATTACHMENT_MAX_CHUNK_SIZE), 'bad_mac'],
      [setSize(SMALL - 1), 'malformed'],
      [setSize(0), 'malformed'],
      [setSize(ATTACHMENT_MAX_CHUNK_SIZE + 1), 'malformed'],
      [setSize(0xffffffff), 'malformed'],
      [withHeader((h) => (h[5]! ^= 1)), 'wrong_key'],
      [withHeader((h) => (h[ATTACHMENT_HEADER_LEN - 1]! ^= 0x80)), 'wrong_key'],
    ];
    for (const [s, code] of cases) {
      const r = await decryptParts(s, key);
      expectCode(r.error, code);
      expect(r.out).toHaveLength(0);
    }
  });

  it('flipping any single bit anywhere is rejected with only authenticated chunks emitted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: ct.length * 8 - 1 }), fc.array(fc.nat({ max: ct.length }), { maxLength: 4 }), async (bit, cuts) => {
        const s = ct.slice();
        const at = bit >> 3;
        s[at]! ^= 1 << (bit & 7);
        const r = await decryptParts(s, key, {}, cuts);
        expectCode(r.error, ['bad_mac', 'wrong_key', 'malformed', 'unsupported_version', 'truncated']);
        const chunk = at < ATTACHMENT_HEADER_LEN ? 0 : Math.floor((at - ATTACHMENT_HEADER_LEN) / PIECE);
        expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, chunk);
      }),
      { numRuns: 300 },
    );
  });

  it('every byte position, flipped, is rejected (exhaustive, on a two-chunk stream)', async () => {
    const small = await encryptAttachment(pattern(SMALL + 10), key, { chunkSize: SMALL, provider: native });
    for (let at = 0; at < small.ciphertext.length; at++) {
      const s = small.ciphertext.slice();
      s[at]! ^= 0xa5;
      const r = await decryptParts(s, key);
      expectCode(r.error, ['bad_mac', 'wrong_key', 'malformed', 'unsupported_version', 'truncated']);
      expect(r.out.length).toBeLessThanOrEqual(at < ATTACHMENT_HEADER_LEN + PIECE ? 0 : SMALL);
    }
  });

  it('a digest other than the expected one fails bad_mac and withholds the final chunk', async () => {
    const wrong = digest.slice();
    wrong[0]! ^= 1;
    const r = await decryptParts(ct, key, { digest: wrong });
    expectCode(r.error, 'bad_mac');
    expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, 3);
    await expect(decryptAttachment(ct, key, wrong)).rejects.toMatchObject({ code: 'bad_mac' });
  });

  it('maxSize: too_large past it (before the excess is decrypted), fine at exactly the size', async () => {
    const ok = await decryptParts(ct, key, { maxSize: plaintext.length });
    expect(ok.error).toBeUndefined();
    for (const maxSize of [plaintext.length - 1, SMALL, 0]) {
      const r = await decryptParts(ct, key, { maxSize });
      expectCode(r.error, 'too_large');
      expect(r.out.length).toBeLessThanOrEqual(maxSize);
    }
  });
});

describe('streaming behaviour', () => {
  /**
   * Writes `parts` through `t` the way a buffer-reusing writer does: every part goes through one
   * buffer, which is refilled with garbage (or, with `transfer`, detached) as soon as its write
   * has resolved.
   */
  async function runReusing<R>(t: AttachmentTransform<R>, parts: Uint8Array[], transfer: boolean): Promise<Run<R>> {
    const max = Math.max(1, ...parts.map((p) => p.length));
    let buf = new Uint8Array(max);
    let i = 0;
    const reused = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (i === parts.length) return c.close();
        const part = parts[i++]!;
        buf.set(part);
        c.enqueue(buf.subarray(0, part.length));
      },
    }, { highWaterMark: 0 });
    const emitted: Uint8Array[] = [];
    const writer = t.writable.getWriter();
    const reading = (async () => {
      const reader = t.readable.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        emitted.push(value);
      }
    })();
    const writing = (async () => {
      const reader = reused.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await writer.write(value);
        if (transfer) {
          structuredClone(buf.buffer, { transfer: [buf.buffer] });
          buf = new Uint8Array(max);
        } else {
          buf.fill(0xee);
        }
      }
      await writer.close();
    })();
    const [w, r, d] = await Promise.allSettled([writing, reading, t.done]);
    const error = r.status === 'rejected' ? r.reason : w.status === 'rejected' ? w.reason : d.status === 'rejected' ? d.reason : undefined;
    return { out: concatBytes(...emitted), error, result: d.status === 'fulfilled' ? d.value : undefined };
  }

  it.each([
    ['refills', false],
    ['transfers', true],
  ] as const)('a writer that %s its buffer once a write resolved changes nothing, either way', async (_w, transfer) => {
    const key = generateAttachmentKey();
    const salt = new Uint8Array(16).fill(3);
    // Whole chunks per write (each one held back until the next write), a partial tail or none,
    // and writes that straddle chunks.
    for (const [n, step] of [
      [3 * SMALL, SMALL],
      [3 * SMALL + 100, SMALL],
      [4 * SMALL, 2 * SMALL],
      [3 * SMALL + 7, 700],
    ] as const) {
      const plaintext = pattern(n, 5);
      const whole = await encryptAttachment(plaintext, key, { chunkSize: SMALL, salt, provider: native });
      for (const [name, provider] of providers) {
        const parts = split(plaintext, Array.from({ length: Math.ceil(n / step) }, (_, i) => i * step));
        const enc = await runReusing(createAttachmentEncryptor({ key, chunkSize: SMALL, salt, provider }), parts, transfer);
        expect(enc.error, name).toBeUndefined();
        expect(bytesToHex(enc.out), `${name} ${n}/${step}`).toBe(bytesToHex(whole.ciphertext));
        expect(bytesToHex(enc.result!.digest)).toBe(bytesToHex(whole.digest));
        const cuts = Array.from({ length: Math.ceil(whole.ciphertext.length / (step + 16)) }, (_, i) => ATTACHMENT_HEADER_LEN + i * (step + 16));
        const dec = await runReusing(
          createAttachmentDecryptor(key, { digest: whole.digest, provider }),
          split(whole.ciphertext, [0, ...cuts]),
          transfer,
        );
        expect(dec.error, name).toBeUndefined();
        expect(bytesToHex(dec.out), `${name} ${n}/${step}`).toBe(bytesToHex(plaintext));
      }
    }
  });

  it('respects backpressure: a slow reader keeps the encryptor only a few chunks ahead', async () => {
    let pulled = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(SMALL));
      },
    });
    const reader = source.pipeThrough(createAttachmentEncryptor({ chunkSize: SMALL, provider: native })).getReader();
    const settle = () => new Promise((r) => setTimeout(r, 30));
    for (let reads = 1; reads <= 12; reads++) {
      await reader.read();
      await settle();
      // Each read lets one more chunk in; at most 2 are being encrypted (MAX_IN_FLIGHT), plus
      // the one held back and one in each stream queue.
      expect(pulled - reads).toBeLessThanOrEqual(6);
    }
    await reader.cancel();
  });

  it('passes its error to done and to both sides; nothing is emitted after it', async () => {
    const enc = createAttachmentEncryptor({ provider: native });
    const r = await run(enc, [new Uint8Array(10), 'not bytes' as unknown as Uint8Array]);
    expectCode(r.error, 'invalid_argument');
    await expect(enc.done).rejects.toBe(r.error);
  });
});

describe('input checks', () => {
  it('the encryptor refuses bad options with invalid_argument', () => {
    const bad: Record<string, unknown>[] = [
      { key: new Uint8Array(31) },
      { key: 'k' },
      { chunkSize: ATTACHMENT_MIN_CHUNK_SIZE - 1 },
      { chunkSize: ATTACHMENT_MAX_CHUNK_SIZE + 1 },
      { chunkSize: 1024.5 },
      { salt: new Uint8Array(15) },
      { provider: {} },
      { provider: null },
    ];
    for (const options of bad) {
      expect(() => createAttachmentEncryptor(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'invalid_argument' }),
      );
    }
  });

  it('the decryptor refuses bad arguments with invalid_argument', () => {
    const key = generateAttachmentKey();
    expect(() => createAttachmentDecryptor(new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    for (const options of [{ digest: new Uint8Array(31) }, { maxSize: -1 }, { maxSize: 0.5 }, { provider: 42 }]) {
      expect(() => createAttachmentDecryptor(key, options as never)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
  });

  it('the one-shot helpers check their inputs', async () => {
    const key = generateAttachmentKey();
    await expect(encryptAttachment('x' as never)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(encryptAttachment(new Uint8Array(1), new Uint8Array(3))).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(decryptAttachment([] as never, key)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(decryptAttachment(new Uint8Array(100), key, new Uint8Array(2))).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('a decryptor fed non-bytes errors with invalid_argument', async () => {
    const r = await run(createAttachmentDecryptor(generateAttachmentKey(), { provider: native }), [{} as Uint8Array]);
    expectCode(r.error, 'invalid_argument');
  });
});
