import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PLAINTEXT, PAD_MIN } from './consts.ts';
import { pad, paddedLength, padme, unpad } from './padding.ts';

describe('padding', () => {
  it('round-trips any plaintext and hides its length inside the bucket', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (plaintext) => {
        const padded = pad(plaintext);
        expect(padded.length).toBe(paddedLength(plaintext.length));
        expect(padded.length).toBeGreaterThan(plaintext.length);
        expect(unpad(padded)).toEqual(plaintext);
      }),
    );
  });

  it('uses one 256-byte bucket for every short message', () => {
    for (const n of [0, 1, 100, 200, 255]) expect(paddedLength(n)).toBe(PAD_MIN);
    expect(paddedLength(256)).toBe(272);
  });

  it('Padmé: overhead at most 12% and buckets only grow', () => {
    let previous = 0;
    for (let n = 1; n <= MAX_PLAINTEXT; n += 37) {
      const b = paddedLength(n);
      expect(b).toBeGreaterThanOrEqual(previous);
      expect(b).toBeGreaterThanOrEqual(n + 1);
      if (n > PAD_MIN) expect((b - n - 1) / (n + 1)).toBeLessThanOrEqual(0.12);
      previous = b;
    }
    // Known values from the PURBs paper's definition.
    expect([padme(0), padme(1), padme(9), padme(1000), padme(5000), padme(65537)]).toEqual([0, 1, 10, 1024, 5120, 67584]);
  });

  it('rejects malformed padding', () => {
    expect(() => unpad(new Uint8Array(256))).toThrow(expect.objectContaining({ code: 'bad_padding' }));
    const bad = pad(Uint8Array.of(1, 2, 3));
    bad[200] = 1;
    expect(() => unpad(bad)).toThrow(expect.objectContaining({ code: 'bad_padding' }));
    expect(() => unpad(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'bad_padding' }));
  });

  it('refuses plaintexts over the message limit', () => {
    expect(() => pad(new Uint8Array(MAX_PLAINTEXT + 1))).toThrow(expect.objectContaining({ code: 'too_large' }));
  });
});
