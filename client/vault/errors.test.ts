// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { VAULT_ERROR_CODES, VaultError, vaultFail, type VaultErrorCode } from './errors.ts';

/** What the UI does with each code: a compile-time exhaustive map, so a new code must be placed. */
const HANDLING: Record<VaultErrorCode, 'ask_again' | 'unlock_screen' | 'setup' | 'report' | 'retry'> = {
  wrong_passphrase: 'ask_again',
  locked: 'unlock_screen',
  exists: 'unlock_screen',
  no_vault: 'setup',
  no_identity: 'setup',
  bad_mac: 'report',
  malformed: 'report',
  unsupported_version: 'report',
  invalid_argument: 'report',
  closed: 'unlock_screen',
  conflict: 'retry',
};

describe('VaultError', () => {
  it('every code has a handling, and only those codes exist', () => {
    expect(Object.keys(HANDLING).sort()).toEqual([...VAULT_ERROR_CODES].sort());
  });

  it('is() matches the type and, when given, the code', () => {
    const e = vaultFail('locked', 'vault is locked');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('locked: vault is locked');
    expect(VaultError.is(e)).toBe(true);
    expect(VaultError.is(e, 'locked')).toBe(true);
    expect(VaultError.is(e, 'bad_mac')).toBe(false);
    expect(VaultError.is(new Error('locked'))).toBe(false);
  });
});
