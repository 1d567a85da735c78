/**
 * The byte-level Ed25519 key rules the WebCrypto path applies before native verification must
 * be exactly noble strict's rules for public keys (provider.ts, PROTOCOL.md §1).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { _ED25519_REJECTED_KEYS, detectProvider, nobleProvider } from './provider.ts';
import { fromHex } from './encoding.ts';

describe('Ed25519 public-key rules of the WebCrypto path', () => {
  const keys = [..._ED25519_REJECTED_KEYS].map(fromHex);

  it('lists the whole torsion subgroup: eight distinct canonical small-order points', () => {
    const small = keys.filter((k) => {
      try {
        return ed25519.Point.fromBytes(k, false).isSmallOrder();
      } catch {
        return false;
      }
    });
    expect(small).toHaveLength(8);
    // Closed under addition, so it is the subgroup of order 8 (which has exactly 8 points).
    const hexes = new Set(small.map((k) => ed25519.Point.fromBytes(k, false).toHex()));
    for (const a of small) for (const b of small) {
      expect(hexes.has(ed25519.Point.fromBytes(a, false).add(ed25519.Point.fromBytes(b, false)).toHex())).toBe(true);
    }
  });

  it('the other entries are the two x = 0 points written as "-0", which noble strict refuses to decode', () => {
    const rest = keys.filter((k) => {
      try {
        ed25519.Point.fromBytes(k, false);
        return false;
      } catch {
        return true;
      }
    });
    expect(rest).toHaveLength(2);
    for (const k of rest) expect(k[31]! & 0x80).toBe(0x80);
  });

  it('both providers refuse every listed key, even with a signature made for it by brute force of the equation', async () => {
    const native = await detectProvider();
    const msg = new Uint8Array([1, 2, 3]);
    for (const k of keys) {
      // With a small-order A, R = [s]B and any s satisfy the cofactored equation: a classic forgery.
      const s = new Uint8Array(32);
      s[0] = 5;
      const R = ed25519.Point.BASE.multiply(5n).toBytes();
      const sig = new Uint8Array([...R, ...s]);
      expect(await native.ed25519Verify(k, msg, sig)).toBe(false);
      expect(await nobleProvider.ed25519Verify(k, msg, sig)).toBe(false);
    }
  });

  it('refuses non-canonical y (y >= p) on both paths', async () => {
    const native = await detectProvider();
    const sk = new Uint8Array(32).fill(9);
    const msg = new Uint8Array([4]);
    const sig = await nobleProvider.ed25519Sign(sk, msg);
    // p + 1 encodes the same point as y = 1 but is not canonical.
    const nonCanonical = fromHex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    expect(await native.ed25519Verify(nonCanonical, msg, sig)).toBe(false);
    expect(await nobleProvider.ed25519Verify(nonCanonical, msg, sig)).toBe(false);
  });
});
