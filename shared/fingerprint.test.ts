import { describe, expect, it } from 'vitest';
import { deriveIdentity } from './keys.ts';
import { formatSafetyNumber, matchesScanned, safetyNumber } from './fingerprint.ts';

const root = (b: number) => new Uint8Array(32).fill(b);

describe('safety numbers', () => {
  it('are the same on both devices, and QR scans match each other', async () => {
    const [a, b] = await Promise.all([deriveIdentity(root(1)), deriveIdentity(root(2))]);
    const onA = safetyNumber(a.publicIdentity, b.publicIdentity);
    const onB = safetyNumber(b.publicIdentity, a.publicIdentity);
    expect(onA.digits).toMatch(/^\d{60}$/);
    expect(onA.digits).toBe(onB.digits);
    expect(matchesScanned(onA, onB.qr)).toBe(true);
    expect(matchesScanned(onB, onA.qr)).toBe(true);
    expect(formatSafetyNumber(onA).split(' ')).toHaveLength(12);
  });

  it('change when either identity changes (a substituted key is visible)', async () => {
    const [a, b, m] = await Promise.all([deriveIdentity(root(1)), deriveIdentity(root(2)), deriveIdentity(root(3))]);
    const genuine = safetyNumber(a.publicIdentity, b.publicIdentity);
    const mitm = safetyNumber(a.publicIdentity, m.publicIdentity);
    expect(mitm.digits).not.toBe(genuine.digits);
    expect(matchesScanned(genuine, safetyNumber(m.publicIdentity, a.publicIdentity).qr)).toBe(false);
    // Our own QR shown back to us (not swapped) does not match either.
    expect(matchesScanned(genuine, genuine.qr)).toBe(false);
  });

  it('is frozen for fixed identities', async () => {
    const [a, b] = await Promise.all([deriveIdentity(root(0xa1)), deriveIdentity(root(0xb0))]);
    expect(formatSafetyNumber(safetyNumber(a.publicIdentity, b.publicIdentity))).toMatchInlineSnapshot(`"23106 54154 81900 54533 03605 82784 95403 04688 93977 70287 70834 92950"`);
  });

  it('rejects malformed QR payloads', async () => {
    const [a, b] = await Promise.all([deriveIdentity(root(1)), deriveIdentity(root(2))]);
    const n = safetyNumber(a.publicIdentity, b.publicIdentity);
    expect(() => matchesScanned(n, new Uint8Array(64))).toThrow(expect.objectContaining({ code: 'malformed' }));
    const v2 = n.qr.slice();
    v2[0] = 2;
    expect(() => matchesScanned(n, v2)).toThrow(expect.objectContaining({ code: 'unsupported_version' }));
  });
});
