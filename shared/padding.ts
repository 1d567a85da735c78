/**
 * Length hiding (PROTOCOL.md §7): every plaintext is padded before encryption to a bucket
 * size, with ISO/IEC 7816-4 padding (one 0x80 byte, then zeros), so the relay and anyone on
 * the wire learn only the bucket.
 *
 * Buckets: 256 bytes minimum (covers almost every chat message, so short messages are all
 * alike), then Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
 * Communication with PURBs", PETS 2019): a padded length leaks O(log log n) bits and costs at
 * most 12% overhead. Up to 256: one bucket; 257-512: 512; then sizes with only the top
 * ~log2(log2 n) + 1 bits set.
 * Does not: hide timing or the number of messages.
 * @module
 */
import { MAX_PLAINTEXT, PAD_MIN } from './consts.ts';
import { abytes } from './_bytes.ts';
import { fail } from './errors.ts';

/** Padmé: round `length` up so that only its top floor(log2 E) + 1 bits may be set (E = floor(log2 L)). */
export function padme(length: number): number {
  if (!Number.isInteger(length) || length < 0) throw fail('invalid_argument', `length must be a non-negative integer, got ${length}`);
  if (length < 2) return length;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.ceil(length / (mask + 1)) * (mask + 1);
}

/** The padded size of a plaintext of `length` bytes (one byte is the 0x80 marker). */
export function paddedLength(length: number): number {
  return Math.max(PAD_MIN, padme(length + 1));
}

export function pad(plaintext: Uint8Array): Uint8Array {
  abytes(plaintext, undefined, 'plaintext');
  if (plaintext.length > MAX_PLAINTEXT) throw fail('too_large', `plaintext is ${plaintext.length} bytes, limit ${MAX_PLAINTEXT}`);
  const out = new Uint8Array(paddedLength(plaintext.length));
  out.set(plaintext);
  out[plaintext.length] = 0x80;
  return out;
}

/** Strip padding; anything but zeros after the last 0x80 (or no marker at all) is `bad_padding`. */
export function unpad(padded: Uint8Array): Uint8Array {
  abytes(padded, undefined, 'padded');
  let i = padded.length - 1;
  while (i >= 0 && padded[i] === 0) i--;
  if (i < 0 || padded[i] !== 0x80) throw fail('bad_padding', `no 0x80 marker in ${padded.length} padded bytes`);
  return padded.slice(0, i);
}
