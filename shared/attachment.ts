/**
 * Attachment encryption (DESIGN.md trust boundary 7; PROTOCOL.md §10): a file is encrypted on
 * the device under a fresh 32-byte key, in fixed-size chunks, with the STREAM construction of
 * Hoang, Reyhanitabar, Rogaway and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
 * Misuse-Resistance" (CRYPTO 2015) over AES-256-GCM (NIST SP 800-38D).
 * Encryption and decryption are WHATWG `TransformStream`s, so a 200 MB file streams through in
 * bounded memory, in Node and in the browser alike. The key and the digest travel inside the
 * (ratchet-encrypted) message; the relay stores only the opaque stream.
 *
 * Stream = header || chunk_0 || … || chunk_{n-1}, all integers big-endian:
 *
 *   header (53 bytes) = version u8 (WIRE_VERSION = 0x01)
 *                    || chunkSize u32 (ATTACHMENT_MIN_CHUNK_SIZE..ATTACHMENT_MAX_CHUNK_SIZE,
 *                       default ATTACHMENT_CHUNK_SIZE = 262144)
 *                    || salt (16 random bytes)
 *                    || commitment (32 bytes)
 *
 *   Per-stream values, HKDF-SHA-256 (RFC 5869) with ikm = file key, salt = header salt:
 *     okm        = HKDF(key, salt, info = utf8(LABEL.attachmentKey), 39 bytes)
 *     aesKey     = okm[0..32]          noncePrefix = okm[32..39]  (7 bytes)
 *     commitment = HKDF(key, salt, info = utf8(LABEL.attachmentCommitment), 32 bytes)
 *
 *   chunk_i = AES-256-GCM(aesKey, nonce_i, plaintext_i, aad = header) = ciphertext || 16-byte tag
 *   nonce_i = noncePrefix (7) || i as u32 (4) || last (1: 0x01 for chunk_{n-1}, else 0x00)
 *
 *   Every plaintext_i is exactly chunkSize bytes except the last, which has 0..chunkSize bytes;
 *   n = max(1, ceil(size / chunkSize)), so an empty file is one empty last chunk and a file of
 *   exactly k·chunkSize bytes ends with a full chunk flagged last (no empty trailer).
 *   n ≤ ATTACHMENT_MAX_CHUNKS. Encrypted size = 53 + size + 16·n (`encryptedSize`).
 *
 *   digest = SHA-256(utf8(LABEL.attachmentDigest) || header || SHA-256(chunk_0) || … || SHA-256(chunk_{n-1}))
 *   over the ciphertext chunks (tag included). Hashing per chunk lets the native SHA-256 of
 *   WebCrypto do the bulk work, several chunks at once, with only 32 bytes per chunk left for
 *   the pure-JS outer hash. It is collision resistant like a plain hash of the stream: the
 *   label, header length and per-chunk hash length are fixed and the chunk boundaries are
 *   fixed by the header.
 *
 * Why each part is there:
 * - The last-flag and the counter in the nonce are STREAM itself: reordering, dropping,
 *   duplicating or truncating chunks, or appending after the last chunk, changes some nonce
 *   and fails a tag.
 * - The header is every chunk's AAD, so a changed version or chunk size fails the first chunk.
 * - The commitment makes the stream key-committing: AES-GCM alone lets whoever knows two keys
 *   craft one ciphertext that decrypts under both ("invisible salamanders": Dodis, Grubbs,
 *   Ristenpart, Woodage, CRYPTO 2018; Albertini et al., USENIX Security 2022). Only the key
 *   that yields this commitment opens the stream, and a wrong key is reported as `wrong_key`
 *   before any chunk is decrypted.
 * - The digest binds the message to one exact blob even against the key holder (who could
 *   otherwise encrypt two different files under the same key and salt).
 * - The random salt gives every stream its own AES key and nonce prefix, so re-sending a file
 *   under the same file key never repeats a (key, nonce) pair.
 *
 * Decryption never emits a chunk's plaintext before its tag has verified, holds back the final
 * chunk until the digest (when given) has matched, and emits nothing after an error. A
 * consumer must still treat the output as complete only when the stream closes without error:
 * a truncated stream fails at its end, after the chunks before the cut were emitted.
 *
 * Speed and memory: each chunk costs one AES-GCM call, through a key handle set up once per
 * stream (`CryptoProvider.aesGcmKey`), and one SHA-256 call; WebCrypto runs both off the main
 * thread, so up to MAX_IN_FLIGHT chunks are in flight at once. A chunk lying whole inside one
 * write goes to the provider as a view of it (no copy); only the piece held back at the end of
 * a write is copied. Output order is preserved, and `transform` waits for the oldest chunk
 * before taking more input, so memory stays at a few chunks whatever the file size and the
 * stream's backpressure passes through. Measured costs and the chunk size trade-off: consts.ts.
 *
 * Does not: hide the approximate file size (the relay sees the encrypted size), carry a file
 * name or MIME type (those go in the message), or decide what a safe file is to open.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  AES_GCM_NONCE_LEN,
  AES_GCM_TAG_LEN,
  ATTACHMENT_CHUNK_SIZE,
  ATTACHMENT_MAX_CHUNKS,
  ATTACHMENT_MAX_CHUNK_SIZE,
  ATTACHMENT_MIN_CHUNK_SIZE,
  KEY_LEN,
  LABEL,
  WIRE_VERSION,
} from './consts.ts';
import { abytes, concat, equalBytes, utf8, wipe } from './_bytes.ts';
import { ConfidantError, fail } from './errors.ts';
import { getProvider, randomBytes, type AeadKey, type CryptoProvider } from './provider.ts';

/** Random salt in every stream header. 128 bits: salts never repeat under one file key. */
export const ATTACHMENT_SALT_LEN = 16;
/** Key commitment in every stream header: a full SHA-256 output, so 128-bit collision security. */
export const ATTACHMENT_COMMITMENT_LEN = 32;
/** version (1) + chunk size (4) + salt (16) + commitment (32). */
export const ATTACHMENT_HEADER_LEN = 1 + 4 + ATTACHMENT_SALT_LEN + ATTACHMENT_COMMITMENT_LEN;
/** The attachment digest is a SHA-256 output. */
export const ATTACHMENT_DIGEST_LEN = 32;

/** Nonce = 7-byte prefix || u32 counter || 1-byte last flag (12 bytes, the GCM standard size). */
const NONCE_PREFIX_LEN = AES_GCM_NONCE_LEN - 4 - 1;
/**
 * Most chunks in flight at once. WebCrypto runs each call on a worker thread (Node: the libuv
 * pool), so with two the AES-GCM of one chunk overlaps the SHA-256 (and the emitting) of the
 * one before: both cores of a small machine busy. More did not help throughput at 256 KiB
 * (measured 2 to 7, within noise) and each extra chunk holds ~3 chunk-sized buffers (WebCrypto's
 * copy of the input, the output, the digest's copy): 3 in flight measured 33 MB of peak RSS in
 * the 200 MB encrypt->decrypt bench, 2 measured 29 MB, and 1 was slower and no smaller (33 MB;
 * most of that memory is garbage awaiting collection). consts.ts, ATTACHMENT_CHUNK_SIZE.
 */
const MAX_IN_FLIGHT = 2;

const DIGEST_PREFIX = utf8.encode(LABEL.attachmentDigest);
const INFO_KEY = utf8.encode(LABEL.attachmentKey);
const INFO_COMMITMENT = utf8.encode(LABEL.attachmentCommitment);

/** What an encryptor reports once its stream has flushed. */
export interface AttachmentEncryptResult {
  /** The file key (generated, unless one was passed in). Sent inside the message. */
  readonly key: Uint8Array;
  /** The attachment digest (see the module doc). Sent inside the message. */
  readonly digest: Uint8Array;
  /** Plaintext bytes. */
  readonly size: number;
  /** Bytes of the encrypted stream, header included; equals `encryptedSize(size, chunkSize)`. */
  readonly encryptedSize: number;
}

/** What a decryptor reports once its stream has flushed and every check passed. */
export interface AttachmentDecryptResult {
  /** The digest computed over the stream (equal to the expected one, when one was given). */
  readonly digest: Uint8Array;
  readonly size: number;
  readonly encryptedSize: number;
  readonly chunkSize: number;
}

export interface AttachmentEncryptOptions {
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
  /** Most plaintext bytes accepted; more fails `too_large` before the excess is decrypted. */
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

/** Number of chunks for a plaintext of `size` bytes: at least one (the last may be empty). */
function chunkCount(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/**
 * Exact byte length of the encrypted stream for a plaintext of `plaintextSize` bytes:
 * 53 + plaintextSize + 16 · max(1, ceil(plaintextSize / chunkSize)).
 * Throws `too_large` past ATTACHMENT_MAX_CHUNKS chunks (or past 2^53 bytes).
 */
export function encryptedSize(plaintextSize: number, chunkSize: number = ATTACHMENT_CHUNK_SIZE): number {
  asize(plaintextSize, 'plaintextSize');
  achunkSize(chunkSize, 'chunkSize');
  const n = chunkCount(plaintextSize, chunkSize);
  const total = ATTACHMENT_HEADER_LEN + plaintextSize + n * AES_GCM_TAG_LEN;
  if (n > ATTACHMENT_MAX_CHUNKS || !Number.isSafeInteger(total)) {
    throw fail('too_large', `${plaintextSize} bytes need ${n} chunks of ${chunkSize}, limit ${ATTACHMENT_MAX_CHUNKS}`);
  }
  return total;
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

function chunkNonce(prefix: Uint8Array, counter: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(AES_GCM_NONCE_LEN);
  nonce.set(prefix);
  nonce[NONCE_PREFIX_LEN] = counter >>> 24;
  nonce[NONCE_PREFIX_LEN + 1] = counter >>> 16;
  nonce[NONCE_PREFIX_LEN + 2] = counter >>> 8;
  nonce[NONCE_PREFIX_LEN + 3] = counter;
  nonce[AES_GCM_NONCE_LEN - 1] = last ? 1 : 0;
  return nonce;
}

/** Refuses chunk index `counter` once the stream would exceed ATTACHMENT_MAX_CHUNKS chunks. */
function checkCounter(counter: number): void {
  if (counter >= ATTACHMENT_MAX_CHUNKS) {
    throw fail('too_large', `chunk ${counter} exceeds the limit of ${ATTACHMENT_MAX_CHUNKS} chunks`);
  }
}

/** One chunk's work, started: its output bytes and the SHA-256 of its ciphertext. */
interface ChunkJob {
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
  /** MAX_IN_FLIGHT reached: the oldest must be taken before another chunk starts. */
  get full(): boolean {
    return this.queue.length >= MAX_IN_FLIGHT;
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

/**
 * An encrypting transform: plaintext bytes in (any chunking), the encrypted stream out.
 * `key` is available at once; `done` gives the digest and sizes after the flush.
 */
export function createAttachmentEncryptor(options: AttachmentEncryptOptions = {}): AttachmentEncryptor {
  const key = options.key === undefined ? generateAttachmentKey() : abytes(options.key, KEY_LEN, 'key');
  const chunkSize = options.chunkSize === undefined ? ATTACHMENT_CHUNK_SIZE : achunkSize(options.chunkSize, 'chunkSize');
  const salt = options.salt === undefined ? randomBytes(ATTACHMENT_SALT_LEN) : abytes(options.salt, ATTACHMENT_SALT_LEN, 'salt');
  const givenProvider = aprovider(options.provider);

  const { aesKey, noncePrefix, commitment } = deriveStreamKeys(key, salt);
  const header = new Uint8Array(ATTACHMENT_HEADER_LEN);
  header[0] = WIRE_VERSION;
  new DataView(header.buffer).setUint32(1, chunkSize, false);
  header.set(salt, 5);
  header.set(commitment, 5 + ATTACHMENT_SALT_LEN);

  const digest = sha256.create().update(DIGEST_PREFIX).update(header);
  const inFlight = new InFlight();
  const slicer = new Slicer(chunkSize);
  const result = deferred<AttachmentEncryptResult>();
  let provider!: CryptoProvider;
  let aead!: AeadKey;
  let counter = 0;
  let size = 0;
  let outSize = 0;

  const dispatch = (plaintext: Uint8Array, last: boolean): void => {
    checkCounter(counter);
    size += plaintext.length;
    const output = aead.encrypt(chunkNonce(noncePrefix, counter++, last), plaintext, header);
    inFlight.push({ output, ciphertextHash: output.then((ct) => provider.sha256(ct)) });
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

  const stream = new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      try {
        provider = givenProvider ?? (await getProvider());
        aead = await provider.aesGcmKey(aesKey);
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
        await slicer.cut(input, async (piece) => {
          // More bytes follow this piece, so it is a middle chunk.
          dispatch(piece, false);
          while (inFlight.full) await emitOldest(controller);
        });
      } catch (e) {
        failed(e);
      }
    },
    async flush(controller) {
      try {
        dispatch(slicer.last(), true);
        while (inFlight.size > 0) await emitOldest(controller);
        cleanup();
        result.resolve({ key, digest: digest.digest(), size, encryptedSize: outSize });
      } catch (e) {
        failed(e);
      }
    },
  });
  return { readable: stream.readable, writable: stream.writable, key, done: result.promise };
}

/** The parsed fixed part of a header. */
interface Header {
  readonly chunkSize: number;
  readonly salt: Uint8Array;
  readonly commitment: Uint8Array;
}

/** Checks what the first `have` bytes of a header allow; parses it once all 53 are there. */
function checkHeader(buf: Uint8Array, have: number): Header | undefined {
  if (have >= 1 && buf[0] !== WIRE_VERSION) {
    throw fail('unsupported_version', `attachment stream version ${buf[0]}, expected ${WIRE_VERSION}`);
  }
  if (have < 5) return undefined;
  const chunkSize = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1, false);
  if (chunkSize < ATTACHMENT_MIN_CHUNK_SIZE || chunkSize > ATTACHMENT_MAX_CHUNK_SIZE) {
    throw fail(
      'malformed',
      `attachment chunk size ${chunkSize} outside [${ATTACHMENT_MIN_CHUNK_SIZE}, ${ATTACHMENT_MAX_CHUNK_SIZE}]`,
    );
  }
  if (have < ATTACHMENT_HEADER_LEN) return undefined;
  return {
    chunkSize,
    salt: buf.subarray(5, 5 + ATTACHMENT_SALT_LEN),
    commitment: buf.subarray(5 + ATTACHMENT_SALT_LEN, ATTACHMENT_HEADER_LEN),
  };
}

/**
 * A decrypting transform: the encrypted stream in (any chunking), plaintext out. Plaintext of a
 * chunk is emitted only after its tag verified; the final chunk only after the digest matched.
 * Errors (all ConfidantError): `truncated` (the stream ends at a chunk boundary before its last
 * chunk, inside the header, or with less than a tag left; a cut inside a chunk is `bad_mac`),
 * `unsupported_version`, `malformed` (chunk size out of range), `wrong_key` (commitment
 * mismatch, before any chunk), `bad_mac` (any chunk or the digest fails), `too_large` (maxSize).
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
  let keys: StreamKeys | undefined;
  let aead!: AeadKey;
  let slicer!: Slicer;
  let chunkSize = 0;
  const digest = sha256.create().update(DIGEST_PREFIX);
  const inFlight = new InFlight();
  const result = deferred<AttachmentDecryptResult>();
  let counter = 0;
  let size = 0;
  let inSize = 0;

  const open = (piece: Uint8Array, index: number, last: boolean): Promise<Uint8Array> => {
    const { noncePrefix } = keys!;
    return aead.decrypt(chunkNonce(noncePrefix, index, last), piece, headerBuf).catch(async (e: unknown) => {
      // A full-size final piece that opens as a *middle* chunk means the real last chunk is
      // missing: report the truncation as such. Its plaintext is never released. (The final
      // piece sits in a buffer of our own, so these are still the bytes that failed.)
      if (last && ConfidantError.is(e, 'bad_mac') && piece.length === chunkSize + AES_GCM_TAG_LEN) {
        const asMiddle = await aead.decrypt(chunkNonce(noncePrefix, index, false), piece, headerBuf).then(
          (pt) => (wipe(pt), true),
          () => false,
        );
        if (asMiddle) throw fail('truncated', `attachment stream ends after chunk ${index} without its last chunk`);
      }
      throw ConfidantError.is(e, 'bad_mac') ? fail('bad_mac', `attachment chunk ${index} failed authentication`) : e;
    });
  };
  const dispatch = (piece: Uint8Array, last: boolean): void => {
    checkCounter(counter);
    const plaintextLen = piece.length - AES_GCM_TAG_LEN;
    if (size + plaintextLen > maxSize) {
      throw fail('too_large', `attachment exceeds ${maxSize} bytes at chunk ${counter}`);
    }
    size += plaintextLen;
    inSize += piece.length;
    // Both calls read `piece` before returning: the bytes hashed are the bytes opened.
    inFlight.push({ output: open(piece, counter++, last), ciphertextHash: provider.sha256(piece) });
  };
  const takeOldest = async (): Promise<Uint8Array> => {
    const job = inFlight.take();
    const output = await job.output;
    digest.update(await job.ciphertextHash);
    return output;
  };
  const cleanup = (): void => {
    if (keys) wipe(keys.aesKey, keys.noncePrefix);
    slicer?.wipe();
  };
  const failed = (e: unknown): never => {
    cleanup();
    result.reject(e);
    throw e;
  };

  /** Consumes header bytes from `input`; returns how many it took. */
  const readHeader = async (input: Uint8Array): Promise<number> => {
    const n = Math.min(ATTACHMENT_HEADER_LEN - headerFill, input.length);
    headerBuf.set(input.subarray(0, n), headerFill);
    headerFill += n;
    const header = checkHeader(headerBuf, headerFill);
    if (header) {
      const derived = deriveStreamKeys(key, header.salt);
      if (!equalBytes(derived.commitment, header.commitment)) {
        wipe(derived.aesKey, derived.noncePrefix);
        throw fail('wrong_key', 'the key does not match the attachment key commitment');
      }
      keys = derived;
      chunkSize = header.chunkSize;
      aead = await provider.aesGcmKey(keys.aesKey);
      slicer = new Slicer(chunkSize + AES_GCM_TAG_LEN);
      digest.update(headerBuf);
      inSize += ATTACHMENT_HEADER_LEN;
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
        const offset = keys ? 0 : await readHeader(input);
        if (!keys || offset === input.length) return;
        await slicer.cut(input.subarray(offset), async (piece) => {
          // More bytes follow this piece, so it is a middle chunk.
          dispatch(piece, false);
          while (inFlight.full) controller.enqueue(await takeOldest());
        });
      } catch (e) {
        failed(e);
      }
    },
    async flush(controller) {
      try {
        if (!keys) {
          throw fail('truncated', `attachment stream ends inside its header (${headerFill} of ${ATTACHMENT_HEADER_LEN} bytes)`);
        }
        const last = slicer.last();
        if (counter === 0 && last.length === 0) throw fail('truncated', 'attachment stream has a header but no chunk');
        if (last.length < AES_GCM_TAG_LEN) {
          throw fail('truncated', `attachment stream ends ${last.length} bytes into chunk ${counter}, shorter than a tag`);
        }
        dispatch(last, true);
        while (inFlight.size > 1) controller.enqueue(await takeOldest());
        const final = await takeOldest();
        const computed = digest.digest();
        if (expected && !equalBytes(computed, expected)) {
          wipe(final);
          throw fail('bad_mac', 'attachment digest does not match the one in the message');
        }
        controller.enqueue(final);
        cleanup();
        result.resolve({ digest: computed, size, encryptedSize: inSize, chunkSize });
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
 * through `createAttachmentEncryptor()` instead.
 */
export async function encryptAttachment(
  plaintext: Uint8Array,
  key?: Uint8Array,
  options: Omit<AttachmentEncryptOptions, 'key'> = {},
): Promise<AttachmentEncryptResult & { readonly ciphertext: Uint8Array }> {
  abytes(plaintext, undefined, 'plaintext');
  const encryptor = createAttachmentEncryptor({ ...options, key });
  const parts = await runThrough(encryptor, plaintext);
  const result = await encryptor.done;
  return { ...result, ciphertext: concat(...parts) };
}

/** Decrypts a whole encrypted stream held in memory; checks `digest` when given. */
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
