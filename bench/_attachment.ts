/**
 * The attachment benches' view of `shared/attachment.ts` and of the two anchors:
 * - `ours`: our STREAM TransformStreams (shared/attachment.ts) behind one small interface;
 * - `nodeGcm*`: node:crypto AES-256-GCM over ATTACHMENT_CHUNK_SIZE chunks, a fresh cipher and nonce per chunk
 *   (7-byte random prefix || 32-bit counter || last-chunk flag, the STREAM nonce layout), the
 *   native limit on this machine;
 * - `identityTransform()`: the pass-through anchor of the memory bench.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createAttachmentDecryptor, createAttachmentEncryptor } from '../shared/attachment.ts';
import { ATTACHMENT_CHUNK_SIZE } from '../shared/consts.ts';

/** Our chunk size, so the node:crypto anchor always works at the same granularity. */
export const CHUNK = ATTACHMENT_CHUNK_SIZE;

/** What the benches need from our attachment module. */
export interface OurAttachments {
  /**
   * A fresh encrypting stream of `size` plaintext bytes under a fresh key; `finish()` (after the
   * stream ended) gives what decryption needs.
   */
  encrypt(size: number): { stream: ReadableWritablePair<Uint8Array, Uint8Array>; finish: () => Promise<DecryptParams> };
  decrypt(params: DecryptParams): ReadableWritablePair<Uint8Array, Uint8Array>;
  /**
   * Encrypt piped straight into decrypt under one key, for the memory bench; `check()` after
   * the end verifies what can only be verified then (both digests agree, sizes match).
   */
  pipeline(size: number): {
    encrypt: ReadableWritablePair<Uint8Array, Uint8Array>;
    decrypt: ReadableWritablePair<Uint8Array, Uint8Array>;
    check: () => Promise<void>;
  };
}

/** What decryption needs from encryption: the file key and the digest from the message. */
export interface DecryptParams {
  readonly key: Uint8Array;
  readonly digest: Uint8Array;
}

/** shared/attachment.ts behind the bench interface, with the default (runtime) provider. */
export const ours: OurAttachments = {
  encrypt(size) {
    const e = createAttachmentEncryptor({ size });
    return { stream: e, finish: async () => ({ key: e.key, digest: (await e.done).digest }) };
  },
  decrypt({ key, digest }) {
    const d = createAttachmentDecryptor(key, { digest });
    // `done` rejects with the stream's own error, which pipeTo already reports.
    d.done.catch(() => {});
    return d;
  },
  pipeline(size) {
    const e = createAttachmentEncryptor({ size });
    // The digest is only known once encryption has flushed: decrypt without it, compare after.
    const d = createAttachmentDecryptor(e.key);
    return {
      encrypt: e,
      decrypt: d,
      async check() {
        const [er, dr] = await Promise.all([e.done, d.done]);
        if (er.size !== dr.size || !er.digest.every((b, i) => b === dr.digest[i])) throw new Error('attachment pipeline: digest or size mismatch');
      },
    };
  },
};

/** A readable stream of `total` bytes in `chunk`-sized pieces, produced on demand (never held whole). */
export function generatedStream(total: number, chunk = CHUNK, onPull?: () => void): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        onPull?.();
        if (sent >= total) {
          controller.close();
          return;
        }
        const n = Math.min(chunk, total - sent);
        controller.enqueue(new Uint8Array(n).fill(sent / chunk));
        sent += n;
      },
    },
    { highWaterMark: 0 },
  );
}

/** A readable stream over existing chunks (views are handed out as they are). */
export function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (i < chunks.length) controller.enqueue(chunks[i++]!);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A sink that counts bytes and keeps nothing, or keeps the chunks when `keep` is given. */
export function sink(keep?: Uint8Array[], onWrite?: () => void): { stream: WritableStream<Uint8Array>; bytes: () => number } {
  let bytes = 0;
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      bytes += chunk.length;
      keep?.push(chunk);
      onWrite?.();
    },
  });
  return { stream, bytes: () => bytes };
}

export function identityTransform(): ReadableWritablePair<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>();
}

/** `plaintext` views of CHUNK bytes, as a file reader would deliver them. */
export function chunksOf(data: Uint8Array, size = CHUNK): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += size) out.push(data.subarray(o, o + size));
  return out;
}

function nonceFor(prefix: Buffer, i: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0, 0, 7);
  n.writeUInt32BE(i, 7);
  n[11] = last ? 1 : 0;
  return n;
}

export interface NodeGcmCiphertext {
  readonly key: Buffer;
  readonly prefix: Buffer;
  /** ciphertext || tag per chunk. */
  readonly chunks: Buffer[];
}

/** node:crypto AES-256-GCM over `plaintext` in CHUNK pieces. */
export function nodeGcmEncrypt(plaintext: Uint8Array, key: Buffer = randomBytes(32), prefix: Buffer = randomBytes(7)): NodeGcmCiphertext {
  const chunks: Buffer[] = [];
  const count = Math.max(1, Math.ceil(plaintext.length / CHUNK));
  for (let i = 0; i < count; i++) {
    const c = createCipheriv('aes-256-gcm', key, nonceFor(prefix, i, i === count - 1));
    const body = c.update(plaintext.subarray(i * CHUNK, (i + 1) * CHUNK));
    c.final();
    chunks.push(Buffer.concat([body, c.getAuthTag()]));
  }
  return { key, prefix, chunks };
}

/** Decrypts and checks every chunk; returns the plaintext byte count. */
export function nodeGcmDecrypt(ct: NodeGcmCiphertext): number {
  let bytes = 0;
  const count = ct.chunks.length;
  for (let i = 0; i < count; i++) {
    const chunk = ct.chunks[i]!;
    const d = createDecipheriv('aes-256-gcm', ct.key, nonceFor(ct.prefix, i, i === count - 1));
    d.setAuthTag(chunk.subarray(chunk.length - 16));
    bytes += d.update(chunk.subarray(0, chunk.length - 16)).length;
    d.final();
  }
  return bytes;
}
