/**
 * Passphrase -> 256-bit wrapping key (docs/VAULT.md §KDF). Argon2id (RFC 9106) from
 * @noble/hashes, async variant so the page keeps painting; scrypt (RFC 7914) is also accepted
 * so a vault's parameters can name either. The parameters are stored with the vault (format 1
 * below), so they can be raised later by re-wrapping (`Vault.changePassphrase` with `kdf`).
 *
 * Default: Argon2id m = 19 MiB, t = 2, p = 1, OWASP's first Argon2id configuration. Chosen by
 * measurement (bench/vault/measure-kdf.ts, figures in docs/VAULT.md §3): with noble's pure-JS
 * code it costs about 0.30 s of CPU in Node and 0.38 s on Chromium's main thread on a 2-core
 * box, inside the 0.5 s unlock aim. Scrypt N = 2^15, r = 8 (32 MiB) is cheaper (0.19–0.27 s)
 * but OWASP rates this Argon2id like scrypt N = 2^17, about four times the attacker's cost;
 * RFC 9106's 64 MiB, t = 3 would take seconds in pure JS on a phone.
 *
 * The passphrase is normalised to Unicode NFKC before UTF-8 encoding, so the same words typed
 * on two keyboards (composed vs decomposed accents, full-width digits) unlock the same vault.
 * Does not: judge passphrase strength (the UI does), or store anything.
 * @module
 */
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { vaultFail } from './errors.ts';

/** Salt length: 128 bits, random per vault and per passphrase change. */
export const KDF_SALT_LEN = 16;
/** Output: one AES-256 key. */
export const WRAPPING_KEY_LEN = 32;
/** Longest time (ms) the KDF runs before yielding to the event loop (noble's `asyncTick`). */
const ASYNC_TICK_MS = 10;

export type KdfCost =
  | { readonly algorithm: 'argon2id'; readonly m: number; readonly t: number; readonly p: number }
  | { readonly algorithm: 'scrypt'; readonly N: number; readonly r: number; readonly p: number };

export type KdfParams = KdfCost & { readonly salt: Uint8Array };

/** Argon2id, 19 MiB (m is in KiB), 2 passes, 1 lane. See the module comment for the measurement. */
export const DEFAULT_KDF: KdfCost = Object.freeze({ algorithm: 'argon2id', m: 19 * 1024, t: 2, p: 1 });

/**
 * Upper bounds on stored parameters. The header is read from IndexedDB before anything is
 * authenticated, so a tampered header must not be able to make unlock allocate gigabytes.
 */
const MAX = { argon2idKiB: 256 * 1024, argon2idT: 16, scryptN: 2 ** 20, scryptR: 32, p: 4 } as const;

function checkInt(v: unknown, min: number, max: number, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw vaultFail('invalid_argument', `kdf ${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

/** Throws `invalid_argument` (or `unsupported_version` for an unknown algorithm) unless sane. */
export function checkKdfCost(cost: KdfCost): KdfCost {
  if (cost.algorithm === 'argon2id') {
    const p = checkInt(cost.p, 1, MAX.p, 'p');
    // RFC 9106 §3.1: m >= 8p KiB.
    return { algorithm: 'argon2id', m: checkInt(cost.m, 8 * p, MAX.argon2idKiB, 'm'), t: checkInt(cost.t, 1, MAX.argon2idT, 't'), p };
  }
  if (cost.algorithm === 'scrypt') {
    const N = checkInt(cost.N, 2, MAX.scryptN, 'N');
    if ((N & (N - 1)) !== 0) throw vaultFail('invalid_argument', `kdf N must be a power of two, got ${N}`);
    return { algorithm: 'scrypt', N, r: checkInt(cost.r, 1, MAX.scryptR, 'r'), p: checkInt(cost.p, 1, MAX.p, 'p') };
  }
  throw vaultFail('unsupported_version', `kdf algorithm ${String((cost as { algorithm?: unknown }).algorithm)}`);
}

/** Fresh parameters: `cost` (default `DEFAULT_KDF`) with a new random salt. */
export function newKdfParams(cost: KdfCost = DEFAULT_KDF): KdfParams {
  return { ...checkKdfCost(cost), salt: crypto.getRandomValues(new Uint8Array(KDF_SALT_LEN)) };
}

/** NFKC, then UTF-8. Empty (after normalisation) is refused. */
export function normalizePassphrase(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string') throw vaultFail('invalid_argument', `passphrase must be a string, got ${typeof passphrase}`);
  const normalized = passphrase.normalize('NFKC');
  if (normalized.length === 0) throw vaultFail('invalid_argument', 'passphrase is empty');
  return new TextEncoder().encode(normalized);
}

/**
 * Canonical bytes of the parameters (without the salt's meaning lost): bound as AAD to the
 * wrapped vault key, so a header whose parameters were edited no longer unwraps.
 */
export function encodeKdfParams(params: KdfParams): Uint8Array {
  const c = checkKdfCost(params);
  const nums = c.algorithm === 'argon2id' ? [1, 0x13, c.m, c.t, c.p] : [2, 0, c.N, c.r, c.p];
  const out = new Uint8Array(nums.length * 4 + 1 + params.salt.length);
  const view = new DataView(out.buffer);
  nums.forEach((n, i) => view.setUint32(i * 4, n, false));
  out[nums.length * 4] = params.salt.length;
  out.set(params.salt, nums.length * 4 + 1);
  return out;
}

/**
 * The 32-byte wrapping key for `passphrase` under `params`. The caller wipes it after use.
 * `onProgress` gets a fraction in [0, 1] (for an unlock progress bar).
 */
export async function deriveWrappingKey(passphrase: string, params: KdfParams, onProgress?: (fraction: number) => void): Promise<Uint8Array> {
  const c = checkKdfCost(params);
  if (!(params.salt instanceof Uint8Array) || params.salt.length !== KDF_SALT_LEN) {
    throw vaultFail('invalid_argument', `kdf salt must be ${KDF_SALT_LEN} bytes`);
  }
  const password = normalizePassphrase(passphrase);
  try {
    const common = { dkLen: WRAPPING_KEY_LEN, asyncTick: ASYNC_TICK_MS, ...(onProgress ? { onProgress } : {}) };
    if (c.algorithm === 'argon2id') return await argon2idAsync(password, params.salt, { ...common, m: c.m, t: c.t, p: c.p });
    return await scryptAsync(password, params.salt, { ...common, N: c.N, r: c.r, p: c.p });
  } finally {
    password.fill(0);
  }
}
