/**
 * Attachment encryption (ARCHITECTURE.md, boundary 7; PROTOCOL.md §10): a file is encrypted on
 * the device under a fresh 32-byte key, in fixed-size chunks, with the STREAM construction of
 * Hoang, Reyhanitabar, Rogaway and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
 * Misuse-Resistance" (CRYPTO 2015) over AES-256-GCM (NIST SP 800-38D), padded to a size bucket.
 * Encryption and decryption are WHATWG `TransformStream`s, so a 200 MB file streams through in
 * bounded memory, in Node and in the browser alike. The key and the digest travel inside the
 * (ratchet-encrypted) message; the relay stores only the opaque stream.
 *
 * Stream v2 (written and read) = header || chunk_0 || … || chunk_{n-1}, integers big-endian:
 *
 *   header (77 bytes) = version u8 (ATTACHMENT_VERSION = 0x02)
 *                    || chunkSize u32 (ATTACHMENT_MIN_CHUNK_SIZE..ATTACHMENT_MAX_CHUNK_SIZE,
 *                       default ATTACHMENT_CHUNK_SIZE = 262144)
 *                    || salt (16 random bytes)
 *                    || commitment (32 bytes)
 *                    || sealedLength (24 bytes)
 *
 *   Per-stream values, HKDF-SHA-256 (RFC 5869) with ikm = file key, salt = header salt:
 *     okm        = HKDF(key, salt, info = utf8(LABEL.attachmentKey), 39 bytes)
 *     aesKey     = okm[0..32]          noncePrefix = okm[32..39]  (7 bytes)
 *     commitment = HKDF(key, salt, info = utf8(LABEL.attachmentCommitment), 32 bytes)
 *
 *   sealedLength = AES-256-GCM(aesKey, noncePrefix || 0 as u32 || 0x02, size as u64,
 *                              aad = header[0..53])               (the file's true byte count)
 *   padded       = plaintext || zeros, to P = max(ATTACHMENT_PAD_MIN, Padmé(size)) bytes
 *                  (`paddedAttachmentSize`; Padmé as for messages, padding.ts)
 *   chunk_i      = AES-256-GCM(aesKey, nonce_i, padded_i, aad = header (all 77 bytes))
 *   nonce_i      = noncePrefix (7) || i as u32 (4) || last (1: 0x01 for chunk_{n-1}, else 0x00)
 *
 *   padded_i is exactly chunkSize bytes except the last, which has 1..chunkSize;
 *   n = ceil(P / chunkSize) ≤ ATTACHMENT_MAX_CHUNKS. Encrypted size = 77 + P + 16·n
 *   (`encryptedSize`): a function of the bucket P, so every file in a bucket looks alike.
 *
 *   digest = SHA-256(utf8(LABEL.attachmentDigest) || header || SHA-256(chunk_0) || … || SHA-256(chunk_{n-1}))
 *   over the ciphertext chunks (tag included). Hashing per chunk lets the native SHA-256 of
 *   WebCrypto do the bulk work, several chunks at once, with only 32 bytes per chunk left for
 *   the pure-JS outer hash. It is collision resistant like a plain hash of the stream: the
 *   label, header length and per-chunk hash length are fixed and the chunk boundaries are
 *   fixed by the header.
 *
 * Stream v1 (read, never written: streams sent before padding) is the same without padding:
 * a 53-byte header (version 0x01, no sealed length) that is every chunk's AAD, plaintext cut
 * straight into chunks (the last 0..chunkSize bytes, n = max(1, ceil(size / chunkSize))), and
 * the same digest over its 53-byte header. Its size is 53 + size + 16·n: the exact file size.
 *
 * Why each part is there:
 * - The last-flag and the counter in the nonce are STREAM itself: reordering, dropping,
 *   duplicating or truncating chunks, or appending after the last chunk, changes some nonce
 *   and fails a tag.
 * - The header is every chunk's AAD, so a changed version, chunk size or sealed length fails
 *   (the sealed length itself first: its own tag covers the fixed part).
 * - The length is sealed in the header, not in a trailer, so the decryptor knows before any
 *   chunk how many chunks and which bytes are file and which padding: it can refuse a file over
 *   `maxSize` at once, tell a short stream (`truncated`) from a long one (`malformed`), and
 *   stream out the file without holding back possible padding. It is sealed rather than
 *   plain because the relay must see only the bucket. The price: the encryptor must be told the
 *   size up front (`File.size`), and refuses a stream that gives more or fewer bytes.
 * - Padding bytes must be zero (`bad_padding` otherwise): one plaintext, one stream per key and
 *   salt, and no room for a sender to hide data the recipient never sees.
 * - The commitment makes the stream key-committing: AES-GCM alone lets whoever knows two keys
 *   craft one ciphertext that decrypts under both ("invisible salamanders": Dodis, Grubbs,
 *   Ristenpart, Woodage, CRYPTO 2018; Albertini et al., USENIX Security 2022). Only the key
 *   that yields this commitment opens the stream, and a wrong key is reported as `wrong_key`
 *   before anything is decrypted.
 * - The digest binds the message to one exact blob even against the key holder (who could
 *   otherwise encrypt two different files under the same key and salt).
 * - The random salt gives every stream its own AES key and nonce prefix, so re-sending a file
 *   under the same file key never repeats a (key, nonce) pair. The sealed length's nonce ends
 *   in 0x02, which no chunk nonce does.
 *
 * Decryption never emits a chunk's plaintext before its tag has verified (and, in v2, its
 * padding has been checked), holds back the chunk with the file's last byte until every chunk
 * and the digest (when given) have verified, and emits nothing after an error. A consumer must
 * still treat the output as complete only when the stream closes without error: a truncated
 * stream fails at its end, after the chunks before the cut were emitted.
 *
 * Speed and memory: each chunk costs one AES-GCM call, through a key handle set up once per
 * stream (`CryptoProvider.aesGcmKey`), and one SHA-256 call; WebCrypto runs both off the main
 * thread, so up to ATTACHMENT_MAX_IN_FLIGHT (consts.ts) chunks are in flight at once. A chunk
 * lying whole inside one write goes to the provider as a view of it (no copy); only the piece
 * held back at the end of a write is copied. Output order is preserved, and `transform` waits for the oldest chunk
 * before taking more input, so memory stays at a few chunks whatever the file size and the
 * stream's backpressure passes through. The padding-only chunks after the file (up to
 * 1/2^(⌊log2 E⌋+1) of it, E = ⌊log2 size⌋: 4 MiB for 200 MiB) are sealed one per read of the
 * output, so a slow reader holds them back too. Measured costs and the chunk size trade-off:
 * consts.ts.
 *
 * Does not: hide the size bucket (the relay sees the encrypted size), carry a file name or
 * MIME type (those go in the message), or decide what a safe file is to open.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  AES_GCM_NONCE_LEN,
  AES_GCM_TAG_LEN,
  ATTACHMENT_CHUNK_SIZE,
  ATTACHMENT_COMMITMENT_LEN,
  ATTACHMENT_DIGEST_LEN,
  ATTACHMENT_MAX_CHUNKS,
  ATTACHMENT_MAX_CHUNK_SIZE,
  ATTACHMENT_MAX_IN_FLIGHT,
  ATTACHMENT_MIN_CHUNK_SIZE,
  ATTACHMENT_PAD_MIN,
  ATTACHMENT_SALT_LEN,
  ATTACHMENT_VERSION,
  KEY_LEN,
  LABEL,
} from './consts.ts';
import { abytes, concat, utf8, wipe } from './_bytes.ts';
import { equalBytes } from './bytes.ts';
import { ConfidantError, fail } from './errors.ts';
import { padme } from './padding.ts';
import { getProvider, randomBytes, type AeadKey, type CryptoProvider } from './provider.ts';

/** The file's byte count as a u64 (8) under its own AES-GCM tag (16). */
export const ATTACHMENT_SEALED_LENGTH_LEN = 8 + AES_GCM_TAG_LEN;
/** version (1) + chunk size (4) + salt (16) + commitment (32): the whole v1 header, the first part of v2's. */
const FIXED_HEADER_LEN = 1 + 4 + ATTACHMENT_SALT_LEN + ATTACHMENT_COMMITMENT_LEN;
/** The v2 header: the fixed part (53) and the sealed length (24). */
export const ATTACHMENT_HEADER_LEN = FIXED_HEADER_LEN + ATTACHMENT_SEALED_LENGTH_LEN;

/** The unpadded format from before ATTACHMENT_VERSION 2: still read, never written. */
const VERSION_1 = 1;
/** Nonce = 7-byte prefix || u32 counter || 1-byte flag (12 bytes, the GCM standard size). */
const NONCE_PREFIX_LEN = AES_GCM_NONCE_LEN - 4 - 1;
/** Nonce flags: a middle chunk, the last chunk, the sealed length (v2; with counter 0). */
const FLAG_MIDDLE = 0;
const FLAG_LAST = 1;
const FLAG_LENGTH = 2;

const DIGEST_PREFIX = utf8.encode(LABEL.attachmentDigest);
const INFO_KEY = utf8.encode(LABEL.attachmentKey);
const INFO_COMMITMENT = utf8.encode(LABEL.attachmentCommitment);

/** What an encryptor reports once its stream has flushed. */
export interface AttachmentEncryptResult {
  /** The file key (generated, unless one was passed in). Sent inside the message. */
  readonly key: Uint8Array;
  /** The attachment digest (see the module doc). Sent inside the message. */
  readonly digest: Uint8Array;
  /** Plaintext bytes (the file, without padding). */
  readonly size: number;
  /** Bytes of the encrypted stream, header included; equals `encryptedSize(size, chunkSize)`. */
  readonly encryptedSize: number;
}

/** What a decryptor reports once its stream has flushed and every check passed. */
export interface AttachmentDecryptResult {
  /** The digest computed over the stream (equal to the expected one, when one was given). */
  readonly digest: Uint8Array;
  /** Plaintext bytes (the file, without padding). */
  readonly size: number;
  readonly encryptedSize: number;
  readonly chunkSize: number;
}

export interface AttachmentEncryptOptions {
  /**
   * Plaintext bytes the stream will carry (`File.size`). Sealed in the header before the first
   * byte is read; a stream that gives more or fewer fails `invalid_argument`.
   */
  readonly size: number;
  /** The file key; a fresh one is generated when absent (the normal case). */
  readonly key?: Uint8Array;
  /** Plaintext bytes per chunk, ATTACHMENT_MIN_CHUNK_SIZE..ATTACHMENT_MAX_CHUNK_SIZE. */
  readonly chunkSize?: number;
  /** Defaults to `getProvider()`. */
  readonly provider?: CryptoProvider;
  /**
   * Tests and known-answer vectors only: fixes the header salt. Never set it otherwise: a salt
   * reused under one key repeats the AES key and nonces (which is fatal to GCM).
   */
  readonly salt?: Uint8Array;
}

export interface AttachmentDecryptOptions {
  /** The digest from the message. When given, a stream with another digest fails `bad_mac`. */
  readonly digest?: Uint8Array;
  /**
   * Most plaintext bytes accepted; more fails `too_large` before the excess is decrypted (v2:
   * right after the header, before any chunk).
   */
  readonly maxSize?: number;
  /** Defaults to `getProvider()`. */
  readonly provider?: CryptoProvider;
}

/**
 * A transform (pass it to `ReadableStream.pipeThrough`) plus the outcome: `done` resolves after
 * the readable side has received everything, and rejects with the stream's error.
 */
export interface AttachmentTransform<R> extends ReadableWritablePair<Uint8Array, Uint8Array> {
  readonly done: Promise<R>;
}

export interface AttachmentEncryptor extends AttachmentTransform<AttachmentEncryptResult> {
  /** The file key, known before any byte is written. */
  readonly key: Uint8Array;
}

/** A fresh 32-byte file key. */
export function generateAttachmentKey(): Uint8Array {
  return randomBytes(KEY_LEN);
}

function achunkSize(value: unknown, name: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < ATTACHMENT_MIN_CHUNK_SIZE ||
    value > ATTACHMENT_MAX_CHUNK_SIZE
  ) {
    throw fail(
      'invalid_argument',
      `${name} must be an integer in [${ATTACHMENT_MIN_CHUNK_SIZE}, ${ATTACHMENT_MAX_CHUNK_SIZE}], got ${String(value)}`,
    );
  }
  return value;
}

function asize(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw fail('invalid_argument', `${name} must be a non-negative safe integer, got ${String(value)}`);
  }
  return value;
}

function aprovider(value: unknown): CryptoProvider | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as CryptoProvider).aesGcmKey !== 'function') {
    throw fail('invalid_argument', `provider must be a CryptoProvider, got ${value === null ? 'null' : typeof value}`);
  }
  return value as CryptoProvider;
}

/**
 * The padded size of a file of `size` bytes, the bucket the relay sees (PROTOCOL.md §10):
 * max(ATTACHMENT_PAD_MIN, Padmé(size)). Always a Padmé value itself.
 */
export function paddedAttachmentSize(size: number): number {
  return Math.max(ATTACHMENT_PAD_MIN, padme(asize(size, 'size')));
}

/** Where a v2 stream's bytes go, all fixed by the file size and the chunk size. */
interface Layout {
  /** File bytes. */
  readonly size: number;
  /** File plus padding: the bucket. */
  readonly padded: number;
  /** Chunks n = ceil(padded / chunkSize). */
  readonly chunks: number;
  /** Index of the chunk holding the file's last byte; -1 for an empty file. */
  readonly lastDataChunk: number;
  /** Encrypted stream bytes, header included. */
  readonly total: number;
}

/** The layout of a v2 stream; `too_large` past ATTACHMENT_MAX_CHUNKS chunks (or 2^53 bytes). */
function layout(size: number, chunkSize: number): Layout {
  const padded = paddedAttachmentSize(size);
  const chunks = Math.ceil(padded / chunkSize);
  const total = ATTACHMENT_HEADER_LEN + padded + chunks * AES_GCM_TAG_LEN;
  if (chunks > ATTACHMENT_MAX_CHUNKS || !Number.isSafeInteger(total)) {
    throw fail('too_large', `${size} bytes pad to ${padded}, ${chunks} chunks of ${chunkSize}; limit ${ATTACHMENT_MAX_CHUNKS}`);
  }
  return { size, padded, chunks, lastDataChunk: size === 0 ? -1 : Math.floor((size - 1) / chunkSize), total };
}

/** Plaintext bytes of (padded) chunk `index` in a v2 stream. */
const chunkPlaintextLen = (plan: Layout, chunkSize: number, index: number): number =>
  Math.min(chunkSize, plan.padded - index * chunkSize);

/**
 * Exact byte length of the encrypted stream for a file of `plaintextSize` bytes:
 * 77 + P + 16 · ceil(P / chunkSize), with P = `paddedAttachmentSize(plaintextSize)`.
 * Throws `too_large` past ATTACHMENT_MAX_CHUNKS chunks (or past 2^53 bytes).
 */
export function encryptedSize(plaintextSize: number, chunkSize: number = ATTACHMENT_CHUNK_SIZE): number {
  asize(plaintextSize, 'plaintextSize');
  return layout(plaintextSize, achunkSize(chunkSize, 'chunkSize')).total;
}

interface StreamKeys {
  readonly aesKey: Uint8Array;
  readonly noncePrefix: Uint8Array;
  readonly commitment: Uint8Array;
}

/** The per-stream AES key, nonce prefix and key commitment (module doc, "Per-stream values"). */
function deriveStreamKeys(key: Uint8Array, salt: Uint8Array): StreamKeys {
  const okm = hkdf(sha256, key, salt, INFO_KEY, KEY_LEN + NONCE_PREFIX_LEN);
  const commitment = hkdf(sha256, key, salt, INFO_COMMITMENT, ATTACHMENT_COMMITMENT_LEN);
  return { aesKey: okm.subarray(0, KEY_LEN), noncePrefix: okm.subarray(KEY_LEN), commitment };
}

function chunkNonce(prefix: Uint8Array, counter: number, flag: number): Uint8Array {
  const nonce = new Uint8Array(AES_GCM_NONCE_LEN);
  nonce.set(prefix);
  nonce[NONCE_PREFIX_LEN] = counter >>> 24;
  nonce[NONCE_PREFIX_LEN + 1] = counter >>> 16;
  nonce[NONCE_PREFIX_LEN + 2] = counter >>> 8;
  nonce[NONCE_PREFIX_LEN + 3] = counter;
  nonce[AES_GCM_NONCE_LEN - 1] = flag;
  return nonce;
}

/** Refuses chunk index `counter` once the stream would exceed ATTACHMENT_MAX_CHUNKS chunks. */
function checkCounter(counter: number): void {
  if (counter >= ATTACHMENT_MAX_CHUNKS) {
    throw fail('too_large', `chunk ${counter} exceeds the limit of ${ATTACHMENT_MAX_CHUNKS} chunks`);
  }
}

/** One chunk's work, started: its index, its output bytes and the SHA-256 of its ciphertext. */
interface ChunkJob {
  readonly index: number;
  readonly output: Promise<Uint8Array>;
  readonly ciphertextHash: Promise<Uint8Array>;
}

/**
 * Chunks in flight, oldest first. Each promise gets a no-op rejection handler when it is queued
 * so that a later chunk failing while an earlier one is awaited is not an unhandled rejection;
 * the failure still surfaces, in order, when that chunk is taken.
 */
class InFlight {
  private readonly queue: ChunkJob[] = [];
  push(job: ChunkJob): void {
    job.output.catch(() => {});
    job.ciphertextHash.catch(() => {});
    this.queue.push(job);
  }
  /** ATTACHMENT_MAX_IN_FLIGHT reached: the oldest must be taken before another chunk starts. */
  get full(): boolean {
    return this.queue.length >= ATTACHMENT_MAX_IN_FLIGHT;
  }
  get size(): number {
    return this.queue.length;
  }
  take(): ChunkJob {
    return this.queue.shift()!;
  }
}

/** A promise whose rejection is observed, so that callers who never look at it see no warning. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * Cuts a byte stream into pieces of `pieceSize` bytes, and holds the newest full piece back
 * until more bytes arrive, so that the piece left at the end of input is known to be the last.
 *
 * A piece that lies whole inside one write and has more bytes after it there is passed on as a
 * view of that write, without a copy: the provider reads its input before the call returns
 * (`AeadKey`), within the same `transform` call. Pieces spread over writes are assembled in a
 * buffer of our own. The held piece outlives its `transform` call, and the writer may refill
 * or transfer its buffer once its write has resolved, so a held view is copied (our own buffer
 * is not refilled before the held piece is passed on).
 */
class Slicer {
  private buf: Uint8Array | undefined;
  private fill = 0;
  private held: Uint8Array | undefined;
  private heldBuf: Uint8Array | undefined;
  constructor(private readonly pieceSize: number) {}
  /** Bytes of an incomplete piece (0..pieceSize-1). */
  get length(): number {
    return this.fill;
  }
  /**
   * Cuts `input` (non-empty) and calls `piece` for each piece now known not to be the last: the
   * one held from before (more bytes have come), then every full piece but one ending `input`.
   */
  async cut(input: Uint8Array, piece: (p: Uint8Array) => Promise<void>): Promise<void> {
    if (this.held) {
      const held = this.held;
      this.held = undefined;
      await piece(held);
    }
    const size = this.pieceSize;
    let offset = 0;
    while (offset < input.length) {
      let full: Uint8Array;
      if (this.fill === 0 && input.length - offset >= size) {
        full = input.subarray(offset, offset + size);
        offset += size;
      } else {
        this.buf ??= new Uint8Array(size);
        const n = Math.min(size - this.fill, input.length - offset);
        this.buf.set(input.subarray(offset, offset + n), this.fill);
        this.fill += n;
        offset += n;
        if (this.fill < size) return;
        this.fill = 0;
        full = this.buf;
      }
      if (offset < input.length) {
        await piece(full);
      } else if (full === this.buf) {
        this.held = full;
      } else {
        this.heldBuf ??= new Uint8Array(size);
        this.heldBuf.set(full);
        this.held = this.heldBuf;
      }
    }
  }
  /** At the end of input: the held full piece, else the incomplete rest (0..pieceSize-1 bytes). */
  last(): Uint8Array {
    return this.held ?? (this.buf ? this.buf.subarray(0, this.fill) : new Uint8Array(0));
  }
  wipe(): void {
    this.buf?.fill(0);
    this.heldBuf?.fill(0);
  }
}

const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), false);
  return b;
};

/**
 * An encrypting transform: plaintext bytes in (any chunking, exactly `options.size` of them),
 * the encrypted stream (v2) out. `key` is available at once; `done` gives the digest and sizes
 * after the last byte has been read from `readable`.
 *
 * The file's chunks come from a `TransformStream`; the padding-only chunks after them come from
 * the readable side's `pull`, one per read, because a `flush` cannot wait for the reader and
 * would queue them all at once.
 */
export function createAttachmentEncryptor(options: AttachmentEncryptOptions): AttachmentEncryptor {
  if (typeof options !== 'object' || options === null) throw fail('invalid_argument', 'options must be an object with a size');
  const size = asize(options.size, 'size');
  const key = options.key === undefined ? generateAttachmentKey() : abytes(options.key, KEY_LEN, 'key');
  const chunkSize = options.chunkSize === undefined ? ATTACHMENT_CHUNK_SIZE : achunkSize(options.chunkSize, 'chunkSize');
  const salt = options.salt === undefined ? randomBytes(ATTACHMENT_SALT_LEN) : abytes(options.salt, ATTACHMENT_SALT_LEN, 'salt');
  const givenProvider = aprovider(options.provider);
  const plan = layout(size, chunkSize);

  const { aesKey, noncePrefix, commitment } = deriveStreamKeys(key, salt);
  // The sealed length (the last 24 bytes) is filled in once the AES key handle exists.
  const header = new Uint8Array(ATTACHMENT_HEADER_LEN);
  header[0] = ATTACHMENT_VERSION;
  new DataView(header.buffer).setUint32(1, chunkSize, false);
  header.set(salt, 5);
  header.set(commitment, 5 + ATTACHMENT_SALT_LEN);

  const digest = sha256.create().update(DIGEST_PREFIX);
  const inFlight = new InFlight();
  const slicer = new Slicer(chunkSize);
  const result = deferred<AttachmentEncryptResult>();
  let provider!: CryptoProvider;
  let aead!: AeadKey;
  let counter = 0;
  let received = 0;
  let outSize = 0;
  let zeros: Uint8Array | undefined;

  const dispatch = (plaintext: Uint8Array): void => {
    checkCounter(counter);
    const index = counter++;
    const flag = index === plan.chunks - 1 ? FLAG_LAST : FLAG_MIDDLE;
    const output = aead.encrypt(chunkNonce(noncePrefix, index, flag), plaintext, header);
    inFlight.push({ index, output, ciphertextHash: output.then((ct) => provider.sha256(ct)) });
  };
  const emitOldest = async (controller: TransformStreamDefaultController<Uint8Array>): Promise<void> => {
    const job = inFlight.take();
    const output = await job.output;
    digest.update(await job.ciphertextHash);
    outSize += output.length;
    controller.enqueue(output);
  };
  const cleanup = (): void => {
    wipe(aesKey, noncePrefix);
    slicer.wipe();
  };
  const failed = (e: unknown): never => {
    cleanup();
    result.reject(e);
    throw e;
  };

  const data = new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      try {
        provider = givenProvider ?? (await getProvider());
        aead = await provider.aesGcmKey(aesKey);
        const fixed = header.subarray(0, FIXED_HEADER_LEN);
        header.set(await aead.encrypt(chunkNonce(noncePrefix, 0, FLAG_LENGTH), u64(size), fixed), FIXED_HEADER_LEN);
        digest.update(header);
        outSize += header.length;
        controller.enqueue(header.slice());
      } catch (e) {
        failed(e);
      }
    },
    async transform(input, controller) {
      try {
        abytes(input, undefined, 'chunk');
        if (input.length === 0) return;
        if (input.length > size - received) {
          throw fail('invalid_argument', `the stream gives more than its declared size of ${size} bytes`);
        }
        received += input.length;
        await slicer.cut(input, async (piece) => {
          // More file bytes follow this piece, so it is neither the file's last nor the stream's.
          dispatch(piece);
          while (inFlight.full) await emitOldest(controller);
        });
      } catch (e) {
        failed(e);
      }
    },
    async flush(controller) {
      try {
        if (received !== size) throw fail('invalid_argument', `the stream gave ${received} bytes, its declared size is ${size}`);
        // The chunk with the file's end: the rest of the file, then zeros to its padded length.
        const rest = slicer.last();
        const len = chunkPlaintextLen(plan, chunkSize, counter);
        const piece = len === rest.length ? rest : new Uint8Array(len);
        if (piece !== rest) piece.set(rest);
        dispatch(piece);
        while (inFlight.size > 0) await emitOldest(controller);
        if (piece !== rest) piece.fill(0);
      } catch (e) {
        failed(e);
      }
    },
  });

  // The padding-only chunks, one per read, then the end.
  const reader = data.readable.getReader();
  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await reader.read();
          if (!next.done) return controller.enqueue(next.value);
          if (counter < plan.chunks) {
            zeros ??= new Uint8Array(chunkSize);
            const index = counter;
            dispatch(zeros.subarray(0, chunkPlaintextLen(plan, chunkSize, index)));
            const job = inFlight.take();
            const output = await job.output;
            digest.update(await job.ciphertextHash);
            outSize += output.length;
            return controller.enqueue(output);
          }
          cleanup();
          result.resolve({ key, digest: digest.digest(), size, encryptedSize: outSize });
          controller.close();
        } catch (e) {
          failed(e);
        }
      },
      async cancel(reason) {
        cleanup();
        result.reject(reason);
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { readable, writable: data.writable, key, done: result.promise };
}

/** The fixed part of a header (all of v1's), parsed. */
interface Header {
  readonly chunkSize: number;
  readonly salt: Uint8Array;
  readonly commitment: Uint8Array;
}

/** Checks what the first `have` bytes of a header allow; parses the fixed part once all 53 are there. */
function checkHeader(buf: Uint8Array, have: number): Header | undefined {
  if (have < 5) return undefined;
  const chunkSize = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1, false);
  if (chunkSize < ATTACHMENT_MIN_CHUNK_SIZE || chunkSize > ATTACHMENT_MAX_CHUNK_SIZE) {
    throw fail(
      'malformed',
      `attachment chunk size ${chunkSize} outside [${ATTACHMENT_MIN_CHUNK_SIZE}, ${ATTACHMENT_MAX_CHUNK_SIZE}]`,
    );
  }
  if (have < FIXED_HEADER_LEN) return undefined;
  return {
    chunkSize,
    salt: buf.subarray(5, 5 + ATTACHMENT_SALT_LEN),
    commitment: buf.subarray(5 + ATTACHMENT_SALT_LEN, FIXED_HEADER_LEN),
  };
}

/**
 * A decrypting transform: an encrypted stream (v2, or v1 from before padding) in, any chunking;
 * the file out, without its padding. Plaintext of a chunk is emitted only after its tag verified
 * and its padding (v2) was all zeros; the chunk with the file's last byte only after every chunk
 * and the digest. Errors (all ConfidantError):
 * - `truncated`: the stream ends inside its header, or before its last chunk (v1: at a chunk
 *   boundary or with less than a tag left; a cut inside a v1 chunk is `bad_mac`);
 * - `unsupported_version`; `malformed`: chunk size out of range, a sealed length over 2^53 - 1,
 *   or (v2) bytes after the last chunk the sealed length allows;
 * - `wrong_key`: commitment mismatch, before anything is decrypted;
 * - `bad_mac`: the sealed length, any chunk or the digest fails;
 * - `bad_padding`: (v2) a nonzero byte after the file's end;
 * - `too_large`: over `maxSize` (v2: from the sealed length, before any chunk).
 */
export function createAttachmentDecryptor(
  key: Uint8Array,
  options: AttachmentDecryptOptions = {},
): AttachmentTransform<AttachmentDecryptResult> {
  abytes(key, KEY_LEN, 'key');
  const expected = options.digest === undefined ? undefined : abytes(options.digest, ATTACHMENT_DIGEST_LEN, 'digest');
  const maxSize = options.maxSize === undefined ? Number.MAX_SAFE_INTEGER : asize(options.maxSize, 'maxSize');
  const givenProvider = aprovider(options.provider);

  let provider!: CryptoProvider;
  const headerBuf = new Uint8Array(ATTACHMENT_HEADER_LEN);
  let headerFill = 0;
  /** 53 (v1) or 77 (v2), once the version byte is in. */
  let headerLen = 0;
  /** The whole header, every chunk's AAD; set once it is read and checked. */
  let aad: Uint8Array | undefined;
  let keys: StreamKeys | undefined;
  let aead!: AeadKey;
  let slicer!: Slicer;
  let chunkSize = 0;
  /** v2 only: where every byte goes, from the sealed length. */
  let plan: Layout | undefined;
  /** The chunk with the file's last byte, held back until the end; its index (v1: set at the end). */
  let holdIndex = -1;
  let held: Uint8Array | undefined;
  const digest = sha256.create().update(DIGEST_PREFIX);
  const inFlight = new InFlight();
  const result = deferred<AttachmentDecryptResult>();
  let counter = 0;
  let size = 0;
  let inSize = 0;

  const open = (piece: Uint8Array, index: number, last: boolean): Promise<Uint8Array> => {
    const { noncePrefix } = keys!;
    return aead.decrypt(chunkNonce(noncePrefix, index, last ? FLAG_LAST : FLAG_MIDDLE), piece, aad!).catch(async (e: unknown) => {
      // v1: a full-size final piece that opens as a *middle* chunk means the real last chunk is
      // missing: report the truncation as such. Its plaintext is never released. (The final
      // piece sits in a buffer of our own, so these are still the bytes that failed.) v2 knows
      // its chunk count from the sealed length and never gets here with a short stream.
      if (!plan && last && ConfidantError.is(e, 'bad_mac') && piece.length === chunkSize + AES_GCM_TAG_LEN) {
        const asMiddle = await aead.decrypt(chunkNonce(noncePrefix, index, FLAG_MIDDLE), piece, aad!).then(
          (pt) => (wipe(pt), true),
          () => false,
        );
        if (asMiddle) throw fail('truncated', `attachment stream ends after chunk ${index} without its last chunk`);
      }
      throw ConfidantError.is(e, 'bad_mac') ? fail('bad_mac', `attachment chunk ${index} failed authentication`) : e;
    });
  };
  /** v2: the stream's shape against its sealed length, before the piece is decrypted. */
  const checkShape = (p: Layout, piece: Uint8Array, last: boolean): void => {
    if (!last) {
      if (counter >= p.chunks - 1) throw fail('malformed', `attachment stream goes on after its last chunk (${p.chunks} for ${p.size} bytes)`);
      return;
    }
    if (counter < p.chunks - 1) {
      throw fail('truncated', `attachment stream ends after ${counter + 1} of its ${p.chunks} chunks`);
    }
    const want = chunkPlaintextLen(p, chunkSize, counter) + AES_GCM_TAG_LEN;
    if (piece.length < want) throw fail('truncated', `attachment stream ends ${piece.length} bytes into its last chunk of ${want}`);
    if (piece.length > want) throw fail('malformed', `attachment stream goes on after its last chunk (${p.chunks} for ${p.size} bytes)`);
  };
  const dispatch = (piece: Uint8Array, last: boolean): void => {
    checkCounter(counter);
    if (plan) {
      checkShape(plan, piece, last);
    } else {
      const plaintextLen = piece.length - AES_GCM_TAG_LEN;
      if (size + plaintextLen > maxSize) {
        throw fail('too_large', `attachment exceeds ${maxSize} bytes at chunk ${counter}`);
      }
      size += plaintextLen;
    }
    inSize += piece.length;
    const index = counter++;
    // Both calls read `piece` before returning: the bytes hashed are the bytes opened.
    inFlight.push({ index, output: open(piece, index, last), ciphertextHash: provider.sha256(piece) });
  };
  /** Takes the oldest chunk: its file bytes are emitted, or held back if they end the file. */
  const deliverOldest = async (controller: TransformStreamDefaultController<Uint8Array>): Promise<void> => {
    const job = inFlight.take();
    let output = await job.output;
    digest.update(await job.ciphertextHash);
    if (plan) {
      // v2: bytes past the file's end are padding, and must be zero.
      const fileBytes = Math.max(0, Math.min(output.length, plan.size - job.index * chunkSize));
      for (let i = fileBytes; i < output.length; i++) {
        if (output[i] !== 0) {
          wipe(output);
          throw fail('bad_padding', `attachment chunk ${job.index} has a nonzero padding byte at ${i}`);
        }
      }
      output = output.subarray(0, fileBytes);
    }
    if (job.index === holdIndex) held = output;
    else if (output.length > 0) controller.enqueue(output);
  };
  const cleanup = (): void => {
    if (keys) wipe(keys.aesKey, keys.noncePrefix);
    slicer?.wipe();
  };
  const failed = (e: unknown): never => {
    cleanup();
    if (held) wipe(held);
    result.reject(e);
    throw e;
  };

  /** v2: opens the sealed length and lays the stream out; refuses it over `maxSize`. */
  const readLength = async (): Promise<void> => {
    const sealed = headerBuf.subarray(FIXED_HEADER_LEN, ATTACHMENT_HEADER_LEN);
    const bytes = await aead.decrypt(chunkNonce(keys!.noncePrefix, 0, FLAG_LENGTH), sealed, headerBuf.subarray(0, FIXED_HEADER_LEN)).catch((e: unknown) => {
      throw ConfidantError.is(e, 'bad_mac') ? fail('bad_mac', 'attachment length failed authentication') : e;
    });
    const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, false);
    if (declared > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('malformed', `attachment length ${declared} is over 2^53 - 1`);
    const length = Number(declared);
    if (length > maxSize) throw fail('too_large', `attachment is ${length} bytes, limit ${maxSize}`);
    plan = layout(length, chunkSize);
    holdIndex = plan.lastDataChunk;
  };

  /** Consumes header bytes from `input`; returns how many it took. */
  const readHeader = async (input: Uint8Array): Promise<number> => {
    if (headerFill === 0 && input.length > 0) {
      if (input[0] !== VERSION_1 && input[0] !== ATTACHMENT_VERSION) {
        throw fail('unsupported_version', `attachment stream version ${input[0]}, expected ${ATTACHMENT_VERSION} (or ${VERSION_1})`);
      }
      headerLen = input[0] === VERSION_1 ? FIXED_HEADER_LEN : ATTACHMENT_HEADER_LEN;
    }
    const n = Math.min(headerLen - headerFill, input.length);
    headerBuf.set(input.subarray(0, n), headerFill);
    headerFill += n;
    const header = keys ? undefined : checkHeader(headerBuf, headerFill);
    if (header) {
      const derived = deriveStreamKeys(key, header.salt);
      if (!equalBytes(derived.commitment, header.commitment)) {
        wipe(derived.aesKey, derived.noncePrefix);
        throw fail('wrong_key', 'the key does not match the attachment key commitment');
      }
      keys = derived;
      chunkSize = header.chunkSize;
      aead = await provider.aesGcmKey(keys.aesKey);
    }
    if (keys && headerFill === headerLen) {
      if (headerLen === ATTACHMENT_HEADER_LEN) await readLength();
      aad = headerBuf.subarray(0, headerLen);
      slicer = new Slicer(chunkSize + AES_GCM_TAG_LEN);
      digest.update(aad);
      inSize += headerLen;
    }
    return n;
  };

  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async start() {
      try {
        provider = givenProvider ?? (await getProvider());
      } catch (e) {
        failed(e);
      }
    },
    async transform(input, controller) {
      try {
        abytes(input, undefined, 'chunk');
        const offset = aad ? 0 : await readHeader(input);
        if (!aad || offset === input.length) return;
        await slicer.cut(input.subarray(offset), async (piece) => {
          // More bytes follow this piece, so it is a middle chunk.
          dispatch(piece, false);
          while (inFlight.full) await deliverOldest(controller);
        });
      } catch (e) {
        failed(e);
      }
    },
    async flush(controller) {
      try {
        if (!aad) {
          throw fail('truncated', `attachment stream ends inside its header (${headerFill} of ${headerLen || 1} bytes)`);
        }
        const last = slicer.last();
        if (counter === 0 && last.length === 0) throw fail('truncated', 'attachment stream has a header but no chunk');
        if (last.length < AES_GCM_TAG_LEN) {
          throw fail('truncated', `attachment stream ends ${last.length} bytes into chunk ${counter}, shorter than a tag`);
        }
        dispatch(last, true);
        if (!plan) holdIndex = counter - 1;
        while (inFlight.size > 0) await deliverOldest(controller);
        const computed = digest.digest();
        if (expected && !equalBytes(computed, expected)) {
          throw fail('bad_mac', 'attachment digest does not match the one in the message');
        }
        if (held && held.length > 0) controller.enqueue(held);
        held = undefined;
        cleanup();
        result.resolve({ digest: computed, size: plan ? plan.size : size, encryptedSize: inSize, chunkSize });
      } catch (e) {
        failed(e);
      }
    },
  });
  return { readable: stream.readable, writable: stream.writable, done: result.promise };
}

/** Writes `input` through `pair` and gathers the output, for small in-memory buffers. */
async function runThrough(pair: ReadableWritablePair<Uint8Array, Uint8Array>, input: Uint8Array): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  const reading = pair.readable.pipeTo(
    new WritableStream<Uint8Array>({
      write(part) {
        parts.push(part);
      },
    }),
  );
  const writer = pair.writable.getWriter();
  const writing = writer.write(input).then(() => writer.close());
  // Either side reports the stream's one error; Promise.all observes both, so neither dangles.
  await Promise.all([writing, reading]);
  return parts;
}

/**
 * Encrypts a buffer already in memory (small files, tests). For files, pipe `file.stream()`
 * through `createAttachmentEncryptor({ size: file.size })` instead.
 */
export async function encryptAttachment(
  plaintext: Uint8Array,
  key?: Uint8Array,
  options: Omit<AttachmentEncryptOptions, 'key' | 'size'> = {},
): Promise<AttachmentEncryptResult & { readonly ciphertext: Uint8Array }> {
  abytes(plaintext, undefined, 'plaintext');
  const encryptor = createAttachmentEncryptor({ ...options, key, size: plaintext.length });
  const parts = await runThrough(encryptor, plaintext);
  const result = await encryptor.done;
  return { ...result, ciphertext: concat(...parts) };
}

/** Decrypts a whole encrypted stream (v2 or v1) held in memory; checks `digest` when given. */
export async function decryptAttachment(
  ciphertext: Uint8Array,
  key: Uint8Array,
  digest?: Uint8Array,
  options: Omit<AttachmentDecryptOptions, 'digest'> = {},
): Promise<Uint8Array> {
  abytes(ciphertext, undefined, 'ciphertext');
  const decryptor = createAttachmentDecryptor(key, { ...options, digest });
  const parts = await runThrough(decryptor, ciphertext);
  await decryptor.done;
  return concat(...parts);
}
