import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aeadOpen, aeadSeal } from './_aead.ts';
import { fromHex, toHex } from './encoding.ts';

describe('message AEAD (ChaCha20-Poly1305, RFC 8439)', () => {
  it('matches RFC 8439 §2.8.2', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('070000004041424344454647');
    const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const sealed = aeadSeal(key, nonce, plaintext, aad);
    expect(toHex(sealed)).toBe(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
        '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
        '3ff4def08e4b7a9de576d26586cec64b6116' +
        '1ae10b594f09e26a7e902ecbd0600691',
    );
    expect(aeadOpen(key, nonce, sealed, aad)).toEqual(plaintext);
  });

  it('any change to ciphertext, tag, nonce or AAD is bad_mac', () => {
    const key = new Uint8Array(32).fill(1);
    const nonce = new Uint8Array(12).fill(2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.constantFrom('ct', 'nonce', 'aad'), (pt, aad, at, where) => {
        const sealed = aeadSeal(key, nonce, pt, aad);
        const target = where === 'ct' ? sealed.slice() : where === 'nonce' ? nonce.slice() : aad.slice();
        if (target.length === 0) return;
        target[at % target.length]! ^= 0x01;
        const args = where === 'ct' ? [key, nonce, target, aad] : where === 'nonce' ? [key, target, sealed, aad] : [key, nonce, sealed, target];
        expect(() => aeadOpen(args[0]!, args[1]!, args[2]!, args[3]!)).toThrow(expect.objectContaining({ code: 'bad_mac' }));
      }),
    );
  });

  it('rejects short ciphertexts as bad_mac and wrong key/nonce sizes as invalid_argument', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    expect(() => aeadOpen(key, nonce, new Uint8Array(15), new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'bad_mac' }));
    expect(() => aeadSeal(new Uint8Array(31), nonce, new Uint8Array(1), new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => aeadSeal(key, new Uint8Array(24), new Uint8Array(1), new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});
