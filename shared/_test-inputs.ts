/**
 * Inputs that shared's input-check tests feed every export (provider.test.ts,
 * provider-aead.test.ts): values that are not a Uint8Array, and the wrong sizes of one. Test
 * support only: no product file imports it.
 * @module
 */

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
