// @vitest-environment node
import { argon2id } from '@noble/hashes/argon2.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { describe, expect, it } from 'vitest';
import { VaultError } from './errors.ts';
import { checkKdfCost, DEFAULT_KDF, deriveWrappingKey, encodeKdfParams, KDF_SALT_LEN, newKdfParams, normalizePassphrase, WRAPPING_KEY_LEN } from './kdf.ts';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return VaultError.is(e) ? e.code : 'not a VaultError';
  }
  return undefined;
};

describe('kdf', () => {
  it('is noble Argon2id / scrypt over the NFKC-normalised UTF-8 passphrase', async () => {
    const salt = new Uint8Array(KDF_SALT_LEN).fill(3);
    const a = await deriveWrappingKey('Ｐａｓｓ café', { algorithm: 'argon2id', m: 64, t: 2, p: 1, salt });
    expect(a).toEqual(argon2id(new TextEncoder().encode('Pass café'), salt, { m: 64, t: 2, p: 1, dkLen: 32 }));
    expect(a.length).toBe(WRAPPING_KEY_LEN);
    const s = await deriveWrappingKey('pass', { algorithm: 'scrypt', N: 16, r: 8, p: 1, salt });
    expect(s).toEqual(scrypt('pass', salt, { N: 16, r: 8, p: 1, dkLen: 32 }));
  });

  it('normalises with NFKC and refuses empty or non-string passphrases', () => {
    expect(normalizePassphrase('e\u0301')).toEqual(normalizePassphrase('\u00e9'));
    expect(normalizePassphrase('ﬁ')).toEqual(new TextEncoder().encode('fi'));
    expect(code(() => normalizePassphrase(''))).toBe('invalid_argument');
    expect(code(() => normalizePassphrase(42 as unknown as string))).toBe('invalid_argument');
  });

  it('new parameters get a fresh 16-byte salt; the default is Argon2id 19 MiB, t = 2, p = 1', () => {
    const a = newKdfParams();
    const b = newKdfParams();
    expect(a.salt.length).toBe(KDF_SALT_LEN);
    expect(a.salt).not.toEqual(b.salt);
    expect(DEFAULT_KDF).toEqual({ algorithm: 'argon2id', m: 19456, t: 2, p: 1 });
    expect(checkKdfCost(DEFAULT_KDF)).toEqual(DEFAULT_KDF);
  });

  it('refuses parameters out of range (a tampered header must not allocate gigabytes)', () => {
    expect(code(() => checkKdfCost({ algorithm: 'argon2id', m: 4 * 1024 * 1024, t: 2, p: 1 }))).toBe('invalid_argument');
    expect(code(() => checkKdfCost({ algorithm: 'argon2id', m: 7, t: 1, p: 1 }))).toBe('invalid_argument');
    expect(code(() => checkKdfCost({ algorithm: 'argon2id', m: 64, t: 0, p: 1 }))).toBe('invalid_argument');
    expect(code(() => checkKdfCost({ algorithm: 'argon2id', m: 64, t: 1.5, p: 1 }))).toBe('invalid_argument');
    expect(code(() => checkKdfCost({ algorithm: 'scrypt', N: 2 ** 22, r: 8, p: 1 }))).toBe('invalid_argument');
    expect(code(() => checkKdfCost({ algorithm: 'scrypt', N: 1000, r: 8, p: 1 }))).toBe('invalid_argument');
    expect(code(() => checkKdfCost({ algorithm: 'pbkdf2' } as never))).toBe('unsupported_version');
  });

  it('encodes parameters canonically, so any change alters the wrap AAD', () => {
    const salt = new Uint8Array(KDF_SALT_LEN).fill(1);
    const base = encodeKdfParams({ algorithm: 'argon2id', m: 64, t: 1, p: 1, salt });
    expect(encodeKdfParams({ algorithm: 'argon2id', m: 64, t: 1, p: 1, salt })).toEqual(base);
    for (const other of [
      { algorithm: 'argon2id', m: 65, t: 1, p: 1, salt },
      { algorithm: 'argon2id', m: 64, t: 2, p: 1, salt },
      { algorithm: 'argon2id', m: 64, t: 1, p: 2, salt },
      { algorithm: 'argon2id', m: 64, t: 1, p: 1, salt: new Uint8Array(KDF_SALT_LEN).fill(2) },
      { algorithm: 'scrypt', N: 64, r: 1, p: 1, salt },
    ] as const) {
      expect(encodeKdfParams(other)).not.toEqual(base);
    }
  });

  it('refuses a salt of the wrong length', async () => {
    await expect(deriveWrappingKey('pw', { algorithm: 'argon2id', m: 64, t: 1, p: 1, salt: new Uint8Array(8) })).rejects.toSatisfy((e) => VaultError.is(e, 'invalid_argument'));
  });
});
