// @vitest-environment node
/**
 * A received `consent` over the real relay (test-support/devices.ts): the client's `accept`
 * is recorded on the therapist's conversation; an `offer` or `revoke`, which no version of the
 * app sends yet (consent.ts), is opened, acknowledged and counted as ignored, and changes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import type { Conversation } from '../data/records.ts';
import { conversationWith, joinClient, startRelay, therapistDevice, type Device, type Relay } from '../../test-support/devices.ts';
import { buildConsent } from './consent.ts';

let relay: Relay;
let therapist: Device;
let client: Device;
let toTherapist: Conversation;

beforeEach(async () => {
  relay = await startRelay();
  therapist = await therapistDevice(relay);
  ({ device: client, conversation: toTherapist } = await joinClient(relay, therapist, 'Robin'));
});
afterEach(async () => {
  for (const d of [client, therapist]) await d.close();
  await relay.close();
});

const relayHolds = async (owner: Device): Promise<number> =>
  (await owner.api.fetchMessages(owner.identity, owner.profile.mailboxId, 0, 500)).messages.length;

describe('a received consent', () => {
  it('accept: the therapist records the accepted text on the conversation, nothing is ignored', async () => {
    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 }); // hello, consent
    const withClient = await conversationWith(therapist, client);
    expect(withClient.consentDigest).toBe(toTherapist.consentDigest);
    expect(withClient.consentAt).toBeGreaterThan(0);
    expect([...therapist.receiver.ignored]).toEqual([]);
  });

  for (const action of ['revoke', 'offer'] as const) {
    it(`${action}: opened and acknowledged, counted as ignored, and the conversation is unchanged`, async () => {
      await therapist.receiver.pull();
      const before = await conversationWith(therapist, client);
      await client.outbox.enqueue(toTherapist, buildConsent({ action, documentDigest: toTherapist.consentDigest! }, Date.now()));
      await client.outbox.flush();

      expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
      expect(await relayHolds(therapist)).toBe(0);
      expect(therapist.receiver.ignored.get(`consent ${action}`)).toBe(1);
      expect(await conversationWith(therapist, client)).toEqual(before);
    });
  }
});
