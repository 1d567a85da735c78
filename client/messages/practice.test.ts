// @vitest-environment node
/**
 * `practice` over the real relay (test-support/devices.ts): the therapist's saved practice
 * information reaches every client, verified against the pinned therapist identity; only a
 * newer revision replaces the one kept; a tampered or older one changes nothing; a client who
 * joins later gets the current one right after their hello.
 */
import { describe, expect, it } from 'vitest';
import { signPractice } from '../../shared/practice.ts';
import { joinClient, relayPerTest, therapistAndClient, type Device } from '../../test-support/devices.ts';
import { confirmNewIdentity } from '../account/replaced-device.ts';
import { buildPractice, publishPractice, type PracticeEdit } from './practice.ts';

let pair: Awaited<ReturnType<typeof therapistAndClient>>;
const devices = relayPerTest(async (relay, list) => {
  pair = await therapistAndClient(relay, 'Robin', list);
});
const relayAndPair = async () => pair;

const edit: PracticeEdit = {
  practiceName: 'Harbour Counselling',
  therapistName: 'Dr Ana Li',
  crisisLines: [{ label: 'Crisis line', contact: '+1 555 0100', note: '24/7' }],
  officeHours: { timeZone: 'Europe/London', weekly: [{ day: 1, start: '09:00', end: '17:00' }], awayUntil: '2999-12-31' },
  responseTime: 'Within 1 working day',
};

const kept = async (client: Device) => (await client.records.conversations())[0]?.practice;
const send = async (from: Device) => {
  await from.outbox.flush();
  expect(await from.outbox.pending()).toBe(0);
};

describe('practice information', () => {
  it('reaches every client, verified, and only a newer revision replaces it', async () => {
    const { relay, therapist, client } = await relayAndPair();
    const second = await joinClient(relay, therapist, 'Sam');
    devices.push(second.device);
    await therapist.receiver.pull(); // both hellos
    await send(therapist);

    const saved = await publishPractice(therapist, edit, Date.now());
    expect(saved.practice?.info.revision).toBe(1);
    expect(saved.practiceName).toBe('Harbour Counselling');
    expect(await therapist.outbox.pending()).toBe(2);
    await send(therapist);
    for (const c of [client, second.device]) {
      await c.receiver.pull();
      expect(await kept(c)).toEqual(saved.practice);
    }

    const next = await publishPractice(therapist, { ...edit, crisisLines: [{ label: '988 Lifeline', contact: '988' }] }, Date.now());
    await send(therapist);
    await client.receiver.pull();
    expect((await kept(client))?.info).toMatchObject({ revision: 2, crisisLines: [{ label: '988 Lifeline', contact: '988' }] });

    // The first revision again (a late or replayed copy): opened, counted, not kept.
    const conversation = (await therapist.records.conversations()).find((c) => c.label === 'Robin')!;
    await therapist.outbox.enqueue(conversation, buildPractice(saved.practice!, Date.now()));
    await send(therapist);
    expect(await client.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(client.receiver.ignored.get('practice not newer')).toBe(1);
    expect(await kept(client)).toEqual(next.practice);
  });

  it('refuses information whose signature does not verify against the pinned therapist', async () => {
    const { therapist, client } = await relayAndPair();
    await therapist.receiver.pull();
    const conversation = (await therapist.records.conversations())[0]!;
    const signed = await signPractice(therapist.identity, { ...edit, revision: 5, issuedAt: Date.now() });
    // Tampered after signing: a different number in place of the crisis line.
    const tampered = { ...signed, info: { ...signed.info, crisisLines: [{ label: 'Crisis line', contact: '+1 555 0199' }] } };
    await therapist.outbox.enqueue(conversation, buildPractice(tampered, Date.now()));
    // Signed by another identity (the client's own key), sent by the therapist.
    await therapist.outbox.enqueue(conversation, buildPractice(await signPractice(client.identity, { ...edit, revision: 6, issuedAt: 1 }), Date.now()));
    await send(therapist);
    expect(await client.receiver.pull()).toEqual({ received: 2, rejected: 0 });
    expect(client.receiver.ignored.get('practice signature')).toBe(2);
    expect(await kept(client)).toBeUndefined();
  });

  it('a client who joins after it was saved gets it right after their hello', async () => {
    const { relay, therapist } = await relayAndPair();
    await therapist.receiver.pull();
    const saved = await publishPractice(therapist, edit, Date.now());
    await send(therapist);
    const late = await joinClient(relay, therapist, 'Kim');
    devices.push(late.device);
    await therapist.receiver.pull(); // the hello queues the practice in the same transaction
    expect(await therapist.outbox.pending()).toBe(1);
    await send(therapist);
    await late.device.receiver.pull();
    expect(await kept(late.device)).toEqual(saved.practice);
  });

  it("a client's new device (a re-invite) gets it once the therapist confirms the new identity", async () => {
    const { relay, therapist } = await relayAndPair();
    await therapist.receiver.pull();
    const saved = await publishPractice(therapist, edit, Date.now());
    await send(therapist);
    const robin = (await therapist.records.conversations())[0]!;
    const fresh = await joinClient(relay, therapist, 'Robin', { replaces: robin.id });
    devices.push(fresh.device);
    await therapist.receiver.pull(); // the new device's hello: held pending, its practice queued
    await therapist.outbox.flush();
    expect(await therapist.outbox.pending()).toBe(1); // waits for the therapist's confirmation
    await confirmNewIdentity(therapist, robin);
    await send(therapist);
    await fresh.device.receiver.pull();
    expect(await kept(fresh.device)).toEqual(saved.practice);
  });

  it('a therapist ignores practice information sent to them', async () => {
    const { therapist, client, toTherapist } = await relayAndPair();
    await therapist.receiver.pull();
    await client.outbox.enqueue(toTherapist, buildPractice(await signPractice(client.identity, { ...edit, revision: 1, issuedAt: 1 }), Date.now()));
    await send(client);
    expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(therapist.receiver.ignored.get('practice to a therapist')).toBe(1);
    expect((await therapist.records.profile())?.practice).toBeUndefined();
  });
});
