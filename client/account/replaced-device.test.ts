// @vitest-environment node
/**
 * A replaced device learns it was replaced (client/account/replaced-device.ts), against the real
 * relay in process: the therapist re-invites a client onto a new device and confirms the new
 * safety number; the old device's capability is revoked, so its next send is refused (403) and
 * its conversation says it is no longer connected, instead of a message that says "Sent" forever.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation } from '../data/records.ts';
import { notDelivered } from '../outbox/delivery.ts';
import { conversationWith, joinClient, queueText, relayPerTest, texts, therapistAndClient, type Device, type JoinedClient, type Relay } from '../../test-support/devices.ts';
import { confirmNewIdentity, revokeRetired } from './replaced-device.ts';

let relay: Relay, therapist: Device, oldDevice: Device, oldToTherapist: Conversation, fresh: JoinedClient;
relayPerTest(async (r, devices) => {
  ({ relay, therapist, client: oldDevice, toTherapist: oldToTherapist } = await therapistAndClient(r, 'Robin', devices));
  await therapist.receiver.pull();
  const withRobin = await conversationWith(therapist, oldDevice);
  // Robin joins again on a new device, from a re-invite for the same conversation.
  fresh = await joinClient(relay, therapist, 'Robin (new phone)', { replaces: withRobin.id });
  devices.push(fresh.device);
  await therapist.receiver.pull();
  expect((await therapist.records.conversation(withRobin.id))?.pendingIdentity).toBeDefined();
});

const robin = async (): Promise<Conversation> => (await therapist.records.conversations())[0]!;

describe('a replaced device', () => {
  it('is refused once the therapist confirms the new identity, and its conversation says it is no longer connected', async () => {
    // Before the confirmation the old device still reaches the therapist.
    const before = await queueText(oldDevice, oldToTherapist, 'still on my old phone');
    await oldDevice.outbox.flush();
    expect((await oldDevice.records.message(oldToTherapist.id, before.id))?.status).toBe('sent');

    const confirmed = await confirmNewIdentity(therapist, await robin());
    expect(confirmed?.pendingIdentity).toBeUndefined();
    expect(confirmed?.issuedCapability).toEqual(fresh.localInvite.capability);
    expect(confirmed?.retiredCapabilities).toBeUndefined(); // revoked at the relay already
    expect(therapist.net.count('DELETE', `/v1/mailboxes/`, 204)).toBe(1);

    const after = await queueText(oldDevice, oldToTherapist, 'urgent: are you there?');
    await oldDevice.outbox.flush();
    expect(oldDevice.net.count('POST', '/v1/messages', 403)).toBe(1);
    const refused = await oldDevice.records.message(oldToTherapist.id, after.id);
    expect(refused?.status).toBe('failed');
    expect(notDelivered(refused!, Date.now())).toBe(true);
    expect((await oldDevice.records.conversation(oldToTherapist.id))?.disconnectedAt).toBeTypeOf('number');

    // The new device and the therapist go on.
    await queueText(fresh.device, fresh.conversation, 'new phone works');
    await fresh.device.outbox.flush();
    await therapist.receiver.pull();
    const texts_ = await texts(therapist, (await robin()).id);
    expect(texts_).toContain('new phone works');
    expect(texts_).not.toContain('urgent: are you there?');
    await queueText(therapist, await robin(), 'welcome back');
    await therapist.outbox.flush();
    await fresh.device.receiver.pull();
    expect(await texts(fresh.device, fresh.conversation.id)).toContain('welcome back');
  });

  it('confirmed while offline: the revocation waits in the vault and goes out at the next sync', async () => {
    therapist.net.offline = true;
    const confirmed = await confirmNewIdentity(therapist, await robin());
    expect(confirmed?.pendingIdentity).toBeUndefined();
    expect(confirmed?.retiredCapabilities).toEqual([oldToTherapist.sendCapability]);
    therapist.net.offline = false;

    // Not revoked yet: the old device still gets through.
    await queueText(oldDevice, oldToTherapist, 'sent in between');
    await oldDevice.outbox.flush();
    expect(oldDevice.net.count('POST', '/v1/messages', 403)).toBe(0);

    await revokeRetired(therapist);
    expect((await robin()).retiredCapabilities).toBeUndefined();
    await queueText(oldDevice, oldToTherapist, 'after the revocation');
    await oldDevice.outbox.flush();
    expect(oldDevice.net.count('POST', '/v1/messages', 403)).toBe(1);
    expect((await oldDevice.records.conversation(oldToTherapist.id))?.disconnectedAt).toBeTypeOf('number');
    // Revoking again is harmless (404 at the relay: forgotten).
    await revokeRetired(therapist);
  });
});
