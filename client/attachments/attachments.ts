/**
 * Attachments on the device: a file is encrypted by shared/'s STREAM module while it is read
 * (never held as plaintext in one piece by us), uploaded as ciphertext with progress, and on
 * the other side downloaded and decrypted as a stream; the digest from the message is checked
 * before anything is shown. The stream is padded to the file's size bucket (PROTOCOL.md §10), so
 * the relay learns the bucket, not the size; the size itself travels only in the message.
 *
 * The ciphertext is collected into a Blob before upload: browsers stream request bodies only
 * over HTTP/2, and a Blob lets XMLHttpRequest report upload progress. Large Blobs are kept by
 * the browser outside the JavaScript heap.
 * @module
 */
import { createAttachmentDecryptor, createAttachmentEncryptor, encryptedSize } from '../../shared/attachment.ts';
import { MAX_ATTACHMENT_SIZE } from '../../shared/consts.ts';
import type { Identity } from '../../shared/keys.ts';
import type { RelayApi } from '../api/relay.ts';
import type { AttachmentMeta } from '../data/records.ts';

/**
 * Largest file accepted. Encrypted, a file is padded to its size bucket (PROTOCOL.md §10); 200 MiB
 * is a bucket itself, so the largest upload is 200 MiB + 77 + 16 per 256 KiB chunk, well under
 * the relay's default blob limit (attachments.test.ts checks it).
 */
export const MAX_FILE_BYTES = 200 * 1024 * 1024;

export type Phase = 'encrypting' | 'uploading' | 'downloading' | 'decrypting';
export type OnProgress = (phase: Phase, fraction: number) => void;

/** Counts bytes flowing through, for progress. */
function counter(total: number, report: (fraction: number) => void): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.length;
      report(total > 0 ? seen / total : 0);
      controller.enqueue(chunk);
    },
  });
}

const safeMime = (type: string): string => (/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(type) && type.length <= 127 ? type : 'application/octet-stream');
const safeName = (name: string): string => (name.trim() || 'file').slice(0, 255);

/** A file encrypted for upload: the stream (padded to its size bucket) and what the message carries. */
export interface EncryptedFile {
  /** The encrypted stream, `encryptedSize(size)` bytes: the relay learns the bucket, not the size. */
  readonly ciphertext: Blob;
  readonly key: Uint8Array;
  readonly digest: Uint8Array;
  /** The file's own size, for the message. */
  readonly size: number;
}

/** Encrypts `file` while it is read (never whole in memory as plaintext). */
export async function encryptFile(file: Blob, onProgress?: OnProgress): Promise<EncryptedFile> {
  if (file.size > MAX_FILE_BYTES || file.size > MAX_ATTACHMENT_SIZE) throw new RangeError(`Files up to ${MAX_FILE_BYTES / 1024 / 1024} MB can be sent.`);
  // The size is sealed in the stream's header; a file that changes while it is read fails.
  const encryptor = createAttachmentEncryptor({ size: file.size });
  const ciphertext = await new Response(
    file
      .stream()
      .pipeThrough(counter(file.size, (f) => onProgress?.('encrypting', f)))
      .pipeThrough(encryptor),
  ).blob();
  const { key, digest, size } = await encryptor.done;
  return { ciphertext, key, digest, size };
}

export async function uploadAttachment(api: RelayApi, identity: Identity, file: File, onProgress?: OnProgress): Promise<AttachmentMeta> {
  const { ciphertext, key, digest, size } = await encryptFile(file, onProgress);
  const { blobId } = await api.uploadBlob(identity, ciphertext, (sent, total) => onProgress?.('uploading', total > 0 ? sent / total : 0));
  return { blobId, key, digest, size, name: safeName(file.name), mime: safeMime(file.type) };
}

/** Downloads and decrypts; resolves only after the digest and every chunk verified. */
export async function downloadAttachment(api: RelayApi, meta: AttachmentMeta, onProgress?: OnProgress): Promise<Blob> {
  const { body, size } = await api.downloadBlob(meta.blobId);
  // Without a Content-Length, progress counts against the padded size a stream of meta.size has.
  const expected = size ?? encryptedSize(meta.size);
  const decryptor = createAttachmentDecryptor(meta.key, { digest: meta.digest, maxSize: meta.size });
  const [plaintext] = await Promise.all([
    new Response(body.pipeThrough(counter(expected, (f) => onProgress?.('downloading', f))).pipeThrough(decryptor)).blob(),
    decryptor.done,
  ]);
  if (plaintext.size !== meta.size) throw new Error('The attachment is not the size its message said');
  return new Blob([plaintext], { type: meta.mime });
}

/** Image types shown inline (decoded by the browser's image decoder, never as documents). */
export const isPreviewable = (mime: string): boolean => /^image\/(png|jpeg|gif|webp|avif)$/i.test(mime);
