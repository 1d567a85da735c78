/**
 * Authentication of a device to the relay by signatures of its identity key (ARCHITECTURE.md,
 * boundary 8; PROTOCOL.md §13): no passwords, tokens or e-mail addresses. Every request that
 * needs an account carries four headers:
 *
 *   confidant-key        base64url(Ed25519 public key)                  the account
 *   confidant-time       milliseconds since the epoch, decimal
 *   confidant-nonce      base64url(16 random bytes)
 *   confidant-signature  base64url(Ed25519 signature over the message below)
 *
 *   message = LABEL.relayRequest || 0x00 || METHOD || 0x00 || path-and-query || 0x00
 *             || time (decimal ASCII) || 0x00 || nonce (base64url) || 0x00 || SHA-256(body)
 *
 * The relay checks the time against REQUEST_MAX_SKEW_MS, the signature (strict RFC 8032, the
 * same rule as everywhere, via the provider), then that the nonce is new for this key. A
 * replayed or stale request is refused. The path binds the signature to one route and its
 * query; the body digest binds it to the exact bytes sent.
 * Does not: decide what an account may do (the relay's routes do).
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ED25519_PUBLIC_LEN, ED25519_SIGNATURE_LEN, LABEL, REQUEST_MAX_SKEW_MS, REQUEST_NONCE_LEN, REQUEST_TIME_MAX_DIGITS } from './consts.ts';
import { abytes, concat, utf8 } from './_bytes.ts';
import { fromBase64url, toBase64url } from './encoding.ts';
import { ConfidantError, fail } from './errors.ts';
import type { Identity } from './keys.ts';
import { getProvider, randomBytes, type CryptoProvider } from './provider.ts';

export const AUTH_HEADERS = {
  key: 'confidant-key',
  time: 'confidant-time',
  nonce: 'confidant-nonce',
  signature: 'confidant-signature',
} as const;

export interface RequestToSign {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path and query exactly as sent, e.g. `/v1/messages?after=3`. */
  readonly path: string;
  readonly body: Uint8Array;
}

const SEP = Uint8Array.of(0);
/** A time header: decimal milliseconds, no sign, no exponent. */
const REQUEST_TIME = new RegExp(`^\\d{1,${REQUEST_TIME_MAX_DIGITS}}$`);

/** The exact bytes that are signed for a request (PROTOCOL.md §13). */
export function requestSigningMessage(request: RequestToSign, time: number, nonce: string): Uint8Array {
  if (!/^[A-Z]+$/.test(request.method)) throw fail('invalid_argument', `method must be upper-case letters, got ${request.method}`);
  if (!request.path.startsWith('/')) throw fail('invalid_argument', 'path must start with /');
  if (!Number.isSafeInteger(time) || time < 0) throw fail('invalid_argument', `time must be a non-negative integer, got ${time}`);
  return concat(
    utf8.encode(LABEL.relayRequest),
    SEP,
    utf8.encode(request.method),
    SEP,
    utf8.encode(request.path),
    SEP,
    utf8.encode(String(time)),
    SEP,
    utf8.encode(nonce),
    SEP,
    sha256(abytes(request.body, undefined, 'body')),
  );
}

/** The four headers for `request`, signed by `identity` at `now` with a fresh nonce. */
export async function signRequest(
  identity: Identity,
  request: RequestToSign,
  options: { now?: number; provider?: CryptoProvider } = {},
): Promise<Record<(typeof AUTH_HEADERS)[keyof typeof AUTH_HEADERS], string>> {
  const p = options.provider ?? (await getProvider());
  const time = options.now ?? Date.now();
  const nonce = toBase64url(randomBytes(REQUEST_NONCE_LEN));
  const signature = await p.ed25519Sign(identity.signing.secretKey, requestSigningMessage(request, time, nonce));
  return {
    [AUTH_HEADERS.key]: toBase64url(identity.signing.publicKey),
    [AUTH_HEADERS.time]: String(time),
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.signature]: toBase64url(signature),
  };
}

export interface VerifiedRequest {
  readonly signingKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly time: number;
}

/** Why a request's signature headers were refused; the relay answers 401 with this code. */
export type AuthFailure = 'missing' | 'malformed' | 'stale' | 'bad_signature';

/**
 * Check the headers of `request` at `now`: shape, freshness and signature. The caller then
 * checks that the key is a known account and that the nonce is new (`Store.rememberNonce`).
 * Returns the verified key and nonce, or the reason for refusal (never throws for bad input).
 */
export async function verifyRequest(
  headers: { get(name: string): string | null | undefined },
  request: RequestToSign,
  now: number,
  provider?: CryptoProvider,
): Promise<VerifiedRequest | { failure: AuthFailure }> {
  const key = headers.get(AUTH_HEADERS.key);
  const time = headers.get(AUTH_HEADERS.time);
  const nonce = headers.get(AUTH_HEADERS.nonce);
  const signature = headers.get(AUTH_HEADERS.signature);
  if (!key || !time || !nonce || !signature) return { failure: 'missing' };
  let signingKey: Uint8Array;
  let nonceBytes: Uint8Array;
  let sig: Uint8Array;
  try {
    signingKey = fromBase64url(key, ED25519_PUBLIC_LEN);
    nonceBytes = fromBase64url(nonce, REQUEST_NONCE_LEN);
    sig = fromBase64url(signature, ED25519_SIGNATURE_LEN);
  } catch (e) {
    if (ConfidantError.is(e)) return { failure: 'malformed' };
    throw e;
  }
  if (!REQUEST_TIME.test(time)) return { failure: 'malformed' };
  const t = Number(time);
  if (Math.abs(now - t) > REQUEST_MAX_SKEW_MS) return { failure: 'stale' };
  let message: Uint8Array;
  try {
    message = requestSigningMessage(request, t, nonce);
  } catch (e) {
    if (ConfidantError.is(e)) return { failure: 'malformed' };
    throw e;
  }
  const p = provider ?? (await getProvider());
  if (!(await p.ed25519Verify(signingKey, message, sig))) return { failure: 'bad_signature' };
  return { signingKey, nonce: nonceBytes, time: t };
}
