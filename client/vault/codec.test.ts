// @vitest-environment node
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, type VaultValue } from './codec.ts';
import { VaultError } from './errors.ts';

const value: fc.Arbitrary<VaultValue> = fc.letrec<{ v: VaultValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('$b', '$$b', '$', '$x', '__proto__')), tie('v'), { maxKeys: 4 }),
  ),
})).v;

describe('codec', () => {
  it('round-trips JSON values with Uint8Array anywhere, including keys that look like markers', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeValue(encodeValue(v))).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps bytes as Uint8Array and drops undefined properties as JSON does', () => {
    const out = decodeValue<{ k: Uint8Array; list: Uint8Array[] }>(encodeValue({ k: Uint8Array.of(1, 2), list: [new Uint8Array(0)], gone: undefined }));
    expect(out.k).toBeInstanceOf(Uint8Array);
    expect(out.k).toEqual(Uint8Array.of(1, 2));
    expect(out.list[0]).toEqual(new Uint8Array(0));
    expect('gone' in out).toBe(false);
  });

  it('keeps a "__proto__" key as an own property, never as the prototype', () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as VaultValue;
    const out = decodeValue(encodeValue(v)) as unknown as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect((out as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: true });
  });

  it('refuses what would not round-trip', () => {
    const refuses = (v: unknown) => expect(() => encodeValue(v as VaultValue)).toThrow(VaultError);
    refuses(Number.NaN);
    refuses(Infinity);
    refuses(new Date());
    refuses(new Map());
    refuses([undefined]);
    refuses(() => 1);
    refuses(10n);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    refuses(cyclic);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    refuses(deep);
  });

  it('decoding garbage is malformed, never a partial value', () => {
    const malformed = (b: Uint8Array) => expect(() => decodeValue(b)).toThrow(expect.objectContaining({ code: 'malformed' }));
    malformed(new TextEncoder().encode('{"a":'));
    malformed(Uint8Array.of(0xff, 0xfe));
    malformed(new TextEncoder().encode('{"$b":"!!"}'));
    malformed(new TextEncoder().encode('{"$b":3}'));
    malformed(new TextEncoder().encode('{"$x":1}'));
  });
});
