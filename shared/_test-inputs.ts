/**
 * What the provider tests (provider.test.ts, provider-aead.test.ts) run over: both providers, the
 * AES-GCM size split, values that are not a Uint8Array and the wrong sizes of one. Test support
 * only: no product file imports it.
 * @module
 */
import { ConfidantError } from './errors.ts';
import { detectProvider, nobleProvider, type CryptoProvider } from './provider.ts';

/** Both providers, by name: every case runs on each. `web` is WebCrypto where it has the primitive. */
export const web = await detectProvider();
export const PROVIDERS = [
  ['webcrypto', web],
  ['noble', nobleProvider],
] as const satisfies readonly (readonly [string, CryptoProvider])[];

/** A size split for AES-GCM cases: inputs on both sides of 2 KiB, small messages and chunks alike. */
export const SIZE_SPLIT = 2048;

/** Values that are not a Uint8Array (a Uint16Array and a number[] of 32 bytes' worth included). */
export const NOT_BYTES: readonly (readonly [string, unknown])[] = [
  ['a string', 'x'.repeat(32)],
  ['a number[]', Array.from({ length: 32 }, () => 1)],
  ['an ArrayBuffer', new ArrayBuffer(32)],
  ['a Uint16Array', new Uint16Array(16)],
  ['a DataView', new DataView(new ArrayBuffer(32))],
  ['null', null],
  ['undefined', undefined],
];

/** `name` as Uint8Arrays of each of `sizes` (all wrong) and as every value of NOT_BYTES. */
export const wrongType = (name: string, sizes: readonly number[]): (readonly [string, unknown])[] => [
  ...sizes.map((n) => [`${name} of ${n} bytes`, new Uint8Array(n)] as const),
  ...NOT_BYTES.map(([what, v]) => [`${name} as ${what}`, v] as const),
];

/** The type system forbids these calls; the tests make them anyway, as a JS caller could. */
export const any = (v: unknown) => v as Uint8Array;

/** How awaiting `run` (sync throws included) failed: a ConfidantError's code, another error's name and message, or 'did not throw'. */
export async function failureOf(run: () => unknown): Promise<string> {
  let caught: unknown = 'did not throw';
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  return caught instanceof ConfidantError ? caught.code : `${(caught as Error)?.name ?? caught}: ${(caught as Error)?.message ?? ''}`;
}
