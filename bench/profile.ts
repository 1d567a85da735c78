/**
 * Where the protocol's time goes: runs the `session_setup` and `message_1k_roundtrip` workloads
 * of protocol.bench.ts with the runtime provider wrapped in a timer, and prints (stderr) calls
 * and wall time per primitive per operation. Provider calls are serialized here (a call waits
 * for the previous one) so that their times do not overlap and add up: the total is a little
 * above the unprofiled one where the protocol runs DHs in parallel. "rest" is elapsed minus the
 * provider time: JS work (HKDF/HMAC, encodings, copies) and scheduling.
 * Not part of `npm run bench`. Usage: npx tsx bench/profile.ts
 * @module
 */
import { MemoryProtocolStore } from '../shared/memory-store.ts';
import { decodeBundle, encodeBundle } from '../shared/prekeys.ts';
import { getProvider, randomBytes, type CryptoProvider } from '../shared/provider.ts';
import { addressOf, openMessage, sealMessage, startSession } from '../shared/session.ts';
import { log } from './_harness.ts';
import { asMailboxId } from '../shared/ids.ts';

const stats = new Map<string, { calls: number; ms: number }>();
/** The tail of the serialized provider calls. */
let lock: Promise<unknown> = Promise.resolve();

function instrument(p: CryptoProvider): CryptoProvider {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(p)) {
    if (typeof value !== 'function') {
      out[name] = value;
      continue;
    }
    const f = value as (...args: unknown[]) => Promise<unknown>;
    out[name] = (...args: unknown[]) => {
      const run = lock.then(async () => {
        const t0 = performance.now();
        try {
          return await f(...args);
        } finally {
          const s = stats.get(name) ?? { calls: 0, ms: 0 };
          s.calls++;
          s.ms += performance.now() - t0;
          stats.set(name, s);
        }
      });
      lock = run.catch(() => {});
      return run;
    };
  }
  return out as unknown as CryptoProvider;
}

function report(title: string, ops: number, elapsedMs: number): void {
  const perOp = elapsedMs / ops;
  let summed = 0;
  log(`\n${title}: ${perOp.toFixed(3)} ms per op (${ops} ops)`);
  for (const [name, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) {
    summed += s.ms;
    log(`  ${name.padEnd(22)} ${(s.calls / ops).toFixed(1).padStart(5)} calls  ${(s.ms / ops).toFixed(3).padStart(7)} ms  ${((100 * s.ms) / elapsedMs).toFixed(0).padStart(3)}%`);
  }
  log(`  ${'rest (JS)'.padEnd(22)} ${''.padStart(11)}  ${((elapsedMs - summed) / ops).toFixed(3).padStart(7)} ms`);
}

const provider = instrument(await getProvider());
log(`provider: ${JSON.stringify(provider.implementation)}`);
const mailboxId = asMailboxId(randomBytes(16));

// Session setup: fresh Alice and Bob per op, keys made before timing.
{
  const plaintext = randomBytes(64);
  const pairs: { alice: MemoryProtocolStore; bob: MemoryProtocolStore; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 60; i++) {
    const [alice, bob] = await Promise.all([MemoryProtocolStore.create({ oneTime: 0 }), MemoryProtocolStore.create({ oneTime: 1 })]);
    pairs.push({ alice, bob, bytes: encodeBundle(bob.bundle()) });
  }
  const setup = async ({ alice, bob, bytes }: { alice: MemoryProtocolStore; bob: MemoryProtocolStore; bytes: Uint8Array }): Promise<void> => {
    const bundle = decodeBundle(bytes);
    const address = addressOf(bundle.identity);
    await startSession(alice, address, bundle, { provider });
    await openMessage(bob, await sealMessage(alice, address, mailboxId, plaintext, provider), { provider });
  };
  for (const p of pairs.slice(0, 20)) await setup(p);
  stats.clear();
  const t0 = performance.now();
  for (const p of pairs.slice(20)) await setup(p);
  report('session_setup', 40, performance.now() - t0);
}

// Messages: alternating direction, 1 KiB.
{
  const plaintext = randomBytes(1024);
  const alice = await MemoryProtocolStore.create({ oneTime: 0 });
  const bob = await MemoryProtocolStore.create({ oneTime: 1 });
  const toBob = addressOf(bob.identity.publicIdentity);
  await startSession(alice, toBob, bob.bundle(), { provider });
  const ends = [
    { from: alice, to: bob, address: toBob },
    { from: bob, to: alice, address: addressOf(alice.identity.publicIdentity) },
  ] as const;
  const message = async (i: number): Promise<void> => {
    const e = ends[i % 2]!;
    await openMessage(e.to, await sealMessage(e.from, e.address, mailboxId, plaintext, provider), { provider });
  };
  for (let i = 0; i < 100; i++) await message(i);
  stats.clear();
  const t0 = performance.now();
  for (let i = 0; i < 400; i++) await message(i);
  report('message_1k_roundtrip', 400, performance.now() - t0);
}
