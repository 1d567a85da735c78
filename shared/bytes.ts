/**
 * Byte equality for the client and the relay: one function instead of a copy per file.
 *
 * Constant time in the content: it XORs every byte pair into one accumulator and looks at the
 * result once, so how long it takes says nothing about where two equal-length arrays differ
 * (as noble's `equalBytes` and Hono's timing-safe compare). A length difference returns at once:
 * lengths are public everywhere we compare (keys, hashes, ids of fixed size). For public values
 * constant time costs nothing that matters, so there is no second, faster function.
 * @module
 */
import { abytes } from './_bytes.ts';

/** True when `a` and `b` hold the same bytes; throws `invalid_argument` unless both are Uint8Arrays. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  abytes(a, undefined, 'a');
  abytes(b, undefined, 'b');
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
