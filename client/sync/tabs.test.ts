// @vitest-environment node
/**
 * One device open in two tabs (issue 9, item 0): the therapist's vault unlocked in two pages,
 * each with its own protocol store, outbox and receiver over the one IndexedDB database, both
 * receiving and sending at once, round after round, over the real relay in process. What must
 * hold: no (ratchet key, counter) of the therapist's sending chains ever carries two envelopes,
 * the client opens every envelope (nothing refused as a duplicate), no item is sealed twice or
 * refused by the relay (409) or marked failed, and every message is stored once on each side.
 */
import { describe, expect, it } from 'vitest';
import { chainPosition } from '../../test-support/chain-position.ts';
import { conversationWith, joinClient, queueText, relayPerTest, secondTab, texts, therapistDevice, type Relay } from '../../test-support/devices.ts';

let relay: Relay;
const devices = relayPerTest(async (r) => {
  relay = r;
});

const ROUNDS = 8;

describe('one device in two tabs', () => {
  it('receiving and sending in both tabs at once never seals two envelopes with one message key, and loses nothing', async () => {
    const tab1 = await therapistDevice(relay);
    const { device: client, conversation: toTherapist } = await joinClient(relay, tab1, 'Sam');
    const tab2 = await secondTab(tab1);
    devices.push(tab1, tab2, client);
    await tab1.receiver.pull();
    await tab1.outbox.flush();
    const withClient = await conversationWith(tab1, client);

    const fromClient: string[] = [];
    const fromTherapist: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < 3; i++) {
        fromClient.push(`client r${round} m${i}`);
        await queueText(client, toTherapist, fromClient.at(-1)!);
      }
      await client.outbox.flush();
      // Both tabs pull the same envelopes (and queue "delivered" receipts) while both write.
      await Promise.all(
        [tab1, tab2].map(async (tab, t) => {
          const writing = (async () => {
            for (let i = 0; i < 2; i++) {
              fromTherapist.push(`therapist tab${t + 1} r${round} m${i}`);
              await queueText(tab, withClient, fromTherapist.at(-1)!);
              await tab.outbox.flush();
            }
          })();
          await Promise.all([tab.receiver.pull(), writing]);
          await tab.outbox.flush();
        }),
      );
      const got = await client.receiver.pull();
      expect(got.rejected).toBe(0);
      await client.outbox.flush();
    }
    await Promise.all([tab1.receiver.pull(), tab2.receiver.pull()]);
    await Promise.all([tab1.outbox.flush(), tab2.outbox.flush()]);
    expect((await client.receiver.pull()).rejected).toBe(0);

    // Every envelope the therapist's tabs sent, opened with the client's keys: one per position.
    const positions = await Promise.all(tab1.net.envelopes.map((envelope) => chainPosition(client.identity, envelope)));
    expect(positions.length).toBeGreaterThan(ROUNDS * 4);
    expect(new Set(positions).size).toBe(positions.length);

    // Nothing refused, nothing failed, nothing waiting.
    expect(tab1.net.count('POST', '/v1/messages', 409)).toBe(0);
    expect(await tab1.records.outbox()).toEqual([]);
    const therapistSide = await tab1.records.messages(withClient.id);
    expect(therapistSide.filter((m) => m.message.status === 'failed')).toEqual([]);
    expect((await texts(tab1, withClient.id)).filter((t) => t.startsWith('client')).sort()).toEqual([...fromClient].sort());
    expect((await texts(client, toTherapist.id)).sort()).toEqual([...fromClient, ...fromTherapist].sort());
  });
});
