import { describe, expect, it } from 'vitest';
import { ConfidantError, ERROR_CODES, fail, type ErrorCode } from './errors.ts';

/**
 * What the app does with each code. The `never` check makes adding a code without deciding
 * how it is handled a compile error (libsignal's PublicAPITest does the same for ErrorCode).
 */
function disposition(code: ErrorCode): 'drop-message' | 'ask-user' | 'retry-later' | 'bug' {
  switch (code) {
    case 'malformed':
    case 'bad_mac':
    case 'bad_padding':
    case 'duplicate':
    case 'too_far_ahead':
    case 'invalid_key':
    case 'bad_signature':
    case 'schema':
    case 'truncated':
    case 'wrong_key':
    case 'too_large':
      return 'drop-message';
    case 'identity_mismatch':
    case 'unsupported_version':
      return 'ask-user';
    case 'unknown_prekey':
    case 'no_session':
      return 'retry-later';
    case 'invalid_argument':
      return 'bug';
    default: {
      const unhandled: never = code;
      throw new Error(`unhandled error code ${String(unhandled)}`);
    }
  }
}

describe('ConfidantError', () => {
  it('every code has a disposition', () => {
    for (const code of ERROR_CODES) expect(disposition(code)).toMatch(/./);
  });

  it('carries its code, and is() narrows by code', () => {
    const e = fail('duplicate', 'message 3 already received');
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('duplicate');
    expect(e.message).toBe('duplicate: message 3 already received');
    expect(ConfidantError.is(e)).toBe(true);
    expect(ConfidantError.is(e, 'duplicate')).toBe(true);
    expect(ConfidantError.is(e, 'bad_mac')).toBe(false);
    expect(ConfidantError.is(new Error('x'))).toBe(false);
  });
});
