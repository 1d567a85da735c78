/**
 * The one error type of the protocol. Every failure a caller must react to has a stable
 * string `code`; messages carry facts (lengths, counters, ids) and never key material or
 * plaintext. Shape follows libsignal's `ErrorCode` + `is(code)` (node/ts/Errors.ts).
 * @module
 */

/** Stable error codes. Adding one is an API change: `errors.test.ts` checks each is handled. */
export const ERROR_CODES = [
  /** A value has the wrong type or length (programming error or garbage input). */
  'invalid_argument',
  /** Bytes do not parse as the expected wire structure (truncated, trailing, unknown tag). */
  'malformed',
  /** A wire structure names a version this build does not speak. */
  'unsupported_version',
  /** An Ed25519 signature failed strict RFC 8032 verification. */
  'bad_signature',
  /** An AEAD tag failed: the ciphertext, header or key is not what was sealed. */
  'bad_mac',
  /** A public key is invalid or low-order (X25519 output all zero). */
  'invalid_key',
  /** A bundle or certificate names a different identity than the one pinned. */
  'identity_mismatch',
  /** A prekey message names a prekey we do not (or no longer) hold. */
  'unknown_prekey',
  /** A message was already decrypted (or its key discarded): replay or duplicate delivery. */
  'duplicate',
  /** A message would skip more message keys than MAX_SKIP allows. */
  'too_far_ahead',
  /** No session exists for the peer, or the session cannot yet send. */
  'no_session',
  /** Padding is not well-formed after decryption. */
  'bad_padding',
  /** A payload failed its schema. */
  'schema',
  /** An attachment stream ended early (last chunk missing). */
  'truncated',
  /** An attachment stream key does not match the stream's key commitment. */
  'wrong_key',
  /** A size limit was exceeded. */
  'too_large',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class ConfidantError extends Error {
  override readonly name = 'ConfidantError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }

  /** True when `e` is a ConfidantError, and with `code` given, one with that code. */
  static is(e: unknown, code?: ErrorCode): e is ConfidantError {
    return e instanceof ConfidantError && (code === undefined || e.code === code);
  }
}

/** Shorthand used by every module: `throw fail('malformed', 'header is 3 bytes, expected 41')`. */
export function fail(code: ErrorCode, message: string): ConfidantError {
  return new ConfidantError(code, message);
}
