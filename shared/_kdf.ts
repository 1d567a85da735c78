/**
 * The key-derivation helpers every module shares: HKDF-SHA-256 (RFC 5869) and HMAC-SHA-256
 * (RFC 2104) from @noble/hashes, with our labels always passed as UTF-8 `info`.
 * Internal: not part of the public API.
 * @module
 */
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, utf8 } from './_bytes.ts';

/** HKDF-SHA-256 with `info = label || context` (PROTOCOL.md §1). */
export function hkdf(ikm: Uint8Array, salt: Uint8Array | undefined, label: string, length: number, context?: Uint8Array): Uint8Array {
  const info = context ? concat(utf8.encode(label), context) : utf8.encode(label);
  return nobleHkdf(sha256, ikm, salt, info, length);
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}

export { sha256 };
