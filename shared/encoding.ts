/**
 * Text encodings of bytes used wherever bytes cross a JSON boundary (relay API, payloads,
 * invite links): unpadded base64url (RFC 4648 §5) from @scure/base, and hex for test vectors.
 * Decoding is strict: anything but canonical unpadded base64url is `malformed`.
 * @module
 */
import { base64urlnopad, hex } from '@scure/base';
import { ConfidantError } from './errors.ts';

export function toBase64url(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

export function fromBase64url(text: string, expectedLength?: number): Uint8Array {
  let out: Uint8Array;
  try {
    out = base64urlnopad.decode(text);
  } catch (e) {
    throw new ConfidantError('malformed', 'not canonical unpadded base64url', { cause: e });
  }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new ConfidantError('malformed', `decoded ${out.length} bytes, expected ${expectedLength}`);
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return hex.encode(bytes);
}

export function fromHex(text: string): Uint8Array {
  try {
    return hex.decode(text);
  } catch (e) {
    throw new ConfidantError('malformed', 'not lowercase hex', { cause: e });
  }
}

/** Length of the unpadded base64url text for `n` bytes. */
export function base64urlLength(n: number): number {
  return Math.ceil((n * 4) / 3);
}
