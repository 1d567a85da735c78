/**
 * Protocol benchmarks against libsignal (issue 3, "Benchmarks"), both sides with sealed sender:
 *
 * - `session_setup`: bundle bytes -> parse -> Alice starts a session -> seals the first message
 *   -> Bob opens it -> plaintext checked. Two devices that have never met, per operation: each
 *   op gets a fresh Alice and a fresh Bob (identity, signed + ML-KEM/Kyber + one-time prekeys,
 *   sender certificate on libsignal's side), generated before the timed loop, so no cache of
 *   verified identities or imported keys can help either side.
 *   libsignal: `PreKeyBundle.new` from serialized keys -> `processPreKeyBundle` ->
 *   `sealedSenderEncryptMessage` -> `sealedSenderDecryptMessage` (certificate chain checked).
 * - `message_1k_roundtrip`: one established session; 1 KiB messages, direction alternating on
 *   every message (a DH ratchet step each), sealed and opened, session records serialized to
 *   bytes and parsed back on every load (MemoryProtocolStore does that for us; `_libsignal.ts`
 *   stores `SessionRecord.serialize()` bytes).
 * Both use the runtime's default provider on our side (WebCrypto where Node has it).
 * @module
 */
import {
  processPreKeyBundle,
  sealedSenderDecryptMessage,
  sealedSenderEncryptMessage,
} from '@signalapp/libsignal-client';
import { equalBytes } from '../shared/bytes.ts';
import { MemoryProtocolStore } from '../shared/memory-store.ts';
import { decodeBundle, encodeBundle } from '../shared/prekeys.ts';
import { randomBytes } from '../shared/provider.ts';
import { addressOf, openMessage, sealMessage, startSession } from '../shared/session.ts';
import { gc, type Comparison } from './_harness.ts';
import { makeTrust, Party, type Trust } from './_libsignal.ts';
import { asMailboxId } from '../shared/ids.ts';

const LIBSIGNAL = '@signalapp/libsignal-client';

function assertEqual(a: Uint8Array, b: Uint8Array, what: string): void {
  if (!equalBytes(a, b)) throw new Error(`${what}: plaintext mismatch`);
}

/** Measure `count` timed ops after an untimed `prepare` (key generation) and a GC. */
async function timed<T>(count: number, prepare: (i: number) => Promise<T> | T, op: (item: T) => Promise<void>): Promise<number> {
  const items: T[] = [];
  for (let i = 0; i < count; i++) items.push(await prepare(i));
  gc();
  const t0 = performance.now();
  for (const item of items) await op(item);
  return count / ((performance.now() - t0) / 1000);
}

export function sessionSetup(rounds: number): Comparison {
  const plaintext = randomBytes(64);
  const mailboxId = asMailboxId(randomBytes(16));
  const trust: Trust = makeTrust();
  // Per-round counts chosen so each side runs ~0.3-0.5 s per round on the reference machine.
  const oursOps = 32;
  const theirOps = 128;

  return {
    name: 'session_setup',
    unit: 'ops/s',
    anchor: LIBSIGNAL,
    rounds,
    warmup: 1,
    ours: () =>
      timed(
        oursOps,
        async () => {
          const [alice, bob] = await Promise.all([MemoryProtocolStore.create({ oneTime: 0 }), MemoryProtocolStore.create({ oneTime: 1 })]);
          return { alice, bob, bundleBytes: encodeBundle(bob.bundle()) };
        },
        async ({ alice, bob, bundleBytes }) => {
          const bundle = decodeBundle(bundleBytes);
          const address = addressOf(bundle.identity);
          await startSession(alice, address, bundle);
          const envelope = await sealMessage(alice, address, mailboxId, plaintext);
          const opened = await openMessage(bob, envelope);
          assertEqual(opened.plaintext, plaintext, 'ours session_setup');
        },
      ),
    theirs: () =>
      timed(
        theirOps,
        () => ({ alice: new Party(trust), bob: new Party(trust) }),
        async ({ alice, bob }) => {
          await processPreKeyBundle(bob.bundle(), bob.address, alice.address, alice.sessions, alice.identities);
          const sealed = await sealedSenderEncryptMessage(new Uint8Array(plaintext), bob.address, alice.certificate, alice.sessions, alice.identities);
          const result = await sealedSenderDecryptMessage(
            sealed, trust.rootPublic, Date.now(), null, bob.uuid, bob.deviceId,
            bob.sessions, bob.identities, bob.preKeys, bob.signedPreKeys, bob.kyberPreKeys,
          );
          assertEqual(result.message(), plaintext, 'libsignal session_setup');
        },
      ),
  };
}

export async function message1kRoundtrip(rounds: number): Promise<Comparison> {
  const plaintext = randomBytes(1024);
  const mailboxId = asMailboxId(randomBytes(16));
  const oursMessages = 160;
  const theirMessages = 320;

  // Ours: a session Alice -> Bob, answered once so neither side still sends prekey messages.
  const alice = await MemoryProtocolStore.create({ oneTime: 0 });
  const bob = await MemoryProtocolStore.create({ oneTime: 1 });
  const toBob = addressOf(bob.identity.publicIdentity);
  await startSession(alice, toBob, bob.bundle());
  const ends = [
    { from: alice, to: bob, address: toBob },
    { from: bob, to: alice, address: addressOf(alice.identity.publicIdentity) },
  ] as const;
  for (const e of ends) await openMessage(e.to, await sealMessage(e.from, e.address, mailboxId, plaintext));

  // libsignal: the same, with sender certificates.
  const trust = makeTrust();
  const la = new Party(trust);
  const lb = new Party(trust);
  await processPreKeyBundle(lb.bundle(), lb.address, la.address, la.sessions, la.identities);
  const theirEnds = [
    { from: la, to: lb },
    { from: lb, to: la },
  ] as const;
  const theirMessage = async (i: number): Promise<void> => {
    const { from, to } = theirEnds[i % 2]!;
    const sealed = await sealedSenderEncryptMessage(new Uint8Array(plaintext), to.address, from.certificate, from.sessions, from.identities);
    const result = await sealedSenderDecryptMessage(
      sealed, trust.rootPublic, Date.now(), null, to.uuid, to.deviceId,
      to.sessions, to.identities, to.preKeys, to.signedPreKeys, to.kyberPreKeys,
    );
    assertEqual(result.message(), plaintext, 'libsignal message');
  };
  for (let i = 0; i < 2; i++) await theirMessage(i);

  return {
    name: 'message_1k_roundtrip',
    unit: 'messages/s',
    anchor: LIBSIGNAL,
    rounds,
    warmup: 1,
    ours: async () => {
      const t0 = performance.now();
      for (let i = 0; i < oursMessages; i++) {
        const e = ends[i % 2]!;
        const opened = await openMessage(e.to, await sealMessage(e.from, e.address, mailboxId, plaintext));
        assertEqual(opened.plaintext, plaintext, 'ours message');
      }
      return oursMessages / ((performance.now() - t0) / 1000);
    },
    theirs: async () => {
      const t0 = performance.now();
      for (let i = 0; i < theirMessages; i++) await theirMessage(i);
      return theirMessages / ((performance.now() - t0) / 1000);
    },
  };
}
