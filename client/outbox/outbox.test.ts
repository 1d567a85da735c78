// @vitest-environment node
/**
 * The outbox against the real relay in process (test-support/devices.ts): written to the vault
 * before any network, sent in order exactly once, kept while offline, resent byte for byte after
 * a lost answer, failed (not blocking) on a revoked capability, statuses only moving forward.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodePayload } from '../../shared/payload.ts';
import type { Conversation, StoredMessage } from '../data/records.ts';
import { conversationWith, joinClient, queueText, relayPerTest, startRelay, texts, therapistAndClient, therapistDevice, type Device, type JoinedClient, type Relay } from '../../test-support/devices.ts';
import { newMessageId } from '../messages/ids.ts';
import { newMessage } from '../messages/message.ts';
import { rank } from '../messages/status.ts';
import { Outbox } from './outbox.ts';

let relay: Relay, therapist: Device, joined: JoinedClient, client: Device, toTherapist: Conversation;
const devices = relayPerTest(async (r, open) => {
  ({ relay, therapist, joined, client, toTherapist } = await therapistAndClient(r, 'Robin', open));
  // The therapist takes the hello and consent, so it knows the conversation.
  expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 });
});

const SEND = (r: { method: string; path: string }) => r.method === 'POST' && r.path === '/v1/messages';

/** What the relay holds for `owner`'s mailbox, fetched as its owner (nothing acknowledged). */
async function relayHolds(owner: Device): Promise<{ messageId: string; envelope: Uint8Array }[]> {
  const page = await owner.api.fetchMessages(owner.identity, owner.profile.mailboxId, 0, 500);
  return page.messages.map((m) => ({ messageId: m.messageId, envelope: m.envelope }));
}

const statusOf = async (d: Device, conversationId: string, id: string) => (await d.records.message(conversationId, id))?.status;

describe('enqueue', () => {
  it('stores the message as queued and its outbox item together, before any network', async () => {
    client.net.offline = true;
    const before = client.net.handled.length;
    const m = await queueText(client, toTherapist, 'written on the train', toTherapist.lastAt + 10);
    expect(await client.records.message(toTherapist.id, m.id)).toEqual(m);
    const items = await client.records.outbox();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ conversationId: toTherapist.id, messageId: m.id, attempts: 0 });
    expect(items[0]!.envelope).toBeUndefined();
    expect(decodePayload(items[0]!.payload)).toMatchObject({ type: 'message', id: m.id, text: 'written on the train' });
    expect((await client.records.conversation(toTherapist.id))?.lastAt).toBe(m.sentAt);
    expect(await client.outbox.pending()).toBe(1);
    expect(client.net.handled.length).toBe(before);
  });

  it('keeps what the receiver stored meanwhile: a stale copy of the conversation does not undo unread counts or a pending identity', async () => {
    // The UI's copy, taken before the receiver wrote.
    const stale = await conversationWith(therapist, client);
    await queueText(client, toTherapist, 'a message arrives');
    await client.outbox.flush();
    expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    await therapist.outbox.flush(); // the delivered receipt the pull queued
    const stored = await conversationWith(therapist, client);
    expect(stored.unread).toBe(1);
    await therapist.records.saveConversation({ ...stored, pendingIdentity: stored.peer });

    const held = await queueText(therapist, stale, 'typed before the banner showed', stale.lastAt + 1_000_000);
    const after = await conversationWith(therapist, client);
    expect(after.unread).toBe(1);
    expect(after.pendingIdentity).toEqual(stored.peer);
    expect(after.lastAt).toBe(held.sentAt);
    // Still blocked: nothing goes out until the new identity is acknowledged.
    const sentBefore = therapist.net.count('POST', '/v1/messages');
    await therapist.outbox.flush();
    expect(await statusOf(therapist, stale.id, held.id)).toBe('queued');
    expect(therapist.net.count('POST', '/v1/messages')).toBe(sentBefore);
  });

  it('writes all or nothing: a message the vault refuses leaves no outbox item behind', async () => {
    const id = newMessageId();
    const refused: StoredMessage = { id, mine: true, sentAt: Number.NaN, status: 'queued', text: 'x' };
    await expect(client.outbox.enqueue(toTherapist, { v: 1, type: 'message', id, sentAt: 1, text: 'x' }, refused)).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await client.records.outbox()).toEqual([]);
    expect(await client.records.message(toTherapist.id, id)).toBeUndefined();
  });

  it('refuses an invalid payload before storing anything', async () => {
    const id = newMessageId();
    await expect(client.outbox.enqueue(toTherapist, { v: 1, type: 'message', id, sentAt: 1 }, { id, mine: true, sentAt: 1, status: 'queued' })).rejects.toThrow();
    expect(await client.records.outbox()).toEqual([]);
    expect(await client.records.message(toTherapist.id, id)).toBeUndefined();
  });
});

describe('reporting changes', () => {
  it('reports the conversation it changed, and waits for the report: once when a message is queued, once when it is sent', async () => {
    const reported: string[] = [];
    // The client's own queue and stores, with a listener that takes its time (as the app's list refresh does).
    const outbox = new Outbox({
      records: client.records,
      store: client.store,
      api: client.api,
      onChange: async (id) => {
        await new Promise((r) => setTimeout(r, 5));
        reported.push(id);
      },
    });
    const m = newMessage({ text: 'reported' }, Date.now());
    await outbox.enqueue(toTherapist, m.payload, m.message);
    expect(reported).toEqual([toTherapist.id]);
    await outbox.flush();
    expect(reported).toEqual([toTherapist.id, toTherapist.id]);
    expect(await statusOf(client, toTherapist.id, m.message.id)).toBe('sent');
  });
});

describe('flush', () => {
  it('sends in order, exactly once, even when flushed concurrently', async () => {
    const sentBefore = client.net.count('POST', '/v1/messages');
    const queued = [];
    for (const t of ['one', 'two', 'three']) queued.push(await queueText(client, toTherapist, t));
    await Promise.all([client.outbox.flush(), client.outbox.flush(), client.outbox.flush()]);
    await client.outbox.flush();
    expect(client.net.count('POST', '/v1/messages') - sentBefore).toBe(3);
    expect(await client.outbox.pending()).toBe(0);
    expect(await client.records.outbox()).toEqual([]);
    for (const m of queued) expect(await statusOf(client, toTherapist.id, m.id)).toBe('sent');
    expect((await relayHolds(therapist)).map((h) => h.messageId)).toEqual(queued.map((m) => m.id));

    const withClient = await conversationWith(therapist, client);
    expect(await therapist.receiver.pull()).toEqual({ received: 3, rejected: 0 });
    expect(await texts(therapist, withClient.id)).toEqual(['one', 'two', 'three']);
  });

  it('a flush called while one runs schedules another pass: a message queued meanwhile is sent before it resolves', async () => {
    await queueText(client, toTherapist, 'first');
    const running = client.outbox.flush();
    const late = await queueText(client, toTherapist, 'second');
    await client.outbox.flush();
    await running;
    expect(await statusOf(client, toTherapist.id, late.id)).toBe('sent');
    expect(await client.outbox.pending()).toBe(0);
  });

  it('offline: items and statuses stay; back online one flush sends each message once', async () => {
    client.net.offline = true;
    const a = await queueText(client, toTherapist, 'offline a');
    const b = await queueText(client, toTherapist, 'offline b');
    await client.outbox.flush(); // resolves: offline is not an error
    await client.outbox.flush();
    expect(await client.outbox.pending()).toBe(2);
    expect(await statusOf(client, toTherapist.id, a.id)).toBe('queued');
    expect(await statusOf(client, toTherapist.id, b.id)).toBe('queued');
    expect(await relayHolds(therapist)).toEqual([]);
    // The first item was sealed once, before the first attempt; the second waits its turn.
    const [first, second] = await client.records.outbox();
    expect(first!.envelope).toBeInstanceOf(Uint8Array);
    expect(second!.envelope).toBeUndefined();

    client.net.offline = false;
    await client.outbox.flush();
    expect(await client.outbox.pending()).toBe(0);
    expect(await statusOf(client, toTherapist.id, a.id)).toBe('sent');
    expect(await statusOf(client, toTherapist.id, b.id)).toBe('sent');
    const held = await relayHolds(therapist);
    expect(held.map((h) => h.messageId)).toEqual([a.id, b.id]);
    expect(held[0]!.envelope).toEqual(first!.envelope);

    const withClient = await conversationWith(therapist, client);
    expect(await therapist.receiver.pull()).toEqual({ received: 2, rejected: 0 });
    expect(await texts(therapist, withClient.id)).toEqual(['offline a', 'offline b']);
  });

  it('a lost answer: the retry resends the same envelope, the relay keeps one copy, the peer opens it once', async () => {
    client.net.dropAnswer = SEND;
    const m = await queueText(client, toTherapist, 'did this arrive?');
    await client.outbox.flush();
    expect(client.net.count('POST', '/v1/messages', 201)).toBeGreaterThan(0);
    expect(await statusOf(client, toTherapist.id, m.id)).toBe('queued');
    const [item] = await client.records.outbox();
    expect(item!.messageId).toBe(m.id);
    const sealed = item!.envelope!;
    expect(await relayHolds(therapist)).toEqual([{ messageId: m.id, envelope: sealed }]);

    client.net.dropAnswer = undefined;
    const duplicatesBefore = client.net.count('POST', '/v1/messages', 200);
    await client.outbox.flush();
    // 200 is the relay's "same id, same bytes" answer (another envelope under the id is 409).
    expect(client.net.count('POST', '/v1/messages', 200) - duplicatesBefore).toBe(1);
    expect(await statusOf(client, toTherapist.id, m.id)).toBe('sent');
    expect(await client.records.outbox()).toEqual([]);
    expect(await relayHolds(therapist)).toEqual([{ messageId: m.id, envelope: sealed }]);

    const withClient = await conversationWith(therapist, client);
    expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 0 });
    expect(await texts(therapist, withClient.id)).toEqual(['did this arrive?']);
  });

  it('a lost answer, and the peer already read and acknowledged it: the retry is answered as the duplicate it is (200), nothing stored again', async () => {
    client.net.dropAnswer = SEND;
    const m = await queueText(client, toTherapist, 'only once, please');
    await client.outbox.flush();
    client.net.dropAnswer = undefined;
    const withClient = await conversationWith(therapist, client);
    therapist.net.refuse = SEND; // the therapist's receipt stays home: the client must rely on its retry
    expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(await relayHolds(therapist)).toEqual([]);

    // The relay keeps a tombstone of the acknowledged id until the message's expiry (issue 9,
    // item 2), so the retry is a duplicate: 200, not stored, not announced, no quota used.
    const storedBefore = client.net.count('POST', '/v1/messages', 201);
    const duplicatesBefore = client.net.count('POST', '/v1/messages', 200);
    await client.outbox.flush();
    expect(client.net.count('POST', '/v1/messages', 201) - storedBefore).toBe(0);
    expect(client.net.count('POST', '/v1/messages', 200) - duplicatesBefore).toBe(1);
    expect(await statusOf(client, toTherapist.id, m.id)).toBe('sent');
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 0 });
    expect(await texts(therapist, withClient.id)).toEqual(['only once, please']);
    expect((await conversationWith(therapist, client)).unread).toBe(1);
    expect(await relayHolds(therapist)).toEqual([]);
    therapist.net.refuse = undefined;
  });

  it('a refusal retrying cannot fix (403, capability revoked) fails that conversation\'s messages and does not block another conversation', async () => {
    const second = await joinClient(relay, therapist, 'Alex');
    devices.push(second.device);
    await therapist.receiver.pull();
    await therapist.outbox.flush();
    const toRobin = await conversationWith(therapist, client);
    const toAlex = await conversationWith(therapist, second.device);

    // Robin revokes the capability they gave the therapist, through the relay API.
    await client.api.revokeCapability(client.identity, client.profile.mailboxId, sha256(toTherapist.issuedCapability!));

    const refused = await queueText(therapist, toRobin, 'for Robin');
    const refusedToo = await queueText(therapist, toRobin, 'for Robin again');
    const delivered = await queueText(therapist, toAlex, 'for Alex');
    await therapist.outbox.flush();
    expect(await statusOf(therapist, toRobin.id, refused.id)).toBe('failed');
    expect(await statusOf(therapist, toRobin.id, refusedToo.id)).toBe('failed');
    expect(await statusOf(therapist, toAlex.id, delivered.id)).toBe('sent');
    expect(therapist.net.count('POST', '/v1/messages', 403)).toBe(2);
    expect(await therapist.outbox.pending()).toBe(0);
    const items = await therapist.records.outbox();
    expect(items.map((i) => [i.messageId, i.failed])).toEqual([
      [refused.id, 'forbidden'],
      [refusedToo.id, 'forbidden'],
    ]);

    // A failed item is not retried by later flushes.
    await therapist.outbox.flush();
    expect(therapist.net.count('POST', '/v1/messages', 403)).toBe(2);

    expect(await second.device.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(await texts(second.device, second.conversation.id)).toEqual(['for Alex']);
    expect(await client.receiver.pull()).toEqual({ received: 0, rejected: 0 });
  });

  it('skips a conversation whose peer identity changed (pendingIdentity) without failing it', async () => {
    const withClient = await conversationWith(therapist, client);
    const blocked = { ...withClient, pendingIdentity: withClient.peer };
    await therapist.records.saveConversation(blocked);
    const held = await queueText(therapist, blocked, 'wait for the safety number');
    await therapist.outbox.flush();
    expect(await statusOf(therapist, withClient.id, held.id)).toBe('queued');
    expect(await therapist.outbox.pending()).toBe(1);
    expect(therapist.net.count('POST', '/v1/messages')).toBe(0);
  });

  it('drops an item whose conversation no longer exists', async () => {
    const withClient = await conversationWith(therapist, client);
    await therapist.outbox.enqueue({ ...withClient, id: 'deleted-conversation' }, { v: 1, type: 'receipt', id: newMessageId(), sentAt: 1, status: 'read', messageIds: [newMessageId()] });
    await therapist.outbox.flush();
    expect(await therapist.records.outbox()).toEqual([]);
  });
});

describe('a full mailbox', () => {
  it('429 quota stops the flush and keeps the items queued (not failed); they go once the peer has read its mailbox', async () => {
    // A relay whose mailboxes hold 3 messages.
    const small = await startRelay({ mailboxQuota: { maxMessages: 3, maxBytes: 10 * 1024 * 1024 } });
    const t = await therapistDevice(small);
    const joinedSmall = await joinClient(small, t, 'Quinn');
    devices.push(t, joinedSmall.device);
    try {
      const c = joinedSmall.device;
      const conversation = joinedSmall.conversation;
      const queued = [];
      for (const text of ['m1', 'm2', 'm3']) queued.push(await queueText(c, conversation, text));
      await c.outbox.flush(); // hello and consent are already there: room for one more
      expect(c.net.count('POST', '/v1/messages', 429)).toBe(1);
      expect(await statusOf(c, conversation.id, queued[0]!.id)).toBe('sent');
      expect(await statusOf(c, conversation.id, queued[1]!.id)).toBe('queued');
      expect(await statusOf(c, conversation.id, queued[2]!.id)).toBe('queued');
      expect(await c.outbox.pending()).toBe(2);
      expect((await c.records.outbox()).every((i) => i.failed === undefined)).toBe(true);

      expect(await t.receiver.pull()).toEqual({ received: 3, rejected: 0 });
      await t.outbox.flush();
      await c.outbox.flush();
      expect(await c.outbox.pending()).toBe(0);
      expect(await t.receiver.pull()).toEqual({ received: 2, rejected: 0 });
      expect(await texts(t, (await conversationWith(t, c)).id)).toEqual(['m1', 'm2', 'm3']);
    } finally {
      for (const d of devices.splice(devices.indexOf(t), 2)) await d.close();
      await small.close();
    }
  });
});

describe('status order', () => {
  it('ranks queued < failed < sent < delivered < read', () => {
    const order: StoredMessage['status'][] = ['queued', 'failed', 'sent', 'delivered', 'read'];
    for (let i = 1; i < order.length; i++) expect(rank(order[i]!)).toBeGreaterThan(rank(order[i - 1]!));
  });

  it('a late "sent" never overwrites "delivered": the receipt can beat the answer of the retry', async () => {
    client.net.dropAnswer = SEND;
    const m = await queueText(client, toTherapist, 'racing the receipt');
    await client.outbox.flush();
    client.net.dropAnswer = undefined;
    expect(await statusOf(client, toTherapist.id, m.id)).toBe('queued');

    // The relay stored it; the therapist gets it and says "delivered" before the client retries.
    expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    await therapist.outbox.flush();
    // The client's receiver runs first and flushes its outbox (a receipt isn't "received").
    client.net.refuse = SEND;
    expect(await client.receiver.pull()).toEqual({ received: 1, rejected: 0 });
    expect(await statusOf(client, toTherapist.id, m.id)).toBe('delivered');
    client.net.refuse = undefined;

    await client.outbox.flush();
    expect(await client.records.outbox()).toEqual([]);
    expect(await statusOf(client, toTherapist.id, m.id)).toBe('delivered');
  });

  it('a late "delivered" receipt does not move "read" back', async () => {
    const withClient = await conversationWith(therapist, client);
    const m = await queueText(therapist, withClient, 'read me');
    await therapist.outbox.flush();
    await client.receiver.pull();
    const read = { v: 1 as const, type: 'receipt' as const, sentAt: Date.now(), messageIds: [m.id] };
    await client.outbox.enqueue(toTherapist, { ...read, id: newMessageId(), status: 'read' });
    await client.outbox.enqueue(toTherapist, { ...read, id: newMessageId(), status: 'delivered' });
    await client.outbox.flush();
    await therapist.receiver.pull();
    expect(await statusOf(therapist, withClient.id, m.id)).toBe('read');
  });
});
