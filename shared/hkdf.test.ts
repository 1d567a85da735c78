/**
 * HKDF-SHA-256 (RFC 5869) from @noble/hashes, called the way the protocol calls it
 * (`hkdf(sha256, ikm, salt, info, length)`, e.g. attachment.ts): every Project Wycheproof
 * `hkdf_sha256_test.json` case (valid ones give the expected OKM, invalid ones throw) and the
 * three SHA-256 test cases of RFC 5869 Appendix A, PRK included. Sources: vectors/README.md.
 */
import { expand, extract, hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import wycheproof from './vectors/wycheproof_hkdf_sha256.json';

interface WycheproofHkdf {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly size: number;
  readonly okm: string;
  readonly result: 'valid' | 'invalid' | 'acceptable';
}

const cases: readonly WycheproofHkdf[] = wycheproof.testGroups.flatMap((g) => g.tests as WycheproofHkdf[]);

describe('HKDF-SHA-256: Wycheproof hkdf_sha256_test.json', () => {
  it('holds every test case of the file', () => {
    expect(wycheproof.algorithm).toBe('HKDF-SHA-256');
    expect(cases).toHaveLength(wycheproof.numberOfTests);
    expect(new Set(cases.map((c) => c.tcId)).size).toBe(wycheproof.numberOfTests);
    expect(cases.every((c) => c.result === 'valid' || c.result === 'invalid')).toBe(true);
  });

  it.each(cases.filter((c) => c.result === 'valid').map((c) => [c.tcId, c.comment || c.flags.join(','), c] as const))(
    'tcId %i (%s) derives the expected OKM',
    (_id, _what, c) => {
      const okm = hkdf(sha256, hexToBytes(c.ikm), hexToBytes(c.salt), hexToBytes(c.info), c.size);
      expect(bytesToHex(okm)).toBe(c.okm);
    },
  );

  it.each(cases.filter((c) => c.result === 'invalid').map((c) => [c.tcId, c.comment || c.flags.join(','), c] as const))(
    'tcId %i (%s) is refused',
    (_id, _what, c) => {
      expect(() => hkdf(sha256, hexToBytes(c.ikm), hexToBytes(c.salt), hexToBytes(c.info), c.size)).toThrow();
    },
  );

  it('the longest output allowed is 255 · 32 bytes; one more byte throws', () => {
    const ikm = new Uint8Array(32);
    expect(hkdf(sha256, ikm, undefined, undefined, 255 * 32)).toHaveLength(8160);
    expect(() => hkdf(sha256, ikm, undefined, undefined, 255 * 32 + 1)).toThrow();
  });
});

/** RFC 5869 Appendix A, test cases 1-3 (SHA-256), typed from the RFC. */
const RFC5869 = [
  {
    name: 'A.1 basic',
    ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
    salt: '000102030405060708090a0b0c',
    info: 'f0f1f2f3f4f5f6f7f8f9',
    length: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'A.2 longer inputs and outputs',
    ikm:
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' +
      '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f' +
      '404142434445464748494a4b4c4d4e4f',
    salt:
      '606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f' +
      '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f' +
      'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
    info:
      'b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf' +
      'd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef' +
      'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
    length: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm:
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
      'cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'A.3 zero-length salt and info',
    ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
    salt: '',
    info: '',
    length: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
] as const;

describe('HKDF-SHA-256: RFC 5869 Appendix A', () => {
  it.each(RFC5869.map((v) => [v.name, v] as const))('%s: PRK and OKM match', (_name, v) => {
    const ikm = hexToBytes(v.ikm);
    const salt = hexToBytes(v.salt);
    const info = hexToBytes(v.info);
    expect(bytesToHex(extract(sha256, ikm, salt))).toBe(v.prk);
    expect(bytesToHex(expand(sha256, hexToBytes(v.prk), info, v.length))).toBe(v.okm);
    expect(bytesToHex(hkdf(sha256, ikm, salt, info, v.length))).toBe(v.okm);
  });

  it('an absent salt is the zero-length salt (A.3), which is HashLen zero bytes', () => {
    const v = RFC5869[2];
    const ikm = hexToBytes(v.ikm);
    expect(bytesToHex(hkdf(sha256, ikm, undefined, undefined, v.length))).toBe(v.okm);
    expect(bytesToHex(hkdf(sha256, ikm, new Uint8Array(32), new Uint8Array(0), v.length))).toBe(v.okm);
  });
});
