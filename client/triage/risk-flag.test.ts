// @vitest-environment node
/**
 * The risk flag end to end without the UI (test-support/devices.ts: the real relay in process,
 * real vaults and sessions): a client's flagged message is stored with its categories on the
 * therapist's device and marks the conversation until the therapist replies; a figurative one
 * is not flagged; a client's device never flags the therapist's words; and the flag adds no
 * request to the relay.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation } from '../data/records.ts';
import { conversationWith, queueText, relayPerTest, therapistAndClient, type Device } from '../../test-support/devices.ts';
import { answered, flaggedAt, riskOfReceived } from './risk-flag.ts';

let therapist: Device, client: Device, toTherapist: Conversation;
relayPerTest(async (r, open) => {
  ({ therapist, client, toTherapist } = await therapistAndClient(r, 'Robin', open));
});

/** The client writes `text`; the therapist pulls it. Returns the therapist's stored copy and conversation. */
async function clientWrites(text: string) {
  const sent = await queueText(client, toTherapist, text);
  await client.outbox.flush();
  await therapist.receiver.pull();
  const conversation = await conversationWith(therapist, client);
  const stored = (await therapist.records.messages(conversation.id)).find((m) => m.message.id === sent.id)!.message;
  return { stored, conversation };
}

describe('the risk flag on a therapist’s device', () => {
  it('stores the categories on a flagged client message and marks the conversation with its time', async () => {
    await therapist.receiver.pull(); // hello, consent
    const { stored, conversation } = await clientWrites("I've been saving up my pills and I want to die");
    expect(stored.risk).toEqual(['ideation', 'means']);
    expect(conversation.riskFlaggedAt).toBe(stored.receivedAt);
    expect(conversation.unread).toBe(1);
  });

  it('does not flag a figurative message, and a later flag keeps the newest time', async () => {
    await therapist.receiver.pull();
    const figurative = await clientWrites('This deadline is killing me, I could murder a pizza');
    expect(figurative.stored.risk).toBeUndefined();
    expect(figurative.conversation.riskFlaggedAt).toBeUndefined();
    const first = await clientWrites('I cut myself last night');
    const second = await clientWrites("I'm going to kill myself");
    expect(first.stored.risk).toEqual(['self-harm']);
    expect(second.conversation.riskFlaggedAt).toBe(second.stored.receivedAt);
    expect(second.conversation.riskFlaggedAt).toBeGreaterThanOrEqual(first.conversation.riskFlaggedAt!);
  });

  it('a reply from the therapist clears the conversation’s flag; the message keeps its categories', async () => {
    await therapist.receiver.pull();
    const { stored, conversation } = await clientWrites('I want to kill myself');
    expect(conversation.riskFlaggedAt).toBeDefined();
    await queueText(therapist, conversation, 'I am here. Can you call the crisis line now?');
    const after = await conversationWith(therapist, client);
    expect(after.riskFlaggedAt).toBeUndefined();
    expect('riskFlaggedAt' in after).toBe(false);
    expect((await therapist.records.message(after.id, stored.id))?.risk).toEqual(['ideation']);
  });

  it('a client’s device never flags the therapist’s messages', async () => {
    await therapist.receiver.pull();
    const toClient = await conversationWith(therapist, client);
    await queueText(therapist, toClient, 'Have you had thoughts of killing yourself, or of suicide?');
    await queueText(therapist, toClient, 'Some clients tell me "I want to die". If you ever feel that, call.');
    await therapist.outbox.flush();
    await client.receiver.pull();
    const mine = await client.records.messages(toTherapist.id);
    const theirs = mine.filter((m) => !m.message.mine);
    expect(theirs).toHaveLength(2);
    expect(theirs.every((m) => m.message.risk === undefined)).toBe(true);
    expect((await client.records.conversation(toTherapist.id))?.riskFlaggedAt).toBeUndefined();
  });

  it('adds no request to the relay: a flagged message is fetched and acknowledged like any other', async () => {
    await therapist.receiver.pull();
    const requests = () => therapist.net.handled.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`);
    const before = requests().length;
    await clientWrites('See you on Tuesday');
    const plain = requests().slice(before);
    const middle = requests().length;
    await clientWrites('I want to hang myself tonight');
    const flagged = requests().slice(middle);
    expect(flagged).toEqual(plain);
  });
});

describe('riskOfReceived, flaggedAt, answered', () => {
  const base = { id: 'c', peer: new Uint8Array(129), label: 'Robin', unread: 0, urgentUnread: 0, lastAt: 1 } satisfies Conversation;

  it('flags only on a therapist’s device, and only a flagged text', () => {
    expect(riskOfReceived('therapist', 'I want to die')).toEqual(['ideation']);
    expect(riskOfReceived('client', 'I want to die')).toBeUndefined();
    expect(riskOfReceived('therapist', 'See you soon')).toBeUndefined();
    expect(riskOfReceived('therapist', undefined)).toBeUndefined();
  });

  it('keeps the newest flagged time, and a reply removes the field', () => {
    expect(flaggedAt(flaggedAt(base, 50), 20).riskFlaggedAt).toBe(50);
    expect(answered(flaggedAt(base, 50))).toEqual(base);
    expect(answered(base)).toBe(base);
  });
});
