// @vitest-environment node
/**
 * Two devices end to end without the UI: a therapist and a client set up by the app's own flows
 * (client/account/flows.ts), over the real relay in process. The client's hello, consent and first message go
 * through its outbox; the therapist's receiver makes the conversation and stores the message;
 * the reply comes back; delivered and read receipts flow both ways.
 */
import { describe, expect, it } from 'vitest';
import { identityId } from '../../shared/keys.ts';
import { newMessageId } from '../messages/ids.ts';
import { conversationWith, joinClient, queueText, relayPerTest, texts, therapistDevice, type Relay } from '../../test-support/devices.ts';

let relay: Relay;
const devices = relayPerTest(async (r) => {
  relay = r;
});

describe('therapist and client round trip', () => {
  it('hello, consent and a message reach the therapist; the reply reaches the client; receipts come back', async () => {
    const therapist = await therapistDevice(relay, 'Harbour Practice');
    devices.push(therapist);
    const { device: client, conversation: toTherapist, invite, localInvite } = await joinClient(relay, therapist, 'Sam (Tuesdays)', { flush: false });
    devices.push(client);

    // The client's first words, queued behind hello and consent, all sent in one flush.
    const first = await queueText(client, toTherapist, 'Hello, is this the right place?');
    await client.outbox.flush();
    expect(await client.outbox.pending()).toBe(0);
    expect((await client.records.message(toTherapist.id, first.id))?.status).toBe('sent');

    // Therapist: the hello makes the conversation under the invite's label, consent is recorded.
    const got = await therapist.receiver.pull();
    expect(got).toEqual({ received: 3, rejected: 0 });
    const withClient = await conversationWith(therapist, client);
    expect(withClient.label).toBe('Sam (Tuesdays)');
    expect(withClient.sendMailboxId).toEqual(client.profile.mailboxId);
    expect(withClient.consentDigest).toBe(toTherapist.consentDigest);
    expect(withClient.inviteHash).toBe(localInvite.hash);
    expect(withClient.unread).toBe(1);
    expect(await texts(therapist, withClient.id)).toEqual(['Hello, is this the right place?']);
    expect((await therapist.records.invite(localInvite.hash))?.usedBy).toBe(withClient.id);
    expect(invite.practiceName).toBe('Harbour Practice');

    // The therapist's delivered receipt went out with the pull; the client learns "delivered".
    await therapist.outbox.flush();
    expect(await client.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect((await client.records.message(toTherapist.id, first.id))?.status).toBe('delivered');

    // The reply.
    const reply = await queueText(therapist, withClient, 'Yes, welcome. I read messages on weekdays.');
    await therapist.outbox.flush();
    expect((await therapist.records.message(withClient.id, reply.id))?.status).toBe('sent');
    expect(await client.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    const clientSide = await client.records.conversation(toTherapist.id);
    expect(clientSide?.unread).toBe(1);
    expect(await texts(client, toTherapist.id)).toEqual(['Hello, is this the right place?', 'Yes, welcome. I read messages on weekdays.']);

    // Client's delivered receipt, then a read receipt (as Session.markRead queues it).
    await client.outbox.flush();
    await therapist.receiver.pull();
    expect((await therapist.records.message(withClient.id, reply.id))?.status).toBe('delivered');
    await client.outbox.enqueue(clientSide!, { v: 1, type: 'receipt', id: newMessageId(), sentAt: Date.now(), status: 'read', messageIds: [reply.id] });
    await client.outbox.flush();
    await therapist.receiver.pull();
    expect((await therapist.records.message(withClient.id, reply.id))?.status).toBe('read');

    // Nothing left anywhere: both outboxes empty, both mailboxes acknowledged.
    expect(await therapist.outbox.pending()).toBe(0);
    expect(await client.outbox.pending()).toBe(0);
    expect(relay.fx.counts()['messages']).toBe(0);
    expect(withClient.id).toBe(identityId(client.identity.publicIdentity));
  });

  it('a client who joins and writes offline: hello, consent and the message wait, then arrive in that order', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const { device: client, conversation } = await joinClient(relay, therapist, 'Morgan', { flush: false });
    devices.push(client);
    client.net.offline = true;
    await client.outbox.flush();
    const m = await queueText(client, conversation, 'written in the tunnel');
    await client.outbox.flush();
    expect(await client.outbox.pending()).toBe(3);
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 0 });
    expect(await therapist.records.conversations()).toEqual([]);

    client.net.offline = false;
    await client.outbox.flush();
    expect(await client.outbox.pending()).toBe(0);
    expect(await therapist.receiver.pull()).toEqual({ received: 3, rejected: 0 });
    const withClient = await conversationWith(therapist, client);
    expect(withClient.label).toBe('Morgan');
    expect(await texts(therapist, withClient.id)).toEqual(['written in the tunnel']);
    await therapist.outbox.flush();
    await client.receiver.pull();
    expect((await client.records.message(conversation.id, m.id))?.status).toBe('delivered');
  });
});
