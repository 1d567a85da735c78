/**
 * Double Ratchet properties (fast-check) at the pure-state level: delivery order, duplication
 * and loss; the skipped-key bounds; single-bit tampering; serialization round trips.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_SKIP, MAX_STORED_SKIPPED_KEYS } from './consts.ts';
import { ConfidantError } from './errors.ts';
import { getProvider, type CryptoProvider } from './provider.ts';
import {
  decodeRatchetState,
  encodeRatchetState,
  initAlice,
  initBob,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from './ratchet.ts';

let p: CryptoProvider;
beforeAll(async () => {
  p = await getProvider();
});

const AD = new Uint8Array(64).fill(3);

/** Two fresh ratchets sharing a secret, as PQXDH would leave them. */
async function fresh(): Promise<[RatchetState, RatchetState]> {
  const sk = crypto.getRandomValues(new Uint8Array(32));
  const bobSpk = await p.x25519Generate();
  return [await initAlice(sk, AD, bobSpk.publicKey, p), initBob(sk, AD, bobSpk)];
}

/** Both sides have sent and received once, so either may send. */
async function established(): Promise<[RatchetState, RatchetState]> {
  let [a, b] = await fresh();
  const m1 = await ratchetEncrypt(a, Uint8Array.of(1), p);
  a = m1.state;
  b = (await ratchetDecrypt(b, m1.message, p)).state;
  const m2 = await ratchetEncrypt(b, Uint8Array.of(2), p);
  b = m2.state;
  a = (await ratchetDecrypt(a, m2.message, p)).state;
  return [a, b];
}

async function rejectsUnchanged(state: RatchetState, message: Uint8Array, codes: ConfidantError['code'][]) {
  const before = encodeRatchetState(state);
  const err = await ratchetDecrypt(state, message, p).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfidantError);
  expect(codes).toContain((err as ConfidantError).code);
  expect(encodeRatchetState(state)).toEqual(before);
}

type Op = { kind: 'send'; from: 0 | 1 } | { kind: 'deliver'; pick: number } | { kind: 'redeliver'; pick: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), from: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat() }),
);

describe('Double Ratchet', () => {
  it('any delivery order, duplication and loss decrypts every delivered message exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }), async (ops, finalOrder) => {
        const states = await established();
        type InFlight = { to: 0 | 1; message: Uint8Array; body: Uint8Array };
        const pending: InFlight[] = [];
        const delivered: InFlight[] = [];
        let counter = 0;
        const deliver = async (m: InFlight) => {
          const { state, plaintext } = await ratchetDecrypt(states[m.to], m.message, p);
          expect(plaintext).toEqual(m.body);
          states[m.to] = state;
          delivered.push(m);
        };
        for (const op of ops) {
          if (op.kind === 'send') {
            const body = new TextEncoder().encode(`message ${counter++} from ${op.from}`);
            const { state, message } = await ratchetEncrypt(states[op.from], body, p);
            states[op.from] = state;
            pending.push({ to: op.from === 0 ? 1 : 0, message, body });
          } else if (op.kind === 'deliver' && pending.length > 0) {
            await deliver(pending.splice(op.pick % pending.length, 1)[0]!);
          } else if (op.kind === 'redeliver' && delivered.length > 0) {
            const m = delivered[op.pick % delivered.length]!;
            await rejectsUnchanged(states[m.to], m.message, ['duplicate']);
          }
        }
        // Deliver some of the rest in a scrambled order; the others are lost for good.
        for (const pick of finalOrder) {
          if (pending.length === 0) break;
          await deliver(pending.splice(pick % pending.length, 1)[0]!);
        }
        // Every delivered message, replayed now, is a duplicate.
        for (const m of delivered) await rejectsUnchanged(states[m.to], m.message, ['duplicate']);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a message more than MAX_SKIP ahead without growing state', async () => {
    let [a, b] = await established();
    let last: Uint8Array | undefined;
    for (let i = 0; i <= MAX_SKIP + 1; i++) {
      const r = await ratchetEncrypt(a, Uint8Array.of(i & 0xff), p);
      a = r.state;
      last = r.message;
    }
    await rejectsUnchanged(b, last!, ['too_far_ahead']);
    expect(b.skipped).toHaveLength(0);
  });

  it('accepts exactly MAX_SKIP skipped keys, then decrypts the skipped messages', async () => {
    let [a, b] = await established();
    const messages: Uint8Array[] = [];
    for (let i = 0; i <= MAX_SKIP; i++) {
      const r = await ratchetEncrypt(a, Uint8Array.of(i & 0xff), p);
      a = r.state;
      messages.push(r.message);
    }
    const r = await ratchetDecrypt(b, messages[MAX_SKIP]!, p);
    b = r.state;
    expect(b.skipped).toHaveLength(MAX_SKIP);
    const early = await ratchetDecrypt(b, messages[3]!, p);
    expect(early.plaintext).toEqual(Uint8Array.of(3));
    expect(early.state.skipped).toHaveLength(MAX_SKIP - 1);
  });

  it('caps stored skipped keys across chains at MAX_STORED_SKIPPED_KEYS, evicting the oldest', async () => {
    let [a, b] = await established();
    const firstChain: Uint8Array[] = [];
    for (let round = 0; round < 3; round++) {
      let last: Uint8Array | undefined;
      for (let i = 0; i < 900; i++) {
        const r = await ratchetEncrypt(a, Uint8Array.of(round), p);
        a = r.state;
        if (round === 0) firstChain.push(r.message);
        last = r.message;
      }
      b = (await ratchetDecrypt(b, last!, p)).state;
      // Bob answers so Alice starts a new chain (a DH ratchet step).
      const reply = await ratchetEncrypt(b, Uint8Array.of(9), p);
      b = reply.state;
      a = (await ratchetDecrypt(a, reply.message, p)).state;
      expect(b.skipped.length).toBeLessThanOrEqual(MAX_STORED_SKIPPED_KEYS);
    }
    expect(b.skipped).toHaveLength(MAX_STORED_SKIPPED_KEYS);
    // 2,697 keys were skipped; the oldest 697 are gone, so message 0 of the first chain is refused.
    await rejectsUnchanged(b, firstChain[0]!, ['duplicate']);
    expect((await ratchetDecrypt(b, firstChain[800]!, p)).plaintext).toEqual(Uint8Array.of(0));
  });

  it('any single-bit flip anywhere in a message is rejected and leaves the state unchanged', async () => {
    const [a, b] = await established();
    // A message that needs a DH ratchet step (new ratchet key) and one that does not.
    const first = await ratchetEncrypt(a, new TextEncoder().encode('a message worth protecting'), p);
    const second = await ratchetEncrypt(first.state, new TextEncoder().encode('and another'), p);
    for (const message of [first.message, second.message]) {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: message.length * 8 - 1 }), async (bit) => {
          const tampered = message.slice();
          tampered[bit >> 3]! ^= 1 << (bit & 7);
          await rejectsUnchanged(b, tampered, ['bad_mac', 'malformed', 'unsupported_version', 'too_far_ahead', 'duplicate', 'invalid_key']);
        }),
        { numRuns: 60 },
      );
    }
    // The untouched messages still decrypt afterwards.
    const s1 = await ratchetDecrypt(b, first.message, p);
    expect(new TextDecoder().decode((await ratchetDecrypt(s1.state, second.message, p)).plaintext)).toBe('and another');
  });

  it('rejects truncated, extended and garbage messages with typed errors', async () => {
    const [a, b] = await established();
    const { message } = await ratchetEncrypt(a, Uint8Array.of(1, 2, 3), p);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: message.length - 1 }), async (cut) => {
        await rejectsUnchanged(b, message.subarray(0, cut), ['malformed', 'bad_mac', 'unsupported_version']);
      }),
      { numRuns: 40 },
    );
    const extended = new Uint8Array(message.length + 1);
    extended.set(message);
    await rejectsUnchanged(b, extended, ['bad_mac']);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (garbage) => {
        await rejectsUnchanged(b, garbage, ['malformed', 'bad_mac', 'unsupported_version', 'too_far_ahead', 'invalid_key', 'duplicate']);
      }),
      { numRuns: 60 },
    );
  });

  it('a reflected message (our own ratchet key) is rejected', async () => {
    const [a] = await established();
    const { state, message } = await ratchetEncrypt(a, Uint8Array.of(1), p);
    await rejectsUnchanged(state, message, ['malformed']);
  });

  it('Bob cannot send before he has received', async () => {
    const [, b] = await fresh();
    await expect(ratchetEncrypt(b, Uint8Array.of(1), p)).rejects.toMatchObject({ code: 'no_session' });
  });

  it('a serialized-then-restored session continues seamlessly, in both directions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), async (directions) => {
        let [a, b] = await established();
        for (const [i, aliceSends] of directions.entries()) {
          // Serialize and restore both sides between every message, as the vault does.
          a = decodeRatchetState(encodeRatchetState(a));
          b = decodeRatchetState(encodeRatchetState(b));
          const body = Uint8Array.of(i);
          if (aliceSends) {
            const r = await ratchetEncrypt(a, body, p);
            a = r.state;
            const d = await ratchetDecrypt(b, r.message, p);
            b = d.state;
            expect(d.plaintext).toEqual(body);
          } else {
            const r = await ratchetEncrypt(b, body, p);
            b = r.state;
            const d = await ratchetDecrypt(a, r.message, p);
            a = d.state;
            expect(d.plaintext).toEqual(body);
          }
        }
        expect(encodeRatchetState(decodeRatchetState(encodeRatchetState(a)))).toEqual(encodeRatchetState(a));
      }),
      { numRuns: 25 },
    );
  });

  it('rejects corrupted serialized state with typed errors, never a wrong state', async () => {
    const [a] = await established();
    const bytes = encodeRatchetState(a);
    expect(() => decodeRatchetState(bytes.subarray(0, bytes.length - 1))).toThrow(ConfidantError);
    const v2 = bytes.slice();
    v2[0] = 9;
    expect(() => decodeRatchetState(v2)).toThrow(expect.objectContaining({ code: 'unsupported_version' }));
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => decodeRatchetState(longer)).toThrow(expect.objectContaining({ code: 'malformed' }));
  });

  it('forward secrecy: message keys are not kept after use, and old chain keys are replaced', async () => {
    let [a, b] = await established();
    const r = await ratchetEncrypt(a, Uint8Array.of(1), p);
    a = r.state;
    const before = b;
    b = (await ratchetDecrypt(b, r.message, p)).state;
    expect(b.skipped).toHaveLength(0);
    expect(b.rootKey).not.toEqual(before.rootKey);
    expect(b.sendingRatchet.publicKey).not.toEqual(before.sendingRatchet.publicKey);
  });
});
