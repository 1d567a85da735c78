/**
 * Provider benchmarks: the WebCrypto path of `detectProvider()` against our own noble path, so
 * the team can see what the native provider buys per primitive. Inputs rotate over pools of
 * keys as in the protocol (ratchet keys are used a few times each, identities repeat), so the
 * provider's key-handle cache sees realistic hit rates.
 * @module
 */
import { detectProvider, nobleProvider, randomBytes, type CryptoProvider, type KeyPair } from '../shared/provider.ts';
import { log, opsPerSecond, type Comparison } from './_harness.ts';

const POOL = 64;

interface Pools {
  readonly pairs: KeyPair[];
  readonly peers: Uint8Array[];
  readonly signed: { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }[];
}

async function pools(p: CryptoProvider): Promise<Pools> {
  const pairs: KeyPair[] = [];
  const peers: Uint8Array[] = [];
  const signed: Pools['signed'] = [];
  for (let i = 0; i < POOL; i++) {
    pairs.push(await p.x25519Generate());
    peers.push((await nobleProvider.x25519Generate()).publicKey);
    const secret = randomBytes(32);
    const message = randomBytes(100);
    signed.push({ publicKey: await p.ed25519PublicKey(secret), message, signature: await p.ed25519Sign(secret, message) });
  }
  return { pairs, peers, signed };
}

export async function providerBenches(rounds: number): Promise<Comparison[]> {
  const native = await detectProvider('native');
  const [nat, nob] = await Promise.all([pools(native), pools(nobleProvider)]);
  const impl = native.implementation;
  // Names stay stable across runtimes; which path "ours" took goes to stderr.
  log(`  detectProvider(): x25519 ${impl.x25519}, ed25519 ${impl.ed25519}`);
  const side = (ops: number, p: CryptoProvider, pool: Pools, kind: 'x25519' | 'verify' | 'gen'): (() => Promise<number>) => {
    if (kind === 'x25519') return () => opsPerSecond(ops, (i) => p.x25519(pool.pairs[i % POOL]!.secretKey, pool.peers[(i * 7) % POOL]!));
    if (kind === 'gen') return () => opsPerSecond(ops, () => p.x25519Generate());
    return () =>
      opsPerSecond(ops, async (i) => {
        const s = pool.signed[i % POOL]!;
        if (!(await p.ed25519Verify(s.publicKey, s.message, s.signature))) throw new Error('ed25519 verify failed');
      });
  };
  return [
    {
      name: 'provider_x25519',
      unit: 'ops/s',
      anchor: 'nobleProvider (@noble/curves)',
      rounds,
      ours: side(600, native, nat, 'x25519'),
      theirs: side(100, nobleProvider, nob, 'x25519'),
    },
    {
      name: 'provider_x25519_generate',
      unit: 'ops/s',
      anchor: 'nobleProvider (@noble/curves)',
      rounds,
      ours: side(600, native, nat, 'gen'),
      theirs: side(300, nobleProvider, nob, 'gen'),
    },
    {
      name: 'provider_ed25519_verify',
      unit: 'ops/s',
      anchor: 'nobleProvider (@noble/curves, zip215: false)',
      rounds,
      ours: side(600, native, nat, 'verify'),
      theirs: side(100, nobleProvider, nob, 'verify'),
    },
  ];
}
