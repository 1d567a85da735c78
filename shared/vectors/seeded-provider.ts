/**
 * TEST ONLY. A provider whose key generation and KEM randomness come from a fixed seed, so the
 * frozen vectors in this folder are reproducible. Everything else delegates to the base
 * provider. Never imported by production code (purity.test.ts and the shared/ index keep it out).
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { u32be, utf8 } from '../_bytes.ts';
import { hkdf } from '../_kdf.ts';
import { nobleProvider, type CryptoProvider } from '../provider.ts';

export function seededProvider(seed: string, base: CryptoProvider = nobleProvider): CryptoProvider & { draws(): number } {
  const seedBytes = utf8.encode(seed);
  let counter = 0;
  const next = (n: number) => hkdf(seedBytes, undefined, 'Confidant TEST-ONLY deterministic randomness', n, u32be(counter++));
  return {
    ...base,
    draws: () => counter,
    async x25519Generate() {
      const secretKey = next(32);
      return { secretKey, publicKey: await base.x25519PublicKey(secretKey) };
    },
    async mlkem768Generate() {
      return ml_kem768.keygen(next(64));
    },
    async mlkem768Encapsulate(publicKey: Uint8Array) {
      return ml_kem768.encapsulate(publicKey, next(32));
    },
  };
}
