/**
 * TEST ONLY. Computes the protocol's frozen known-answer transcript from fixed seeds:
 * identities, prekeys, bundle, PQXDH, first prekey message, sealed envelopes, a reply with a
 * DH ratchet step, and the serialized session records. `protocol.test.ts` recomputes it and
 * compares byte for byte with `protocol-v1.json`; `UPDATE_VECTORS=1 npx vitest run shared/protocol.test.ts`
 * regenerates the file (only ever on purpose, with a version bump and a PROTOCOL.md note).
 */
import { toHex } from '../encoding.ts';
import { deriveIdentity, encodePublicIdentity, rootSecretToPhrase } from '../keys.ts';
import { MemoryProtocolStore } from '../memory-store.ts';
import { paddedLength } from '../padding.ts';
import { encodeBundle, generateKemPreKey, generateOneTimePreKeys, generateSignedPreKey } from '../prekeys.ts';
import { openMessage, sealMessage, startSession } from '../session.ts';
import { seededProvider } from './seeded-provider.ts';
import { asMailboxId } from '../ids.ts';

const fill = (byte: number, n = 32) => new Uint8Array(n).fill(byte);

export async function computeProtocolVectors(): Promise<Record<string, unknown>> {
  const p = seededProvider('Confidant protocol vectors v1');
  const aliceRoot = fill(0xa1);
  const bobRoot = fill(0xb0);
  const alice = await deriveIdentity(aliceRoot, p);
  const bob = await deriveIdentity(bobRoot, p);
  const bobStore = await MemoryProtocolStore.create({ identity: bob, oneTime: 0, provider: p });
  // Replace the generated prekeys with ones made in a fixed order, so ids and keys are stable.
  bobStore.signedPreKeys.clear();
  bobStore.kemPreKeys.clear();
  const spk = await generateSignedPreKey(bob, 7, p);
  const kem = await generateKemPreKey(bob, 9, p);
  const [opk] = await generateOneTimePreKeys(100, 1, p);
  bobStore.signedPreKeys.set(spk.id, spk);
  bobStore.kemPreKeys.set(kem.id, kem);
  bobStore.oneTimePreKeys.set(opk!.id, opk!);
  const aliceStore = await MemoryProtocolStore.create({ identity: alice, oneTime: 0, provider: p });
  const bundle = bobStore.bundle();
  const mailboxToBob = asMailboxId(fill(0x0b, 16));
  const mailboxToAlice = asMailboxId(fill(0x0a, 16));
  const text = (s: string) => new TextEncoder().encode(s);

  await startSession(aliceStore, 'bob', bundle, { provider: p });
  const aliceRecordAfterStart = aliceStore.sessions.get('bob')!;
  const first = await sealMessage(aliceStore, 'bob', mailboxToBob, text('Hello, this is Alice.'), p);
  const openedFirst = await openMessage(bobStore, first, { provider: p, addressFor: () => 'alice' });
  const reply = await sealMessage(bobStore, 'alice', mailboxToAlice, text('Hi Alice, Bob here.'), p);
  const openedReply = await openMessage(aliceStore, reply, { provider: p, addressFor: () => 'bob' });
  const second = await sealMessage(aliceStore, 'bob', mailboxToBob, text('No more prekey header.'), p);
  await openMessage(bobStore, second, { provider: p, addressFor: () => 'alice' });

  return {
    description: 'Confidant protocol v1 frozen transcript; see shared/vectors/protocol.ts and docs/PROTOCOL.md',
    alice: {
      rootSecret: toHex(aliceRoot),
      phrase: rootSecretToPhrase(aliceRoot),
      signingSecret: toHex(alice.signing.secretKey),
      agreementSecret: toHex(alice.agreement.secretKey),
      publicIdentity: toHex(encodePublicIdentity(alice.publicIdentity)),
    },
    bob: {
      rootSecret: toHex(bobRoot),
      phrase: rootSecretToPhrase(bobRoot),
      publicIdentity: toHex(encodePublicIdentity(bob.publicIdentity)),
    },
    bundle: toHex(encodeBundle(bundle)),
    aliceSessionAfterStart: toHex(aliceRecordAfterStart),
    firstEnvelope: toHex(first),
    firstPlaintext: new TextDecoder().decode(openedFirst.plaintext),
    replyEnvelope: toHex(reply),
    replyPlaintext: new TextDecoder().decode(openedReply.plaintext),
    secondEnvelope: toHex(second),
    aliceSessionFinal: toHex(aliceStore.sessions.get('bob')!),
    bobSessionFinal: toHex(bobStore.sessions.get('alice')!),
    bobOneTimePreKeysLeft: bobStore.oneTimePreKeys.size,
    paddedLengths: Object.fromEntries([0, 1, 100, 255, 256, 300, 511, 1000, 5000, 65536].map((n) => [n, paddedLength(n)])),
    randomDraws: p.draws(),
  };
}
