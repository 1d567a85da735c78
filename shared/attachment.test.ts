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
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTACHMENT_HEADER_LEN, createAttachmentDecryptor, createAttachmentEncryptor, decryptAttachment, encryptAttachment, encryptedSize, generateAttachmentKey, paddedAttachmentSize, type AttachmentDecryptOptions, type AttachmentTransform } from './attachment.ts';
import { ATTACHMENT_CHUNK_SIZE, ATTACHMENT_MAX_CHUNKS, ATTACHMENT_MAX_CHUNK_SIZE, ATTACHMENT_MIN_CHUNK_SIZE, ATTACHMENT_PAD_MIN, ATTACHMENT_VERSION, LABEL } from './consts.ts';
import { ConfidantError, type ErrorCode } from './errors.ts';
import { detectProvider, nobleProvider, type CryptoProvider } from './provider.ts';
import { padme } from './padding.ts';
import { computeAttachmentVectorsV2 } from './vectors/attachment.ts';
import vectors from './vectors/attachment-v1.json';

const vectorsV2File = new URL('./vectors/attachment-v2.json', import.meta.url);
// Regenerate only on purpose: a changed file is a wire-format change (PROTOCOL.md §10, vectors/README.md).
if (process.env.UPDATE_VECTORS === '1') writeFileSync(vectorsV2File, JSON.stringify(await computeAttachmentVectorsV2(), null, 2) + '\n');
const vectorsV2 = JSON.parse(readFileSync(vectorsV2File, 'utf8')) as Awaited<ReturnType<typeof computeAttachmentVectorsV2>>;

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

/** Padmé (PURBs, PETS 2019) on integers, written from the paper: keep the top ⌊log2 E⌋ + 1 bits of L. */
function referencePadme(length: number): number {
  if (length < 2) return length;
  const l = BigInt(length);
  const e = l.toString(2).length - 1; // ⌊log2 L⌋
  const s = e.toString(2).length; // ⌊log2 E⌋ + 1
  const step = 1n << BigInt(e - s);
  return Number(((l + step - 1n) / step) * step);
}

/** The padded size of a file, from PROTOCOL.md §10: max(4096, Padmé(size)). */
const referenceBucket = (size: number): number => Math.max(4096, referencePadme(size));

const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), false);
  return b;
};

/** Independent reference implementation of stream v1 (unpadded), written from the module doc (noble, one shot). */
function referenceEncryptV1(key: Uint8Array, salt: Uint8Array, chunkSize: number, plaintext: Uint8Array) {
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

/**
 * Independent reference implementation of stream v2 (padded), written from PROTOCOL.md §10
 * (noble, one shot). `declared` and `padded` let a test build streams that a correct encryptor
 * never writes but a key holder could: a length field that does not match the chunks, nonzero
 * padding.
 */
function referenceEncryptV2(
  key: Uint8Array,
  salt: Uint8Array,
  chunkSize: number,
  plaintext: Uint8Array,
  craft: { declared?: number; padded?: Uint8Array } = {},
) {
  const okm = hkdf(sha256, key, salt, utf8ToBytes(LABEL.attachmentKey), 39);
  const aesKey = okm.subarray(0, 32);
  const prefix = okm.subarray(32, 39);
  const commitment = hkdf(sha256, key, salt, utf8ToBytes(LABEL.attachmentCommitment), 32);
  const fixed = concatBytes(Uint8Array.of(2), u32(chunkSize), salt, commitment);
  const sealedLength = gcm(aesKey, concatBytes(prefix, u32(0), Uint8Array.of(2)), fixed).encrypt(u64(craft.declared ?? plaintext.length));
  const header = concatBytes(fixed, sealedLength);
  const padded = craft.padded ?? concatBytes(plaintext, new Uint8Array(referenceBucket(plaintext.length) - plaintext.length));
  const n = Math.ceil(padded.length / chunkSize);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const nonce = concatBytes(prefix, u32(i), Uint8Array.of(i === n - 1 ? 1 : 0));
    chunks.push(gcm(aesKey, nonce, header).encrypt(padded.subarray(i * chunkSize, (i + 1) * chunkSize)));
  }
  const digest = sha256(concatBytes(utf8ToBytes(LABEL.attachmentDigest), header, ...chunks.map((c) => sha256(c))));
  return { ciphertext: concatBytes(header, ...chunks), digest, header, chunks, sealedLength };
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
  it('is the 77-byte header + the padded size + 16 per chunk of the padded size', () => {
    expect(ATTACHMENT_HEADER_LEN).toBe(77);
    expect(ATTACHMENT_PAD_MIN).toBe(4096);
    // Everything up to 4 KiB pads to 4 KiB: one chunk at the default size.
    for (const n of [0, 1, 4095, 4096]) expect(encryptedSize(n)).toBe(77 + 4096 + 16);
    expect(encryptedSize(4097)).toBe(77 + 4352 + 16);
    expect(encryptedSize(CS - 1)).toBe(77 + CS + 16);
    expect(encryptedSize(CS)).toBe(77 + CS + 16);
    // Padmé steps 8 KiB just above 256 KiB: one more chunk, holding 8 KiB.
    expect(encryptedSize(CS + 1)).toBe(77 + CS + 8192 + 32);
    expect(encryptedSize(200 * 1024 * 1024)).toBe(77 + 200 * 1024 * 1024 + ((200 * 1024 * 1024) / CS) * 16);
    expect(encryptedSize(2500, SMALL)).toBe(77 + 4096 + 4 * 16);
    expect(encryptedSize(2 ** 41, SMALL)).toBe(77 + 2 ** 41 + 2 ** 31 * 16);
    // (2^32 - 1) KiB would fit in ATTACHMENT_MAX_CHUNKS chunks of 1 KiB, but pads to 2^42 bytes.
    expect(() => encryptedSize(ATTACHMENT_MAX_CHUNKS * SMALL, SMALL)).toThrow(expect.objectContaining({ code: 'too_large' }));
  });

  it('refuses more than ATTACHMENT_MAX_CHUNKS chunks with too_large', () => {
    expect(() => encryptedSize(ATTACHMENT_MAX_CHUNKS * SMALL + 1, SMALL)).toThrow(expect.objectContaining({ code: 'too_large' }));
    expect(() => encryptedSize(Number.MAX_SAFE_INTEGER)).toThrow(expect.objectContaining({ code: 'too_large' }));
  });

  it('refuses sizes and chunk sizes that are not what it needs', () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53, '1' as unknown as number]) {
      expect(() => encryptedSize(bad)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
      expect(() => paddedAttachmentSize(bad)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
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
    const enc = createAttachmentEncryptor({ size: plaintext.length, chunkSize: SMALL, provider: native });
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
          const enc = await run(createAttachmentEncryptor({ size: plaintext.length, key, chunkSize: SMALL, salt, provider }), split(plaintext, inCuts));
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

/** The labels both vector files must name, as consts.ts has them. */
const ATTACHMENT_LABELS = {
  attachmentKey: LABEL.attachmentKey,
  attachmentCommitment: LABEL.attachmentCommitment,
  attachmentDigest: LABEL.attachmentDigest,
};

describe('known-answer vectors, v1 (vectors/attachment-v1.json: unpadded, read but never written)', () => {
  it('the labels are the ones in consts.ts', () => {
    expect(vectors.labels).toEqual(ATTACHMENT_LABELS);
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
    const ref = referenceEncryptV1(key, salt, v.chunkSize, plaintext);
    expect(bytesToHex(ref.ciphertext)).toBe(v.ciphertext);
    expect(bytesToHex(ref.digest)).toBe(v.digest);
    // attachment.ts reads them with either provider, and reports the same digest and sizes.
    for (const [name, provider] of providers) {
      const dec = await decryptParts(hexToBytes(v.ciphertext), key, { digest: hexToBytes(v.digest), provider });
      expect(dec.error, name).toBeUndefined();
      expect(bytesToHex(dec.out), name).toBe(v.plaintext);
      expect(dec.result).toEqual({ digest: hexToBytes(v.digest), size: plaintext.length, encryptedSize: v.ciphertext.length / 2, chunkSize: v.chunkSize });
    }
  });
});

describe('known-answer vectors, v2 (vectors/attachment-v2.json, made by vectors/attachment.ts)', () => {
  it('recomputes byte for byte (UPDATE_VECTORS=1 rewrites the file, only ever on purpose)', async () => {
    const now = await computeAttachmentVectorsV2();
    expect(now).toEqual(vectorsV2);
  });

  it('the labels are the ones in consts.ts', () => {
    expect(vectorsV2.labels).toEqual(ATTACHMENT_LABELS);
  });

  it.each(vectorsV2.cases.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const key = hexToBytes(v.key);
    const salt = hexToBytes(v.salt);
    const plaintext = hexToBytes(v.plaintext);
    expect(v.paddedSize).toBe(referenceBucket(plaintext.length));
    // The reference implementation agrees with the frozen bytes, intermediate values included.
    const okm = hkdf(sha256, key, salt, utf8ToBytes(LABEL.attachmentKey), 39);
    expect(bytesToHex(okm.subarray(0, 32))).toBe(v.aesKey);
    expect(bytesToHex(okm.subarray(32))).toBe(v.noncePrefix);
    const ref = referenceEncryptV2(key, salt, v.chunkSize, plaintext);
    expect(bytesToHex(ref.sealedLength)).toBe(v.sealedLength);
    expect(bytesToHex(ref.header)).toBe(v.header);
    expect(bytesToHex(ref.ciphertext)).toBe(v.ciphertext);
    expect(bytesToHex(ref.digest)).toBe(v.digest);
    expect(v.ciphertext.length / 2).toBe(77 + v.paddedSize + 16 * Math.ceil(v.paddedSize / v.chunkSize));
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

describe('padding to size buckets (stream v2)', () => {
  /** Sizes on and around bucket edges: b - 1, b, b + 1 for a bucket b near `around`. */
  const edgeSize = (around: number, offset: number): number => Math.max(0, referenceBucket(around) + offset);
  const sizes = fc.oneof(
    fc.integer({ min: 0, max: 20 * SMALL }),
    fc.tuple(fc.integer({ min: 0, max: 20 * SMALL }), fc.integer({ min: -1, max: 1 })).map(([n, d]) => edgeSize(n, d)),
  );

  it('the padded size is max(ATTACHMENT_PAD_MIN, Padmé(size)): a Padmé value, at most 12% over the size', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat({ max: 2 ** 31 }), fc.nat({ max: 40 }).map((k) => 2 ** k), fc.nat({ max: 40 }).map((k) => 2 ** k - 1)), (n) => {
        const p = paddedAttachmentSize(n);
        expect(p).toBe(referenceBucket(n));
        expect(p).toBe(Math.max(ATTACHMENT_PAD_MIN, padme(n)));
        expect(padme(p)).toBe(p);
        expect(p).toBeGreaterThanOrEqual(n);
        if (n >= ATTACHMENT_PAD_MIN) expect(p - n).toBeLessThanOrEqual(0.12 * n);
      }),
      { numRuns: 2000 },
    );
  });

  it('the stream length is the 77-byte header + the bucket + 16 per chunk: every size in a bucket encrypts to the same length', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, async (n) => {
        const bucket = referenceBucket(n);
        const { ciphertext, encryptedSize: reported, size } = await encryptAttachment(pattern(n), undefined, { chunkSize: SMALL, provider: native });
        expect(ciphertext.length).toBe(77 + bucket + 16 * Math.ceil(bucket / SMALL));
        expect(ciphertext.length).toBe(encryptedSize(n, SMALL));
        expect(ciphertext.length).toBe(encryptedSize(bucket, SMALL));
        expect(reported).toBe(ciphertext.length);
        expect(size).toBe(n);
      }),
      { numRuns: 60 },
    );
  });

  it('random sizes, bucket edges included, round-trip with the true length recovered', async () => {
    const key = generateAttachmentKey();
    await fc.assert(
      fc.asyncProperty(sizes, fc.boolean(), fc.array(fc.nat({ max: 30 * SMALL }), { maxLength: 6 }), async (n, useNoble, cuts) => {
        const provider = useNoble ? nobleProvider : native;
        const plaintext = pattern(n, n);
        const enc = await encryptAttachment(plaintext, key, { chunkSize: SMALL, provider });
        const dec = await decryptParts(enc.ciphertext, key, { digest: enc.digest, provider }, cuts);
        expect(dec.error).toBeUndefined();
        expect(bytesToHex(dec.out)).toBe(bytesToHex(plaintext));
        expect(dec.result).toEqual({ digest: enc.digest, size: n, encryptedSize: enc.ciphertext.length, chunkSize: SMALL });
      }),
      { numRuns: 60 },
    );
  });

  it('matches the reference implementation of PROTOCOL.md §10 for random sizes and chunk sizes', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, fc.constantFrom(SMALL, 1500, 4096), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (n, chunkSize, key) => {
        const salt = key.subarray(0, 16);
        const plaintext = pattern(n, 1);
        const ref = referenceEncryptV2(key, salt, chunkSize, plaintext);
        const enc = await encryptAttachment(plaintext, key, { chunkSize, salt, provider: native });
        expect(bytesToHex(enc.ciphertext)).toBe(bytesToHex(ref.ciphertext));
        expect(bytesToHex(enc.digest)).toBe(bytesToHex(ref.digest));
      }),
      { numRuns: 30 },
    );
  });

  // 1025 bytes in 1 KiB chunks pad to 4096: chunk 0 is data, chunk 1 holds the last data byte
  // then zeros, chunks 2 and 3 are padding only.
  const key = hexToBytes('a7'.repeat(32));
  const salt = hexToBytes('5a'.repeat(16));
  const plaintext = pattern(SMALL + 1, 9);
  const good = () => referenceEncryptV2(key, salt, SMALL, plaintext);

  it('the control stream decrypts, and the last data byte is released only once every chunk and the digest verified', async () => {
    const { ciphertext, digest, header, chunks } = good();
    expect(chunks).toHaveLength(4);
    const ok = await decryptParts(ciphertext, key, { digest });
    expect(ok.error).toBeUndefined();
    expect(bytesToHex(ok.out)).toBe(bytesToHex(plaintext));
    // Cut after the data chunks: at most chunk 0 came out, never the last byte.
    for (const upTo of [2, 3]) {
      const r = await decryptParts(concatBytes(header, ...chunks.slice(0, upTo)), key);
      expectCode(r.error, 'truncated');
      expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, 1);
    }
    const wrong = digest.slice();
    wrong[5]! ^= 1;
    const r = await decryptParts(ciphertext, key, { digest: wrong });
    expectCode(r.error, 'bad_mac');
    expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, 1);
  });

  it('a flipped bit in the sealed length fails bad_mac before any chunk is decrypted', async () => {
    const { ciphertext } = good();
    for (let at = 53; at < 77; at++) {
      const s = ciphertext.slice();
      s[at]! ^= 1 << (at % 8);
      const provider = countingProvider();
      const r = await decryptParts(s, key, { provider });
      expectCode(r.error, 'bad_mac');
      expect(r.out).toHaveLength(0);
      expect(provider.calls.open).toBe(1);
    }
  });

  it('a length re-sealed by the key holder fails: the whole header is every chunk\'s AAD', async () => {
    const { chunks } = good();
    for (const declared of [SMALL, SMALL + 2, 0, 4096]) {
      const forged = referenceEncryptV2(key, salt, SMALL, plaintext, { declared });
      const r = await decryptParts(concatBytes(forged.header, ...chunks), key);
      expectCode(r.error, 'bad_mac');
      expect(r.out).toHaveLength(0);
    }
  });

  it('a length that disagrees with the chunks: fewer chunks than it needs is truncated, more is malformed, data past it is bad_padding', async () => {
    const padded = (n: number) => concatBytes(plaintext, new Uint8Array(n - plaintext.length));
    // Declares 5000 bytes (5 chunks) but carries 4.
    let r = await decryptParts(referenceEncryptV2(key, salt, SMALL, plaintext, { declared: 5000, padded: padded(4096) }).ciphertext, key);
    expectCode(r.error, 'truncated');
    expect(r.out.length).toBeLessThanOrEqual(4 * SMALL);
    // Declares 1025 bytes (4 chunks) but carries 6.
    r = await decryptParts(referenceEncryptV2(key, salt, SMALL, plaintext, { padded: padded(6 * SMALL) }).ciphertext, key);
    expectCode(r.error, 'malformed');
    expect(r.out.length).toBeLessThanOrEqual(SMALL);
    // Declares 1000 bytes: bytes 1000..1024 are data where padding must be.
    r = await decryptParts(referenceEncryptV2(key, salt, SMALL, plaintext, { declared: 1000, padded: padded(4096) }).ciphertext, key);
    expectCode(r.error, 'bad_padding');
    expect(r.out).toHaveLength(0);
    // Declares more than 2^53 - 1 bytes.
    r = await decryptParts(referenceEncryptV2(key, salt, SMALL, plaintext, { declared: Number.MAX_SAFE_INTEGER + 1 }).ciphertext, key);
    expectCode(r.error, ['malformed', 'too_large']);
  });

  it('nonzero padding fails bad_padding, in the last data chunk or in a padding-only chunk, and the last data byte is never released', async () => {
    for (const at of [SMALL + 1, SMALL + 500, 2 * SMALL - 1, 2 * SMALL, 3 * SMALL + 77, 4 * SMALL - 1]) {
      const padded = concatBytes(plaintext, new Uint8Array(4096 - plaintext.length));
      padded[at] = 0x80;
      const r = await decryptParts(referenceEncryptV2(key, salt, SMALL, plaintext, { padded }).ciphertext, key);
      expectCode(r.error, 'bad_padding');
      expect(r.out.length).toBeLessThanOrEqual(SMALL);
    }
  });

  it('truncation anywhere is refused with a typed error: dropped padding chunks, a cut inside any chunk', async () => {
    const { ciphertext, header, chunks } = good();
    for (const upTo of [0, 1, 2, 3]) {
      const r = await decryptParts(concatBytes(header, ...chunks.slice(0, upTo)), key);
      expectCode(r.error, 'truncated');
      expect(r.out.length).toBeLessThanOrEqual(SMALL);
    }
    for (let cut = 0; cut < ciphertext.length; cut += 41) {
      const r = await decryptParts(ciphertext.subarray(0, cut), key, {}, [cut >> 1]);
      expectCode(r.error, ['truncated', 'bad_mac']);
      expect(r.out.length).toBeLessThanOrEqual(SMALL);
    }
    // A cut inside the last chunk is known to be one: the header says how long the stream is.
    const r = await decryptParts(ciphertext.subarray(0, ciphertext.length - 1), key);
    expectCode(r.error, 'truncated');
  });

  it('bytes after the last chunk are malformed', async () => {
    const { ciphertext, chunks } = good();
    for (const extra of [Uint8Array.of(0), chunks[3]!, new Uint8Array(PIECE + 1)]) {
      const r = await decryptParts(concatBytes(ciphertext, extra), key);
      expectCode(r.error, ['malformed', 'bad_mac']);
      expect(r.out.length).toBeLessThanOrEqual(SMALL);
    }
  });

  it('maxSize is checked against the true length, right after the header, before any chunk is decrypted', async () => {
    const { ciphertext } = good();
    const ok = await decryptParts(ciphertext, key, { maxSize: plaintext.length });
    expect(ok.error).toBeUndefined();
    const provider = countingProvider();
    const r = await decryptParts(ciphertext, key, { maxSize: plaintext.length - 1, provider });
    expectCode(r.error, 'too_large');
    expect(r.out).toHaveLength(0);
    expect(provider.calls.open).toBe(1); // the sealed length only
  });

  it('the encryptor refuses a stream that gives more or fewer bytes than its declared size', async () => {
    for (const [declared, parts] of [
      [10, [new Uint8Array(11)]],
      [10, [new Uint8Array(6), new Uint8Array(6)]],
      [10, [new Uint8Array(9)]],
      [0, [new Uint8Array(1)]],
      [3 * SMALL, [new Uint8Array(2 * SMALL)]],
    ] as const) {
      const r = await run(createAttachmentEncryptor({ size: declared, chunkSize: SMALL, provider: native }), [...parts]);
      expectCode(r.error, 'invalid_argument');
    }
  });

  it('padding chunks are made as the reader asks for them: a slow reader keeps the encryptor a few chunks ahead', async () => {
    // 2^16 + 1 bytes pad to 2^16 + 2^11 (Padmé keeps 5 bits here): 2 KiB of padding, with 1 KiB
    // chunks two padding-only chunks; 2^20 + 1 pads to 2^20 + 2^15: 31 padding-only chunks.
    const n = 2 ** 20 + 1;
    expect(paddedAttachmentSize(n)).toBe(2 ** 20 + 2 ** 15);
    const provider = countingProvider();
    const encryptor = createAttachmentEncryptor({ size: n, chunkSize: SMALL, provider });
    const writer = encryptor.writable.getWriter();
    const closed = writer.write(new Uint8Array(n)).then(() => writer.close());
    const reader = encryptor.readable.getReader();
    let reads = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      reads++;
      bytes += value.length;
      if (reads > 1030) {
        // Past the data: only a few padding chunks are sealed ahead of the reader.
        await new Promise((r) => setTimeout(r, 0));
        expect(provider.calls.seal - (reads - 1)).toBeLessThanOrEqual(3);
      }
    }
    await closed;
    expect(bytes).toBe(encryptedSize(n, SMALL));
    expect((await encryptor.done).encryptedSize).toBe(bytes);
  });
});

describe('stream v1 stays readable (unpadded, from before padding)', () => {
  const key = hexToBytes('3c'.repeat(32));
  const salt = hexToBytes('c3'.repeat(16));

  it('random sizes made by the reference implementation decrypt, with the digest and sizes reported', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6 * SMALL }), fc.array(fc.nat({ max: 7 * SMALL }), { maxLength: 6 }), async (n, cuts) => {
        const plaintext = pattern(n, 4);
        const v1 = referenceEncryptV1(key, salt, SMALL, plaintext);
        const r = await decryptParts(v1.ciphertext, key, { digest: v1.digest }, cuts);
        expect(r.error).toBeUndefined();
        expect(bytesToHex(r.out)).toBe(bytesToHex(plaintext));
        expect(r.result).toEqual({ digest: v1.digest, size: n, encryptedSize: v1.ciphertext.length, chunkSize: SMALL });
      }),
      { numRuns: 30 },
    );
  });

  it('a v1 stream still fails as before: any flipped bit, truncation, a wrong key, maxSize', async () => {
    const plaintext = pattern(2 * SMALL + 300, 8);
    const { ciphertext } = referenceEncryptV1(key, salt, SMALL, plaintext);
    for (let at = 0; at < ciphertext.length; at += 13) {
      const s = ciphertext.slice();
      s[at]! ^= 0x21;
      const r = await decryptParts(s, key);
      expectCode(r.error, ['bad_mac', 'wrong_key', 'malformed', 'unsupported_version', 'truncated']);
      expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, at < 53 ? 0 : Math.floor((at - 53) / PIECE));
    }
    expectCode((await decryptParts(ciphertext.subarray(0, 53 + 2 * PIECE), key)).error, 'truncated');
    expectCode((await decryptParts(ciphertext, generateAttachmentKey())).error, 'wrong_key');
    expectCode((await decryptParts(ciphertext, key, { maxSize: SMALL })).error, 'too_large');
  });

  it('the encryptor writes only v2', async () => {
    const { ciphertext } = await encryptAttachment(pattern(10), key, { provider: native });
    expect(ciphertext[0]).toBe(ATTACHMENT_VERSION);
    expect(ATTACHMENT_VERSION).toBe(2);
  });
});

describe('STREAM failures: typed errors, no unauthenticated plaintext', () => {
  const key = hexToBytes('5c'.repeat(32));
  // 3572 bytes pad to 4096: chunks 0..2 are data, chunk 3 has 500 bytes of data then zeros.
  const plaintext = pattern(3 * SMALL + 500, 3);
  let ct: Uint8Array;
  let digest: Uint8Array;
  let header: Uint8Array;
  let chunks: Uint8Array[];
  beforeAll(async () => {
    ({ ciphertext: ct, digest } = await encryptAttachment(plaintext, key, { chunkSize: SMALL, provider: native }));
    header = ct.subarray(0, ATTACHMENT_HEADER_LEN);
    chunks = [0, 1, 2, 3].map((i) => ct.subarray(ATTACHMENT_HEADER_LEN + i * PIECE, ATTACHMENT_HEADER_LEN + (i + 1) * PIECE));
    expect(ct).toHaveLength(ATTACHMENT_HEADER_LEN + 4 * PIECE);
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

  it('a duplicated chunk fails bad_mac or malformed', async () => {
    const [c0, c1, c2, c3] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    for (const s of [stream(c0, c0, c1, c2, c3), stream(c0, c1, c1, c2, c3), stream(c0, c1, c2, c3, c3)]) {
      const r = await decryptParts(s, key);
      // A chunk that does not open, or (duplicated last) more chunks than the length needs.
      expectCode(r.error, ['bad_mac', 'malformed']);
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
      expectCode(r.error, ['bad_mac', 'truncated', 'malformed']);
      expectOnlyAuthenticatedPrefix(r.out, plaintext, SMALL, 3);
    }
    // Also when the real last chunk is a full one.
    const full = await encryptAttachment(pattern(2 * SMALL), key, { chunkSize: SMALL, provider: native });
    for (const extra of [Uint8Array.of(0), full.ciphertext.subarray(ATTACHMENT_HEADER_LEN, ATTACHMENT_HEADER_LEN + PIECE)]) {
      const r = await decryptParts(concatBytes(full.ciphertext, extra), key);
      expectCode(r.error, ['bad_mac', 'truncated', 'malformed']);
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

  it('a tampered header fails: version, chunk size, salt, commitment, sealed length', async () => {
    const withHeader = (edit: (h: Uint8Array) => void): Uint8Array => {
      const s = ct.slice();
      edit(s.subarray(0, ATTACHMENT_HEADER_LEN));
      return s;
    };
    const setSize = (n: number) => withHeader((h) => new DataView(h.buffer, h.byteOffset).setUint32(1, n, false));
    const cases: [Uint8Array, ErrorCode | ErrorCode[]][] = [
      [withHeader((h) => (h[0] = 3)), 'unsupported_version'],
      [withHeader((h) => (h[0] = 0)), 'unsupported_version'],
      // Read as v1: same key commitment, then the sealed length is taken for chunk 0.
      [withHeader((h) => (h[0] = 1)), 'bad_mac'],
      [setSize(2 * SMALL), 'bad_mac'],
      [setSize(SMALL + 1), 'bad_mac'],
      [setSize(ATTACHMENT_MAX_CHUNK_SIZE), 'bad_mac'],
      [setSize(SMALL - 1), 'malformed'],
      [setSize(0), 'malformed'],
      [setSize(ATTACHMENT_MAX_CHUNK_SIZE + 1), 'malformed'],
      [setSize(0xffffffff), 'malformed'],
      [withHeader((h) => (h[5]! ^= 1)), 'wrong_key'],
      [withHeader((h) => (h[52]! ^= 0x80)), 'wrong_key'],
      [withHeader((h) => (h[53]! ^= 0x01)), 'bad_mac'],
      [withHeader((h) => (h[ATTACHMENT_HEADER_LEN - 1]! ^= 0x80)), 'bad_mac'],
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

  it('every byte position, flipped, is rejected (exhaustive, on a 1,034-byte file: two chunks of data, two of padding)', async () => {
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
        const enc = await runReusing(createAttachmentEncryptor({ size: n, key, chunkSize: SMALL, salt, provider }), parts, transfer);
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
    const reader = source.pipeThrough(createAttachmentEncryptor({ size: 1000 * SMALL, chunkSize: SMALL, provider: native })).getReader();
    const settle = () => new Promise((r) => setTimeout(r, 30));
    for (let reads = 1; reads <= 12; reads++) {
      await reader.read();
      await settle();
      // Each read lets one more chunk in; at most 2 are being encrypted (ATTACHMENT_MAX_IN_FLIGHT), plus
      // the one held back and one in each stream queue.
      expect(pulled - reads).toBeLessThanOrEqual(6);
    }
    await reader.cancel();
  });

  it('passes its error to done and to both sides; nothing is emitted after it', async () => {
    const enc = createAttachmentEncryptor({ size: 20, provider: native });
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
      { size: undefined },
      { size: -1 },
      { size: 1.5 },
      { size: '10' },
    ];
    for (const options of bad) {
      expect(() => createAttachmentEncryptor({ size: 10, ...options } as never), JSON.stringify(options)).toThrow(
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
