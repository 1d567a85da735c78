/**
 * Safety numbers (PROTOCOL.md §12): what two people compare, read aloud or by QR code, to know
 * that no one sits between them. Follows Signal's displayable and scannable fingerprints
 * (libsignal `fingerprint.rs`), over our public identity encoding.
 *
 *   fp(id)  = SHA-512^5200(0x00 0x01 || PublicIdentity(129) || id) iterated as
 *             h_0 = version || identity || id;  h_{i+1} = SHA-512(h_i || identity)
 *   digits  = the first 30 bytes of fp in six 5-byte groups, each as a big-endian integer mod 100000,
 *             zero-padded to 5 digits -> 30 digits per party
 *   safety number = the two 30-digit strings, lower one first (the same on both devices)
 *   QR payload = 0x01 || fp_local(32) || fp_remote(32); a scan matches when the scanned
 *                local/remote are our remote/local (compared in constant time)
 * The iteration makes brute-forcing a colliding identity 5,200 times more expensive per try.
 * @module
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, utf8 } from './_bytes.ts';
import { equalBytes } from './bytes.ts';
import { fail } from './errors.ts';
import { encodePublicIdentity, type PublicIdentity } from './keys.ts';

export const FINGERPRINT_ITERATIONS = 5200;
const VERSION = Uint8Array.of(0x00, 0x01);
const QR_VERSION = 0x01;

function fingerprint(identity: PublicIdentity, stableId: string): Uint8Array {
  const key = encodePublicIdentity(identity);
  let hash = concat(VERSION, key, utf8.encode(stableId));
  for (let i = 0; i < FINGERPRINT_ITERATIONS; i++) hash = sha512(concat(hash, key));
  return hash;
}

function digits(fp: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 30; i += 5) {
    // 5 bytes = 40 bits: exact in a double.
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + fp[i + j]!;
    out += String(n % 100000).padStart(5, '0');
  }
  return out;
}

export interface SafetyNumber {
  /** 60 digits, identical on both devices; shown in 12 groups of 5. */
  readonly digits: string;
  /** Bytes to render as a QR code on this device. */
  readonly qr: Uint8Array;
}

/**
 * The safety number between `ours` and `theirs`. The stable ids default to the identity ids;
 * pass the same pair (swapped) on the other device.
 */
export function safetyNumber(ours: PublicIdentity, theirs: PublicIdentity, ids: { ours?: string; theirs?: string } = {}): SafetyNumber {
  const local = fingerprint(ours, ids.ours ?? '');
  const remote = fingerprint(theirs, ids.theirs ?? '');
  const [a, b] = [digits(local), digits(remote)].sort();
  return { digits: a! + b!, qr: concat(Uint8Array.of(QR_VERSION), local.subarray(0, 32), remote.subarray(0, 32)) };
}

/** Does a QR payload scanned from the other device match ours? Malformed input is `malformed`. */
export function matchesScanned(ours: SafetyNumber, scanned: Uint8Array): boolean {
  if (scanned.length !== 65) throw fail('malformed', `safety QR payload is ${scanned.length} bytes, expected 65`);
  if (scanned[0] !== QR_VERSION) throw fail('unsupported_version', `safety QR version ${scanned[0]}`);
  // Their "local" is our "remote" and vice versa.
  const swapped = concat(Uint8Array.of(QR_VERSION), scanned.subarray(33, 65), scanned.subarray(1, 33));
  return equalBytes(ours.qr, swapped);
}

/** The 60 digits grouped for display: "12345 67890 ...". */
export function formatSafetyNumber(n: SafetyNumber): string {
  return n.digits.match(/.{5}/g)!.join(' ');
}
