/**
 * The vault's one error type, shaped like shared/errors.ts (`code` + `is(e, code)`, libsignal's
 * `ErrorCode`): every failure a caller reacts to has a stable string code. Messages carry facts
 * (collection, lengths, versions) and never a passphrase, key, partition name or plaintext.
 * @module
 */

/** Stable error codes. Adding one is an API change: errors.test.ts checks each has a meaning. */
export const VAULT_ERROR_CODES = [
  /** The passphrase does not unwrap the vault key. Nothing was changed. */
  'wrong_passphrase',
  /** The operation needs the vault key and the vault is locked. */
  'locked',
  /** `createVault` found a vault already in that database. */
  'exists',
  /** `openVault` found no vault in that database. */
  'no_vault',
  /** The vault holds no device identity yet (protocol-store.ts `open` before `create`). */
  'no_identity',
  /** A record failed authentication: tampered, truncated, or moved to another key. */
  'bad_mac',
  /** A stored structure is malformed (bad header, wrong lengths, bad value encoding). */
  'malformed',
  /** A stored structure names a format or KDF this build does not speak. */
  'unsupported_version',
  /** A value has the wrong type, length or range (a programming error). */
  'invalid_argument',
  /** The handle was closed or destroyed, or the database was deleted from elsewhere. */
  'closed',
  /**
   * A conditional write (`batch` with `expect`) found a record changed since it was read:
   * another tab or worker wrote it first. Nothing was written; read again and redo the step.
   */
  'conflict',
] as const;

export type VaultErrorCode = (typeof VAULT_ERROR_CODES)[number];

export class VaultError extends Error {
  override readonly name = 'VaultError';
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }

  /** True when `e` is a VaultError, and with `code` given, one with that code. */
  static is(e: unknown, code?: VaultErrorCode): e is VaultError {
    return e instanceof VaultError && (code === undefined || e.code === code);
  }
}

export function vaultFail(code: VaultErrorCode, message: string): VaultError {
  return new VaultError(code, message);
}
