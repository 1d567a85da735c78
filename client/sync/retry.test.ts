// @vitest-environment node
/**
 * A message that cannot be opened is never lost without a word (client/sync/retry.ts,
 * client/outbox/delivery.ts), against the real relay in process (test-support/devices.ts).
 * Envelopes are changed in transit by the sender's network (`Net.rewrite`):
 * - the inner message changed behind a valid sealed layer (as a sender with a broken session
 *   would send it): the recipient asks, the sender re-sends once, the message is delivered;
 *   if the re-send fails too, both sides show it;
 * - the envelope itself changed (the sealed layer does not open, so nobody can be told): the
 *   sender's message is shown as not delivered after the bound, and the person's retry delivers it.
 */
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import { decodePayload } from '../../shared/payload.ts';
import { openEnvelope, sealEnvelope } from '../../shared/sealed.ts';
import type { Conversation, StoredMessage } from '../data/records.ts';
import { DELIVERY_BOUND_MS, notDelivered, resend } from '../outbox/delivery.ts';
import { conversationWith, queueText, relayPerTest, texts, therapistAndClient, type Device, type Relay, type SeenRequest } from '../../test-support/devices.ts';
import { retryRelayId } from '../messages/retry.ts';
import { MAX_RETRY_ASKS } from './retry.ts';

let relay: Relay, therapist: Device, client: Device, toTherapist: Conversation;
relayPerTest(async (r, open) => {
  ({ relay, therapist, client, toTherapist } = await therapistAndClient(r, 'Robin', open));
  await therapist.receiver.pull(); // hello, consent
  await therapist.outbox.flush();
});

const SEND = (r: SeenRequest) => r.method === 'POST' && r.path === '/v1/messages';

/** The client's envelope with one byte of its inner (ratchet) message changed, sealed again by the client. */
async function changeInner(envelope: Uint8Array): Promise<Uint8Array> {
  const inner = await openEnvelope(therapist.identity, envelope);
  const message = inner.message.slice();
  message[message.length - 20]! ^= 0x40; // inside the ratchet ciphertext
  return sealEnvelope(client.identity, therapist.identity.publicIdentity, inner.mailboxId, { type: inner.type, message });
}

/** The envelope with one byte of its sealed content layer changed (nobody can reseal it). */
const changeOuter = (envelope: Uint8Array): Uint8Array => {
  const out = envelope.slice();
  out[out.length - 40]! ^= 0x01;
  return out;
};

/** Changes the client's next `count` sends with `change`; returns the relay ids they went under. */
function tamperClientSends(count: number, change: (e: Uint8Array) => Uint8Array | Promise<Uint8Array>): string[] {
  const ids: string[] = [];
  client.net.rewrite = async (r, body) => {
    if (!SEND(r) || ids.length >= count) return undefined;
    ids.push(''); // claimed before the await: one rewrite per send
    return change(body);
  };
  return ids;
}

async function mine(id: string): Promise<StoredMessage> {
  const m = await client.records.message(toTherapist.id, id);
  if (!m) throw new Error('no such message');
  return m;
}

/** Both devices pull and send until nothing moves (the live socket's notices, in a test). */
async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await therapist.receiver.pull();
    await therapist.outbox.flush();
    await client.receiver.pull();
    await client.outbox.flush();
  }
}

describe('the inner message cannot be opened', () => {
  it('the recipient asks inside the session, the sender re-sends once under the derived relay id, and the message is delivered once', async () => {
    tamperClientSends(1, changeInner);
    const m = await queueText(client, toTherapist, 'hard week, can we talk');
    await client.outbox.flush();
    expect((await mine(m.id)).status).toBe('sent');

    // The therapist cannot open it, and asks the client (a retry request naming the relay id).
    therapist.net.refuse = SEND; // hold the request to look at it
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 1 });
    const withClient = await conversationWith(therapist, client);
    expect(await texts(therapist, withClient.id)).toEqual([]);
    const queued = (await therapist.records.outbox()).map((i) => decodePayload(i.payload));
    expect(queued).toMatchObject([{ type: 'retry', messageId: m.id }]);
    therapist.net.refuse = undefined;
    await therapist.outbox.flush();

    // The client re-sends from its stored copy, once, under retryRelayId(m.id).
    await client.receiver.pull();
    await client.outbox.flush();
    const resentUnder = retryRelayId(m.id);
    expect(await client.records.sentRecord(resentUnder)).toMatchObject({ messageId: m.id, resendOf: m.id });

    await settle();
    expect(await texts(therapist, withClient.id)).toEqual(['hard week, can we talk']);
    expect((await mine(m.id)).status).toBe('delivered');
    // hello, consent, the message and its one re-send (the request is not a message: no receipt for it)
    expect(client.net.count('POST', '/v1/messages', 201)).toBe(4);
    expect(await therapist.records.outbox()).toEqual([]);
    expect(await client.records.outbox()).toEqual([]);
  });

  it('when the re-send cannot be opened either, the recipient shows it could not be opened and the sender shows Not delivered; nothing more is sent', async () => {
    tamperClientSends(2, changeInner);
    const m = await queueText(client, toTherapist, 'second try fails as well');
    await client.outbox.flush();
    await settle();

    const withClient = await conversationWith(therapist, client);
    const shown = (await therapist.records.messages(withClient.id)).map((x) => x.message);
    expect(shown).toMatchObject([{ mine: false, notice: 'unopenable', id: `unopened:${retryRelayId(m.id)}` }]);
    expect(shown[0]!.text).toBeUndefined();
    expect(withClient.unread).toBe(1);
    const failed = await mine(m.id);
    expect(failed.status).toBe('failed');
    expect(notDelivered(failed, Date.now())).toBe(true);

    // Bounded: one re-send, two requests, then quiet.
    const sends = client.net.count('POST', '/v1/messages') + therapist.net.count('POST', '/v1/messages');
    await settle(2);
    expect(client.net.count('POST', '/v1/messages') + therapist.net.count('POST', '/v1/messages')).toBe(sends);

    // The person's retry (a fresh relay id, sealed anew) gets it through.
    expect(await resend(client.records, toTherapist.id, m.id, Date.now())).toBe(true);
    expect((await mine(m.id)).status).toBe('queued');
    await client.outbox.flush();
    await settle();
    expect((await mine(m.id)).status).toBe('delivered');
    expect((await therapist.records.messages(withClient.id)).map((x) => x.message.text ?? x.message.notice)).toEqual(['second try fails as well', 'unopenable']);
  });

  it('a retry request naming a relay id the peer never sent in this conversation is ignored', async () => {
    const withClient = await conversationWith(therapist, client);
    const m = await queueText(client, toTherapist, 'fine as it is');
    await client.outbox.flush();
    await settle();
    expect((await mine(m.id)).status).toBe('delivered');
    const before = client.net.count('POST', '/v1/messages');
    // Asking for an id the client never sent, and asking for the delivered one twice: one re-send at most.
    for (const messageId of [toBase64url(new Uint8Array(16).fill(3)), m.id, m.id]) {
      await therapist.outbox.enqueue(withClient, { v: 1, type: 'retry', id: toBase64url(crypto.getRandomValues(new Uint8Array(16))), sentAt: Date.now(), messageId, receivedAt: Date.now() });
    }
    await therapist.outbox.flush();
    await client.receiver.pull();
    await client.outbox.flush();
    // One re-send of m (asked for twice in one page), none for the unknown id; nothing left failed.
    expect(await client.records.outbox()).toEqual([]);
    const sentNow = client.net.count('POST', '/v1/messages') - before;
    expect(sentNow).toBe(1);
    await settle();
    expect(await texts(therapist, withClient.id)).toEqual(['fine as it is']); // kept once
  });

  it(`asks one peer at most ${MAX_RETRY_ASKS} times a day; past that each failure is shown at once`, async () => {
    const ids = tamperClientSends(MAX_RETRY_ASKS + 1, changeInner);
    for (let i = 0; i <= MAX_RETRY_ASKS; i++) await queueText(client, toTherapist, `broken ${i}`);
    therapist.net.refuse = SEND;
    await client.outbox.flush();
    expect(ids).toHaveLength(MAX_RETRY_ASKS + 1);
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: MAX_RETRY_ASKS + 1 });
    const queued = (await therapist.records.outbox()).map((i) => decodePayload(i.payload).type);
    expect(queued).toEqual(Array(MAX_RETRY_ASKS).fill('retry'));
    const withClient = await conversationWith(therapist, client);
    expect((await therapist.records.messages(withClient.id)).map((x) => x.message.notice)).toEqual(['unopenable']);
    therapist.net.refuse = undefined;
  }, 120_000);
});

describe('the sealed layer cannot be opened', () => {
  it('nobody can be told; the message shows Not delivered once the bound has passed, and the retry delivers it', async () => {
    tamperClientSends(1, changeOuter);
    const m = await queueText(client, toTherapist, 'this one is garbled on the way');
    await client.outbox.flush();
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 1 });
    expect(await therapist.records.outbox()).toEqual([]); // no one to ask
    await settle();

    const sent = await mine(m.id);
    expect(sent.status).toBe('sent');
    expect(sent.relayAt).toBeTypeOf('number');
    // An injected clock: just before the bound, still "Sent"; at the bound, "Not delivered".
    expect(notDelivered(sent, sent.relayAt! + DELIVERY_BOUND_MS - 1)).toBe(false);
    const later = sent.relayAt! + DELIVERY_BOUND_MS;
    expect(notDelivered(sent, later)).toBe(true);

    expect(await resend(client.records, toTherapist.id, m.id, later)).toBe(true);
    await client.outbox.flush();
    await settle();
    const withClient = await conversationWith(therapist, client);
    expect(await texts(therapist, withClient.id)).toEqual(['this one is garbled on the way']);
    expect((await mine(m.id)).status).toBe('delivered');
    // A delivered message has nothing to resend.
    expect(await resend(client.records, toTherapist.id, m.id, later)).toBe(false);
  });
});
