/**
 * Session setup and message handling through the store, including the adversarial cases of
 * the X3DH/PQXDH specs: every rejected input leaves every store exactly as it was.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ConfidantError } from './errors.ts';
import { decodePreKeyMessage, encodePreKeyMessage } from './handshake.ts';
import { deriveIdentity, generateRootSecret } from './keys.ts';
import { MemoryProtocolStore } from './memory-store.ts';
import { generateSignedPreKey, makeBundle, verifyBundle, type PreKeyBundle } from './prekeys.ts';
import { getProvider } from './provider.ts';
import { openEnvelope, sealEnvelope } from './sealed.ts';
import { addressOf, decodeSessionRecord, openMessage, sealMessage, startSession } from './session.ts';
import { asMailboxId } from './ids.ts';

const MAILBOX = asMailboxId(new Uint8Array(16).fill(7));
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

const snapshot = (store: MemoryProtocolStore) => store.snapshot();

async function expectRejected(store: MemoryProtocolStore, envelope: Uint8Array, code: ConfidantError['code']) {
  const before = snapshot(store);
  await expect(openMessage(store, envelope)).rejects.toMatchObject({ code });
  expect(snapshot(store)).toEqual(before);
}

async function pair(options: { oneTime?: number } = {}) {
  const alice = await MemoryProtocolStore.create();
  const bob = await MemoryProtocolStore.create({ oneTime: options.oneTime ?? 2 });
  const bobAddress = addressOf(bob.identity.publicIdentity);
  const aliceAddress = addressOf(alice.identity.publicIdentity);
  return { alice, bob, bobAddress, aliceAddress };
}

/** A pair where Alice started a session and sealed 'x' to Bob: the prekey message's parts as Bob unseals them. */
async function firstPreKeyMessage() {
  const { alice, bob, bobAddress } = await pair();
  const p = await getProvider();
  await startSession(alice, bobAddress, bob.bundle());
  const { message } = await openEnvelope(bob.identity, await sealMessage(alice, bobAddress, MAILBOX, text('x')), p);
  return { alice, bob, bobAddress, p, ...decodePreKeyMessage(message) };
}

/** Eight small-order points of Curve25519 (u-coordinates), as listed by Bernstein and in Wycheproof. */
const LOW_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((h) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16))));

describe('session setup (PQXDH)', () => {
  it('Alice and Bob exchange messages both ways; the one-time prekey is consumed on success', async () => {
    const { alice, bob, bobAddress, aliceAddress } = await pair();
    await startSession(alice, bobAddress, bob.bundle());
    const opened = await openMessage(bob, await sealMessage(alice, bobAddress, MAILBOX, text('hello')));
    expect(str(opened.plaintext)).toBe('hello');
    expect(opened.address).toBe(aliceAddress);
    expect(bob.oneTimePreKeys.size).toBe(1);
    const reply = await openMessage(alice, await sealMessage(bob, aliceAddress, MAILBOX, text('hi')));
    expect(str(reply.plaintext)).toBe('hi');
    expect(decodeSessionRecord(alice.sessions.get(bobAddress)!).pendingPreKey).toBeUndefined();
  });

  it('works without a one-time prekey (the relay ran out)', async () => {
    const { alice, bob, bobAddress } = await pair({ oneTime: 0 });
    await startSession(alice, bobAddress, bob.bundle({ oneTimePreKeyId: null }));
    expect(str((await openMessage(bob, await sealMessage(alice, bobAddress, MAILBOX, text('no opk')))).plaintext)).toBe('no opk');
  });

  it('Alice repeats the prekey header until Bob answers, and Bob accepts each', async () => {
    const { alice, bob, bobAddress } = await pair();
    await startSession(alice, bobAddress, bob.bundle());
    const e1 = await sealMessage(alice, bobAddress, MAILBOX, text('one'));
    const e2 = await sealMessage(alice, bobAddress, MAILBOX, text('two'));
    // Delivered out of order: the second prekey message creates the session, the first is a skipped key.
    expect(str((await openMessage(bob, e2)).plaintext)).toBe('two');
    expect(str((await openMessage(bob, e1)).plaintext)).toBe('one');
  });

  it('a replayed prekey message is rejected as a duplicate', async () => {
    const { alice, bob, bobAddress } = await pair();
    await startSession(alice, bobAddress, bob.bundle());
    const first = await sealMessage(alice, bobAddress, MAILBOX, text('once'));
    await openMessage(bob, first);
    await expectRejected(bob, first, 'duplicate');
  });

  it('a replayed first message after its one-time prekey was used is refused (unknown_prekey)', async () => {
    const { alice, bob, bobAddress } = await pair();
    await startSession(alice, bobAddress, bob.bundle());
    const first = await sealMessage(alice, bobAddress, MAILBOX, text('once'));
    await openMessage(bob, first);
    bob.sessions.clear(); // e.g. the session was deleted; the prekey must still be gone
    await expectRejected(bob, first, 'unknown_prekey');
  });

  it('a replayed prekey message of a replaced session is refused even without a one-time prekey', async () => {
    const { alice, bob, bobAddress } = await pair({ oneTime: 0 });
    await startSession(alice, bobAddress, bob.bundle({ oneTimePreKeyId: null }));
    const old = await sealMessage(alice, bobAddress, MAILBOX, text('old session'));
    await openMessage(bob, old);
    await startSession(alice, bobAddress, bob.bundle({ oneTimePreKeyId: null }), { expectedIdentity: bob.identity.publicIdentity });
    await openMessage(bob, await sealMessage(alice, bobAddress, MAILBOX, text('new session')));
    await expectRejected(bob, old, 'duplicate');
  });

  it('a one-time prekey handed out twice serves only the first session', async () => {
    const { bob, bobAddress } = await pair();
    const bundle = bob.bundle({ oneTimePreKeyId: 1 });
    const alice1 = await MemoryProtocolStore.create();
    const alice2 = await MemoryProtocolStore.create();
    await startSession(alice1, bobAddress, bundle);
    await startSession(alice2, bobAddress, bundle);
    await openMessage(bob, await sealMessage(alice1, bobAddress, MAILBOX, text('first')));
    await expectRejected(bob, await sealMessage(alice2, bobAddress, MAILBOX, text('second')), 'unknown_prekey');
  });

  it('a failed first-message decrypt leaves every store untouched', async () => {
    const { alice, bob, bobAddress } = await pair();
    const p = await getProvider();
    await startSession(alice, bobAddress, bob.bundle());
    const record = decodeSessionRecord(alice.sessions.get(bobAddress)!);
    const good = await sealMessage(alice, bobAddress, MAILBOX, text('x'));
    // Re-seal a prekey message whose ratchet ciphertext has one flipped bit: the outer layers are valid.
    const { message } = await openEnvelope(bob.identity, good, p);
    const { header, ratchetMessage } = decodePreKeyMessage(message);
    ratchetMessage[ratchetMessage.length - 1]! ^= 1;
    const bad = await sealEnvelope(alice.identity, record.remoteIdentity, MAILBOX, { type: 2, message: encodePreKeyMessage(header, ratchetMessage) }, p);
    await expectRejected(bob, bad, 'bad_mac');
    // ...and the genuine message still opens afterwards.
    expect(str((await openMessage(bob, good)).plaintext)).toBe('x');
  });

  it('a tampered prekey header (any field) fails the handshake and changes nothing', async () => {
    const { alice, bob, bobAddress, p, header, ratchetMessage } = await firstPreKeyMessage();
    const variants = [
      { ...header, kemCiphertext: header.kemCiphertext.map((b, i) => (i === 5 ? b ^ 1 : b)) },
      { ...header, baseKey: (await p.x25519Generate()).publicKey },
      { ...header, signedPreKeyId: 99 },
      { ...header, oneTimePreKeyId: 2 },
    ];
    const codes = [];
    for (const h of variants) {
      const env = await sealEnvelope(alice.identity, bob.identity.publicIdentity, MAILBOX, { type: 2, message: encodePreKeyMessage(h, ratchetMessage) }, p);
      const before = snapshot(bob);
      codes.push(await openMessage(bob, env).then(() => 'opened', (e: ConfidantError) => e.code));
      expect(snapshot(bob)).toEqual(before);
    }
    expect(codes).toEqual(['bad_mac', 'bad_mac', 'unknown_prekey', 'bad_mac']);
  });
});

describe('bundle verification', () => {
  async function bundleOf() {
    const bob = await MemoryProtocolStore.create();
    return { bob, bundle: bob.bundle() };
  }

  it('accepts a genuine bundle', async () => {
    const { bundle } = await bundleOf();
    await verifyBundle(bundle);
  });

  it('rejects identity-key substitution: a swapped agreement key breaks the certificate', async () => {
    const { bundle } = await bundleOf();
    const mallory = await deriveIdentity(generateRootSecret());
    const forged: PreKeyBundle = { ...bundle, identity: { ...bundle.identity, agreementKey: mallory.agreement.publicKey } };
    await expect(verifyBundle(forged)).rejects.toMatchObject({ code: 'bad_signature' });
  });

  it("rejects another identity's certificate over Bob's prekeys", async () => {
    const { bundle } = await bundleOf();
    const mallory = await deriveIdentity(generateRootSecret());
    await expect(verifyBundle({ ...bundle, identity: mallory.publicIdentity })).rejects.toMatchObject({ code: 'bad_signature' });
  });

  it('rejects a fully re-signed bundle for a pinned identity (identity_mismatch)', async () => {
    const { bob } = await bundleOf();
    const mallory = await MemoryProtocolStore.create();
    await verifyBundle(mallory.bundle()); // valid on its own...
    await expect(verifyBundle(mallory.bundle(), bob.identity.publicIdentity)).rejects.toMatchObject({ code: 'identity_mismatch' });
    const alice = await MemoryProtocolStore.create();
    await expect(startSession(alice, 'bob', mallory.bundle(), { expectedIdentity: bob.identity.publicIdentity })).rejects.toMatchObject({
      code: 'identity_mismatch',
    });
    expect(alice.sessions.size).toBe(0);
  });

  it('rejects unsigned, wrongly signed and re-labelled prekeys', async () => {
    const { bundle } = await bundleOf();
    const zero = new Uint8Array(64);
    const other = await deriveIdentity(generateRootSecret());
    const cases: PreKeyBundle[] = [
      { ...bundle, signedPreKey: { ...bundle.signedPreKey, signature: zero } },
      { ...bundle, kemPreKey: { ...bundle.kemPreKey, signature: zero } },
      { ...bundle, signedPreKey: { ...bundle.signedPreKey, signature: ed25519.sign(bundle.signedPreKey.publicKey, other.signing.secretKey) } },
      { ...bundle, signedPreKey: { ...bundle.signedPreKey, id: bundle.signedPreKey.id + 1 } },
      { ...bundle, kemPreKey: { ...bundle.kemPreKey, id: bundle.kemPreKey.id + 1 } },
      // A signed-prekey signature presented as the KEM prekey's: labels differ, so it fails.
      { ...bundle, kemPreKey: { ...bundle.kemPreKey, signature: bundle.signedPreKey.signature } },
    ];
    for (const c of cases) await expect(verifyBundle(c)).rejects.toMatchObject({ code: 'bad_signature' });
  });

  it('rejects low-order signed prekeys even when properly signed (all-zero DH output)', async () => {
    const bob = await MemoryProtocolStore.create();
    const alice = await MemoryProtocolStore.create();
    const p = await getProvider();
    for (const point of LOW_ORDER_POINTS) {
      const spk = await generateSignedPreKey(bob.identity, 1, p);
      const evil = { ...spk, keyPair: { ...spk.keyPair, publicKey: point } };
      const resigned = await generateSignedPreKey(bob.identity, 1, {
        ...p,
        x25519Generate: async () => evil.keyPair,
      });
      const bundle = makeBundle(bob.identity, resigned, [...bob.kemPreKeys.values()][0]!);
      await expect(startSession(alice, 'bob', bundle)).rejects.toMatchObject({ code: 'invalid_key' });
    }
    expect(alice.sessions.size).toBe(0);
  });

  it('rejects a low-order base key in a prekey message without touching the store', async () => {
    const { alice, bob, bobAddress, p, header, ratchetMessage } = await firstPreKeyMessage();
    for (const point of LOW_ORDER_POINTS) {
      const env = await sealEnvelope(alice.identity, bob.identity.publicIdentity, MAILBOX, {
        type: 2,
        message: encodePreKeyMessage({ ...header, baseKey: point }, ratchetMessage),
      }, p);
      await expectRejected(bob, env, 'invalid_key');
    }
  });
});

describe('sealed sender', () => {
  it('hides the sender: only version, mailbox id and ciphertext are outside', async () => {
    const { alice, bob, bobAddress } = await pair();
    await startSession(alice, bobAddress, bob.bundle());
    const env = await sealMessage(alice, bobAddress, MAILBOX, text('secret words'));
    expect(env[0]).toBe(1);
    expect(env.subarray(1, 17)).toEqual(MAILBOX);
    const hay = Buffer.from(env);
    for (const key of [alice.identity.signing.publicKey, alice.identity.agreement.publicKey, alice.identity.publicIdentity.certificate]) {
      expect(hay.indexOf(Buffer.from(key))).toBe(-1);
    }
    expect(hay.indexOf(Buffer.from('secret words'))).toBe(-1);
  });

  it('an envelope for someone else, or with a low-order ephemeral key, is rejected', async () => {
    const { alice, bob, bobAddress } = await pair();
    const carol = await MemoryProtocolStore.create();
    await startSession(alice, bobAddress, bob.bundle());
    const env = await sealMessage(alice, bobAddress, MAILBOX, text('for bob'));
    await expectRejected(carol, env, 'bad_mac');
    for (const point of LOW_ORDER_POINTS) {
      const forged = env.slice();
      forged.set(point, 17);
      await expectRejected(bob, forged, 'invalid_key');
    }
  });

  it('a sender cannot claim another identity inside the envelope', async () => {
    const { alice, bob } = await pair();
    const mallory = await deriveIdentity(generateRootSecret());
    const p = await getProvider();
    // Mallory seals with her key but puts Alice's certificate inside.
    const forged = await sealEnvelope({ ...mallory, publicIdentity: alice.identity.publicIdentity }, bob.identity.publicIdentity, MAILBOX, { type: 1, message: new Uint8Array(80) }, p);
    await expect(openEnvelope(bob.identity, forged, p)).rejects.toMatchObject({ code: 'identity_mismatch' });
  });

  it('any single-bit flip anywhere in an envelope is rejected and leaves every store unchanged', async () => {
    const { alice, bob, bobAddress, aliceAddress } = await pair();
    await startSession(alice, bobAddress, bob.bundle());
    const prekeyEnvelope = await sealMessage(alice, bobAddress, MAILBOX, text('first, with the PQXDH header'));
    await openMessage(bob, prekeyEnvelope);
    const replyEnvelope = await sealMessage(bob, aliceAddress, MAILBOX, text('a reply: ratchet message'));
    const prekey2 = await sealMessage(alice, bobAddress, MAILBOX, text('second prekey message'));
    for (const [store, envelope] of [[bob, prekey2], [alice, replyEnvelope]] as const) {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: envelope.length * 8 - 1 }), async (bit) => {
          const tampered = envelope.slice();
          tampered[bit >> 3]! ^= 1 << (bit & 7);
          const before = snapshot(store);
          const err = await openMessage(store, tampered).then(() => undefined, (e: unknown) => e);
          expect(err).toBeInstanceOf(ConfidantError);
          expect(snapshot(store)).toEqual(before);
        }),
        { numRuns: 60 },
      );
      // The genuine envelope still opens.
      await openMessage(store, envelope);
    }
  });

  it('rejects truncated and garbage envelopes with typed errors', async () => {
    const { bob } = await pair();
    for (const bytes of [new Uint8Array(0), new Uint8Array(10), new Uint8Array(400), Uint8Array.of(2, ...new Uint8Array(300))]) {
      const before = snapshot(bob);
      const err = await openMessage(bob, bytes).catch((e) => e);
      expect(err).toBeInstanceOf(ConfidantError);
      expect(['malformed', 'unsupported_version', 'bad_mac', 'invalid_key']).toContain(err.code);
      expect(snapshot(bob)).toEqual(before);
    }
  });
});
