// @vitest-environment node
/**
 * The receiver against the real relay in process (test-support/devices.ts): open, store, then
 * acknowledge; no second copy after a crash before the ack; tampered envelopes rejected without
 * harming the session; receipts and hellos applied; one delivered receipt per conversation per
 * page; a backlog across pages processed completely.
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { toBase64url } from '../../shared/encoding.ts';
import { decodePayload, type Payload } from '../../shared/payload.ts';
import { randomBytes } from '../../shared/provider.ts';
import { deriveIdentity, generateRootSecret } from '../../shared/keys.ts';
import { MESSAGE_TYPE_RATCHET } from '../../shared/ratchet.ts';
import { ENVELOPE_HEADER_LEN, sealEnvelope } from '../../shared/sealed.ts';
import { OfflineError } from '../api/relay.ts';
import type { Conversation } from '../data/records.ts';
import { newMessageId } from '../messages/ids.ts';
import { Outbox } from '../outbox/outbox.ts';
import { Receiver } from './receive.ts';
import { conversationWith, joinClient, queueText, relayPerTest, texts, therapistAndClient, type Device, type Relay } from '../../test-support/devices.ts';
import { asCapability, asMailboxId, asMessageId } from '../../shared/ids.ts';

let relay: Relay, therapist: Device, client: Device, toTherapist: Conversation;
const devices = relayPerTest(async (r, open) => {
  ({ relay, therapist, client, toTherapist } = await therapistAndClient(r, 'Robin', open));
});

const SEND = (r: { method: string; path: string }) => r.method === 'POST' && r.path === '/v1/messages';
const mailboxPath = (d: Device) => `/v1/mailboxes/${toBase64url(d.profile.mailboxId)}`;
const ackPath = (d: Device) => `${mailboxPath(d)}/ack`;

/** What the relay still holds for `owner`'s mailbox (fetched as its owner; nothing acknowledged). */
async function relayHolds(owner: Device): Promise<string[]> {
  return (await owner.api.fetchMessages(owner.identity, owner.profile.mailboxId, 0, 500)).messages.map((m) => m.messageId);
}

/** The payloads waiting in `d`'s outbox, in queue order. */
async function queuedPayloads(d: Device): Promise<{ conversationId: string; payload: Payload }[]> {
  return (await d.records.outbox()).map((i) => ({ conversationId: i.conversationId, payload: decodePayload(i.payload) }));
}

async function sendTexts(from: Device, conversation: Conversation, list: readonly string[]): Promise<string[]> {
  const ids = [];
  for (const t of list) ids.push((await queueText(from, conversation, t)).id);
  await from.outbox.flush();
  return ids;
}

describe('pull', () => {
  it("checks a slice's received messages for re-sends with one vault lookup per slice, not a read per message", async () => {
    await therapist.receiver.pull(); // hello, consent
    const ids = await sendTexts(client, toTherapist, ['one', 'two', 'three', 'four', 'five']);
    const perMessage = vi.spyOn(therapist.records, 'message');
    const batched = vi.spyOn(therapist.records, 'storedMessageIds');
    try {
      expect(await therapist.receiver.pull()).toEqual({ received: 5, rejected: 0 });
      expect(perMessage).not.toHaveBeenCalled();
      // One lookup per slice (a slice may end early on a busy machine: SLICE_MS), each id once.
      expect(batched.mock.calls.flatMap((call) => call[1])).toEqual(ids);
    } finally {
      perMessage.mockRestore();
      batched.mockRestore();
    }
    expect(await texts(therapist, (await conversationWith(therapist, client)).id)).toEqual(['one', 'two', 'three', 'four', 'five']);
  });

  it('opens, stores and then acknowledges; a second pull finds nothing', async () => {
    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 }); // hello, consent
    const ids = await sendTexts(client, toTherapist, ['first', 'second']);
    expect(await relayHolds(therapist)).toEqual(ids);

    const acksBefore = therapist.net.count('POST', ackPath(therapist));
    // Concurrent pulls share one run: nothing is stored twice.
    const [a, b] = await Promise.all([therapist.receiver.pull(), therapist.receiver.pull()]);
    expect(a).toEqual({ received: 2, rejected: 0 });
    expect(b).toEqual(a);
    const withClient = await conversationWith(therapist, client);
    expect(await texts(therapist, withClient.id)).toEqual(['first', 'second']);
    const stored = await therapist.records.messages(withClient.id);
    expect(stored.map((m) => [m.message.id, m.message.mine, m.message.status])).toEqual([
      [ids[0], false, 'delivered'],
      [ids[1], false, 'delivered'],
    ]);
    expect(withClient.unread).toBe(2);
    expect(therapist.net.count('POST', ackPath(therapist)) - acksBefore).toBe(1);
    expect(await relayHolds(therapist)).toEqual([]);

    const fetchesBefore = therapist.net.count('GET', `${mailboxPath(therapist)}/messages`);
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 0 });
    expect(therapist.net.count('GET', `${mailboxPath(therapist)}/messages`) - fetchesBefore).toBe(1);
    expect(therapist.net.count('POST', ackPath(therapist)) - acksBefore).toBe(1);
    expect(await texts(therapist, withClient.id)).toEqual(['first', 'second']);
  });

  it('offline: the pull rejects with OfflineError and changes nothing', async () => {
    therapist.net.offline = true;
    await expect(therapist.receiver.pull()).rejects.toBeInstanceOf(OfflineError);
    expect(await therapist.records.conversations()).toEqual([]);
    therapist.net.offline = false;
    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 });
  });

  it('a crash before the ack: the envelopes come again, nothing is stored twice and no second receipt is queued', async () => {
    await therapist.receiver.pull();
    const ids = await sendTexts(client, toTherapist, ['one', 'two']);

    therapist.net.refuse = (r) => r.path === ackPath(therapist);
    await expect(therapist.receiver.pull()).rejects.toBeInstanceOf(OfflineError);
    const withClient = await conversationWith(therapist, client);
    expect(await texts(therapist, withClient.id)).toEqual(['one', 'two']);
    const receipts = await queuedPayloads(therapist);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.payload).toMatchObject({ type: 'receipt', status: 'delivered', messageIds: ids });
    expect(await relayHolds(therapist)).toEqual(ids);

    therapist.net.refuse = undefined;
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 0 });
    expect(await texts(therapist, withClient.id)).toEqual(['one', 'two']);
    expect((await conversationWith(therapist, client)).unread).toBe(2);
    expect(await queuedPayloads(therapist)).toEqual(receipts);
    expect(await relayHolds(therapist)).toEqual([]);

    // The session is intact: the next message opens.
    await sendTexts(client, toTherapist, ['three']);
    expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(await texts(therapist, withClient.id)).toEqual(['one', 'two', 'three']);
  });

  it('a crash after opening but before storing loses nothing: the next pull opens the envelope again and stores it once', async () => {
    await therapist.receiver.pull();
    const [id] = await sendTexts(client, toTherapist, ['said just before the crash']);
    // The tab dies after the ratchet step in memory, before the slice's one write (session
    // steps and messages together) lands.
    const vault = therapist.records.vault;
    const write = vault.batch.bind(vault);
    let crashed = false;
    vault.batch = async (ops) => {
      if (!crashed && ops.some((o) => o.collection === 'messages')) {
        crashed = true;
        throw new Error('simulated crash before the write');
      }
      return write(ops);
    };
    await expect(therapist.receiver.pull()).rejects.toThrow('simulated crash');
    const withClient = await conversationWith(therapist, client);
    expect(await texts(therapist, withClient.id)).toEqual([]);
    expect(await relayHolds(therapist)).toEqual([id]);

    therapist.net.refuse = SEND; // keep the receipt in the outbox to look at it
    expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(await texts(therapist, withClient.id)).toEqual(['said just before the crash']);
    expect((await conversationWith(therapist, client)).unread).toBe(1);
    expect((await queuedPayloads(therapist)).map((q) => q.payload)).toMatchObject([{ type: 'receipt', status: 'delivered', messageIds: [id] }]);
    expect(await relayHolds(therapist)).toEqual([]);
    therapist.net.refuse = undefined;

    // And the session goes on.
    await sendTexts(client, toTherapist, ['after the restart']);
    expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(await texts(therapist, withClient.id)).toEqual(['said just before the crash', 'after the restart']);
  });

  it('a tampered envelope is counted as rejected and acknowledged, and the session still opens the real one', async () => {
    await therapist.receiver.pull();
    // Seal the real message without sending it (its send is refused as if offline).
    client.net.refuse = SEND;
    await queueText(client, toTherapist, 'the real one');
    await client.outbox.flush();
    client.net.refuse = undefined;
    const [item] = await client.records.outbox();
    const real = item!.envelope!;

    // Bit flips past the header (the relay routes by the header's mailbox id): ephemeral key,
    // static layer, content, last tag byte. Each arrives under its own message id, before the real one.
    // Plus a dozen random positions and masks, and the envelope cut short.
    const flips: [number, number][] = [
      ...[ENVELOPE_HEADER_LEN, ENVELOPE_HEADER_LEN + 32 + 7, Math.floor(real.length / 2), real.length - 1].map((at): [number, number] => [at, 0x01]),
      ...fc.sample(fc.tuple(fc.integer({ min: ENVELOPE_HEADER_LEN, max: real.length - 1 }), fc.integer({ min: 1, max: 255 })), 12),
    ];
    for (const [at, mask] of flips) {
      const tampered = real.slice();
      tampered[at]! ^= mask;
      await client.api.send(asCapability(toTherapist.sendCapability!), asMessageId(randomBytes(16)), tampered);
    }
    await client.api.send(asCapability(toTherapist.sendCapability!), asMessageId(randomBytes(16)), real.slice(0, real.length - 16));
    const positions = [...flips, 'truncated'];
    await client.outbox.flush();
    await sendTexts(client, toTherapist, ['and the next']);
    expect((await relayHolds(therapist)).length).toBe(positions.length + 2);

    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: positions.length });
    const withClient = await conversationWith(therapist, client);
    expect(await texts(therapist, withClient.id)).toEqual(['the real one', 'and the next']);
    expect(await relayHolds(therapist)).toEqual([]);
  });
});

describe('strangers', () => {
  it('an envelope from an identity with no session here is rejected and acknowledged', async () => {
    await therapist.receiver.pull();
    const stranger = await deriveIdentity(generateRootSecret());
    const envelope = await sealEnvelope(stranger, therapist.identity.publicIdentity, asMailboxId(therapist.profile.mailboxId), { type: MESSAGE_TYPE_RATCHET, message: randomBytes(80) });
    // Delivered with the capability the client holds (a leaked one, say).
    await client.api.send(asCapability(toTherapist.sendCapability!), asMessageId(randomBytes(16)), envelope);
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 1 });
    expect(await relayHolds(therapist)).toEqual([]);
    expect(await therapist.records.conversations()).toHaveLength(1);
  });
});

describe('sending and receiving at once', () => {
  it('a pull and a flush running together on one device lose no session step: every message in both directions opens', async () => {
    await therapist.receiver.pull();
    const withClient = await conversationWith(therapist, client);
    for (let round = 0; round < 3; round++) {
      const fromClient = Array.from({ length: 4 }, (_, i) => `client ${round}.${i}`);
      const fromTherapist = Array.from({ length: 4 }, (_, i) => `therapist ${round}.${i}`);
      await sendTexts(client, toTherapist, fromClient);
      for (const t of fromTherapist) await queueText(therapist, withClient, t);
      // The live socket's notice (pull) and a send (flush) arrive together.
      const [pulled] = await Promise.all([therapist.receiver.pull(), therapist.outbox.flush()]);
      await therapist.outbox.flush();
      expect(pulled.rejected).toBe(0);
      expect((await texts(therapist, withClient.id)).filter((t) => t.startsWith(`client ${round}.`))).toEqual(fromClient);
      expect(await therapist.outbox.pending()).toBe(0);
      const got = await client.receiver.pull();
      expect(got.rejected).toBe(0);
      expect((await texts(client, toTherapist.id)).filter((t) => t.startsWith(`therapist ${round}.`))).toEqual(fromTherapist);
      await client.outbox.flush();
    }
  });
});

describe('what a payload does', () => {
  it('a hello from a client makes the conversation under the invite\'s local label and fills in the reply route', async () => {
    await therapist.receiver.pull();
    const second = await joinClient(relay, therapist, 'Alex (Thursdays)');
    devices.push(second.device);
    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 });
    const toAlex = await conversationWith(therapist, second.device);
    expect(toAlex).toMatchObject({ label: 'Alex (Thursdays)', unread: 0, urgentUnread: 0, inviteHash: second.localInvite.hash });
    expect(toAlex.sendMailboxId).toEqual(second.device.profile.mailboxId);
    expect(toAlex.sendCapability).toEqual(second.conversation.issuedCapability);
    expect(toAlex.issuedCapability).toEqual(second.localInvite.capability);
    expect(toAlex.consentDigest).toBe(second.conversation.consentDigest);
    expect((await therapist.records.invite(second.localInvite.hash))?.usedBy).toBe(toAlex.id);
    expect((await conversationWith(therapist, client)).label).toBe('Robin');

    // The route works: the reply reaches Alex, and only Alex.
    await sendTexts(therapist, toAlex, ['Welcome, Alex.']);
    expect(await second.device.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(await texts(second.device, second.conversation.id)).toEqual(['Welcome, Alex.']);
    expect(await client.receiver.pull()).toEqual({ received: 0, rejected: 0 });
  });

  it('a hello answering an invite this device does not know still makes the conversation, labelled "New client"', async () => {
    await therapist.receiver.pull();
    const second = await joinClient(relay, therapist, 'Sky', { flush: false });
    devices.push(second.device);
    // The invite record is gone here (records.ts layout: invites / '' / hash), e.g. restored from an older backup.
    await therapist.vault.delete('invites', '', second.localInvite.hash);
    await second.device.outbox.flush();
    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 });
    const toSky = await conversationWith(therapist, second.device);
    expect(toSky.label).toBe('New client');
    expect(toSky.sendMailboxId).toEqual(second.device.profile.mailboxId);
    expect(toSky.inviteHash).toBeUndefined();
  });

  it('a client ignores a hello: only a therapist takes new conversations from one', async () => {
    await therapist.receiver.pull();
    const withClient = await conversationWith(therapist, client);
    const before = await client.records.conversation(toTherapist.id);
    await therapist.outbox.enqueue(withClient, {
      v: 1,
      type: 'hello',
      id: newMessageId(),
      sentAt: Date.now(),
      mailboxId: toBase64url(randomBytes(16)),
      capability: toBase64url(randomBytes(32)),
      inviteHash: toBase64url(randomBytes(32)),
    });
    await therapist.outbox.flush();
    expect(await relayHolds(client)).toHaveLength(1);
    expect((await client.receiver.pull()).rejected).toBe(0);
    expect(await relayHolds(client)).toEqual([]);
    expect(await client.records.conversation(toTherapist.id)).toEqual(before);
    expect(await client.records.conversations()).toHaveLength(1);
  });

  it('receipts move my messages forward, never back, and never touch messages that are not mine', async () => {
    await therapist.receiver.pull();
    const withClient = await conversationWith(therapist, client);
    const ids = await sendTexts(therapist, withClient, ['a', 'b']);
    const theirs = await sendTexts(client, toTherapist, ['from the client']);

    expect(await client.receiver.pull()).toEqual({ received: 2, rejected: 0 });
    await client.outbox.flush(); // the delivered receipt
    await therapist.receiver.pull();
    for (const id of ids) expect((await therapist.records.message(withClient.id, id))?.status).toBe('delivered');

    const receipt = { v: 1 as const, type: 'receipt' as const, sentAt: Date.now() };
    await client.outbox.enqueue(toTherapist, { ...receipt, id: newMessageId(), status: 'read', messageIds: [ids[0]!] });
    await client.outbox.enqueue(toTherapist, { ...receipt, id: newMessageId(), status: 'delivered', messageIds: [ids[0]!] });
    // A receipt naming the therapist's copy of the client's own message: not the therapist's to change.
    await client.outbox.enqueue(toTherapist, { ...receipt, id: newMessageId(), status: 'read', messageIds: theirs });
    await client.outbox.flush();
    await therapist.receiver.pull();
    expect((await therapist.records.message(withClient.id, ids[0]!))?.status).toBe('read');
    expect((await therapist.records.message(withClient.id, ids[1]!))?.status).toBe('delivered');
    expect((await therapist.records.message(withClient.id, theirs[0]!))).toMatchObject({ mine: false, status: 'delivered' });
  });

  it('queues one delivered receipt per conversation per page, naming every new message of it', async () => {
    await therapist.receiver.pull();
    const second = await joinClient(relay, therapist, 'Alex');
    devices.push(second.device);
    await therapist.receiver.pull();
    await therapist.outbox.flush();
    const fromRobin = await sendTexts(client, toTherapist, ['r1', 'r2', 'r3']);
    const fromAlex = await sendTexts(second.device, second.conversation, ['a1', 'a2']);

    therapist.net.refuse = SEND; // keep the receipts in the outbox to look at them
    expect(await therapist.receiver.pull()).toEqual({ received: 5, rejected: 0 });
    const queued = await queuedPayloads(therapist);
    const robin = await conversationWith(therapist, client);
    const alex = await conversationWith(therapist, second.device);
    expect(queued.map((q) => q.conversationId).sort()).toEqual([robin.id, alex.id].sort());
    const byConversation = new Map(queued.map((q) => [q.conversationId, q.payload]));
    expect(byConversation.get(robin.id)).toMatchObject({ type: 'receipt', status: 'delivered', messageIds: fromRobin });
    expect(byConversation.get(alex.id)).toMatchObject({ type: 'receipt', status: 'delivered', messageIds: fromAlex });

    // Hellos, consents and receipts are not messages: no receipt for them.
    therapist.net.refuse = undefined;
    await therapist.outbox.flush();
    await client.receiver.pull();
    await client.outbox.flush();
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 0 });
    expect(await therapist.records.outbox()).toEqual([]);
  });

  it('reports the conversations each page changed, and leaves sending what it queued to its caller: no flush of its own', async () => {
    await therapist.receiver.pull();
    await therapist.outbox.flush();
    const ids = await sendTexts(client, toTherapist, ['one', 'two']);
    // The therapist's own queue and stores, counting flushes; a receiver reporting its changes.
    class CountingOutbox extends Outbox {
      flushes = 0;
      override flush(): Promise<void> {
        this.flushes++;
        return super.flush();
      }
    }
    const outbox = new CountingOutbox({ records: therapist.records, store: therapist.store, api: therapist.api });
    const reported: string[][] = [];
    const receiver = new Receiver({ ...therapist, outbox, onChange: (changed) => void reported.push([...changed]) });
    const sendsBefore = therapist.net.handled.filter(SEND).length;

    expect(await receiver.pull()).toEqual({ received: 2, rejected: 0 });
    const withClient = await conversationWith(therapist, client);
    expect(reported).toEqual([[withClient.id]]);
    expect(outbox.flushes).toBe(0);
    expect(await queuedPayloads(therapist)).toMatchObject([{ conversationId: withClient.id, payload: { type: 'receipt', status: 'delivered', messageIds: ids } }]);
    await outbox.flush(); // the caller's one flush (Session.sync) sends it
    expect(therapist.net.handled.filter(SEND).length - sendsBefore).toBe(1);
    expect(await therapist.records.outbox()).toEqual([]);
  });

  it('a backlog of 300 messages across pages is processed completely, in order', async () => {
    await therapist.receiver.pull();
    const list = Array.from({ length: 300 }, (_, i) => `backlog ${i}`);
    const ids = await sendTexts(client, toTherapist, list);
    expect(await client.outbox.pending()).toBe(0);

    const fetches = therapist.net.count('GET', `${mailboxPath(therapist)}/messages`);
    const acks = therapist.net.count('POST', ackPath(therapist));
    therapist.net.refuse = SEND;
    expect(await therapist.receiver.pull()).toEqual({ received: 300, rejected: 0 });
    // Two pages (200 + 100, the second says `more: false`), each acknowledged.
    expect(therapist.net.count('GET', `${mailboxPath(therapist)}/messages`) - fetches).toBe(2);
    expect(therapist.net.count('POST', ackPath(therapist)) - acks).toBe(2);
    const withClient = await conversationWith(therapist, client);
    expect(withClient.unread).toBe(300);
    const stored = await therapist.records.messages(withClient.id);
    expect(stored.map((m) => m.message.id)).toEqual(ids);
    expect(stored.map((m) => m.message.text)).toEqual(list);
    expect(await relayHolds(therapist)).toEqual([]);
    const receipts = (await queuedPayloads(therapist)).map((q) => q.payload);
    expect(receipts.map((p) => (p.type === 'receipt' ? p.messageIds.length : 0))).toEqual([200, 100]);
    expect(receipts.flatMap((p) => (p.type === 'receipt' ? p.messageIds : []))).toEqual(ids);
    therapist.net.refuse = undefined;
  }, 240_000); // 300 seals, sends and opens through two vaults: minutes on a loaded 2-core box
});
