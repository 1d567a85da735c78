import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abytes, au32, concat, Reader, Writer } from './_bytes.ts';
import { equalBytes } from './bytes.ts';
import { fromBase64url, fromHex, toBase64url, toHex } from './encoding.ts';

describe('binary reader and writer', () => {
  it('round-trip any sequence of fields', () => {
    fc.assert(
      fc.property(fc.nat({ max: 255 }), fc.nat({ max: 0xffff_ffff }), fc.uint8Array({ maxLength: 64 }), fc.option(fc.uint8Array({ minLength: 8, maxLength: 8 }), { nil: undefined }), (a, b, c, d) => {
        const bytes = new Writer().u8(a).u32(b).bytes(c).optional(d).finish();
        const r = new Reader(bytes, 'test');
        expect([r.u8(), r.u32(), r.bytes(1024), r.optional(8)]).toEqual([a, b, c, d]);
        r.end();
      }),
    );
  });

  it('every truncation is malformed, never an out-of-range read', () => {
    const bytes = new Writer().u8(1).u32(7).bytes(new Uint8Array(10)).optional(new Uint8Array(4)).finish();
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = new Reader(bytes.subarray(0, cut), 'test');
      expect(() => {
        r.u8();
        r.u32();
        r.bytes(1024);
        r.optional(4);
        r.end();
      }).toThrow(expect.objectContaining({ code: 'malformed' }));
    }
  });

  it('rejects trailing bytes, oversized length prefixes and bad presence bytes', () => {
    expect(() => new Reader(Uint8Array.of(1, 2), 't').end()).toThrow(expect.objectContaining({ code: 'malformed' }));
    const huge = new Writer().u32(5000).finish();
    expect(() => new Reader(huge, 't').bytes(4096)).toThrow(/exceeds 4096/);
    expect(() => new Reader(Uint8Array.of(2, 0), 't').optional(1)).toThrow(/presence byte 2/);
  });
});

describe('byte helpers', () => {
  it('equalBytes compares content and length', () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        expect(equalBytes(a, b)).toBe(a.length === b.length && a.every((x, i) => x === b[i]));
        expect(equalBytes(a, a.slice())).toBe(true);
      }),
    );
  });

  it('equalBytes reads every byte whatever the content (constant time), and only a length difference ends it early', () => {
    /** `bytes` behind a proxy that counts reads of its elements. */
    const counted = (bytes: Uint8Array) => {
      const reads = { n: 0 };
      const proxy = new Proxy(bytes, {
        get(target, key) {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads.n++;
          const value: unknown = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return { proxy, reads };
    };
    for (const differAt of [0, 1, 31]) {
      const other = new Uint8Array(32);
      other[differAt] = 1;
      const a = counted(new Uint8Array(32));
      expect(equalBytes(a.proxy, other)).toBe(false);
      expect(a.reads.n, `differing at ${differAt}`).toBe(32);
    }
    const short = counted(new Uint8Array(31));
    expect(equalBytes(short.proxy, new Uint8Array(32))).toBe(false);
    expect(short.reads.n).toBe(0);
  });

  it('equalBytes refuses anything but two Uint8Arrays', () => {
    expect(() => equalBytes('ab' as unknown as Uint8Array, Uint8Array.of(1))).toThrow('invalid_argument: a must be a Uint8Array, got string');
    expect(() => equalBytes(Uint8Array.of(1), [1] as unknown as Uint8Array)).toThrow('invalid_argument: b must be a Uint8Array, got object');
  });

  it('concat joins in order', () => {
    expect(concat(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('argument checks name the argument and say expected vs got', () => {
    expect(() => abytes('x', 32, 'key')).toThrow('invalid_argument: key must be a Uint8Array, got string');
    expect(() => abytes(new Uint8Array(31), 32, 'key')).toThrow('invalid_argument: key must be 32 bytes, got 31');
    expect(() => au32(-1, 'id')).toThrow(/id must be a uint32/);
    expect(() => au32(2 ** 32, 'id')).toThrow(/uint32/);
    expect(() => au32(1.5, 'id')).toThrow(/uint32/);
  });
});

describe('text encodings', () => {
  it('base64url and hex round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(fromBase64url(toBase64url(b))).toEqual(b);
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
  });

  it('strict base64url: no padding, no standard alphabet, no non-canonical tail, exact length', () => {
    expect(() => fromBase64url('AQ==')).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => fromBase64url('+/8')).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => fromBase64url('AR')).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => fromBase64url('AQ', 2)).toThrow(/expected 2/);
    expect(() => fromHex('zz')).toThrow(expect.objectContaining({ code: 'malformed' }));
  });
});
