/**
 * TEST ONLY. Computes the known-answer file for attachment streams v2 (padded, PROTOCOL.md §10)
 * with `shared/attachment.ts` from fixed inputs: key `00..1f`, salt `f0..ff`, and plaintexts
 * `i mod 251` (byte i), so the output depends on nothing but the code. `attachment.test.ts`
 * recomputes it and compares it with `attachment-v2.json`, re-derives every case with its own
 * one-shot reference implementation, and decrypts each with both providers;
 * `UPDATE_VECTORS=1 npx vitest run shared/attachment.test.ts` rewrites the file (only ever on
 * purpose: a changed file is a wire-format change, and needs a new version).
 * @module
 */
import { encryptAttachment, paddedAttachmentSize } from '../attachment.ts';
import { LABEL } from '../consts.ts';
import { toHex } from '../encoding.ts';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { nobleProvider } from '../provider.ts';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const SALT = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 251);

/** Each case: why it is there, chunk size, plaintext length. */
const CASES: readonly (readonly [name: string, chunkSize: number, size: number])[] = [
  ['empty file: 4096 bytes of padding in four 1 KiB chunks', 1024, 0],
  ['three bytes, default chunk size: one chunk of 4096', 262144, 3],
  ['exactly ATTACHMENT_PAD_MIN (4096) in 1 KiB chunks: no padding', 1024, 4096],
  ['4097 bytes pad to 4352 (Padmé, 256-byte steps): a 256-byte last chunk with 255 zeros', 1024, 4097],
  ['1025 bytes: the last data byte, then zeros; two chunks of padding only', 1024, 1025],
];

export async function computeAttachmentVectorsV2() {
  const okm = hkdf(sha256, KEY, SALT, new TextEncoder().encode(LABEL.attachmentKey), 39);
  const cases = [];
  for (const [name, chunkSize, size] of CASES) {
    const plaintext = bytes(size);
    const enc = await encryptAttachment(plaintext, KEY, { chunkSize, salt: SALT, provider: nobleProvider });
    cases.push({
      name,
      key: toHex(KEY),
      salt: toHex(SALT),
      chunkSize,
      plaintext: toHex(plaintext),
      paddedSize: paddedAttachmentSize(size),
      aesKey: toHex(okm.subarray(0, 32)),
      noncePrefix: toHex(okm.subarray(32)),
      sealedLength: toHex(enc.ciphertext.subarray(53, 77)),
      header: toHex(enc.ciphertext.subarray(0, 77)),
      ciphertext: toHex(enc.ciphertext),
      digest: toHex(enc.digest),
    });
  }
  return {
    description:
      'Confidant attachment stream v2 (padded; shared/attachment.ts, docs/PROTOCOL.md §10), made by shared/vectors/attachment.ts: fixed key and salt, plaintexts -> exact encrypted stream and digest. All byte strings hex. paddedSize, aesKey, noncePrefix, sealedLength and header are intermediate values for other implementations. Frozen: a change here is a wire-format change.',
    labels: {
      attachmentKey: LABEL.attachmentKey,
      attachmentCommitment: LABEL.attachmentCommitment,
      attachmentDigest: LABEL.attachmentDigest,
    },
    cases,
  };
}
