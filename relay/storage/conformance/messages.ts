/**
 * Conformance for MessageStore: send, fetch, quota, duplicates and conflicts, acknowledgement and its tombstones.
 * Run against every adapter by ./index.ts.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { DAY, MINUTE, type OpenStore, ROOMY, T0, message, rnd, storeFixture, tablesHolding } from './_fixture.ts';

export function messagesConformance(open: OpenStore): void {
  const { store, tables, mailbox } = storeFixture(open);

  describe('messages', () => {
    it('stores envelopes and lists them oldest first with every field', async () => {
      const { mailboxId } = await mailbox();
      const sent = [message(mailboxId), message(mailboxId, { receivedAt: T0 + 1 }), message(mailboxId, { receivedAt: T0 + 2 })];
      const seqs: number[] = [];
      for (const m of sent) {
        const r = await store.putMessage(m, ROOMY);
        expect(r.status).toBe('stored');
        seqs.push((r as { seq: number }).seq);
      }
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
      const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 + 3 });
      expect(listed).toEqual(sent.map((m, i) => ({ ...m, seq: seqs[i] })));
      expect(listed[0]!.envelope).toBeInstanceOf(Uint8Array);
    });

    it('pages with after and limit', async () => {
      const { mailboxId } = await mailbox();
      const seqs: number[] = [];
      for (let i = 0; i < 5; i++) seqs.push(((await store.putMessage(message(mailboxId), ROOMY)) as { seq: number }).seq);
      const first = await store.listMessages(mailboxId, { after: 0, limit: 2, now: T0 });
      expect(first.map((m) => m.seq)).toEqual(seqs.slice(0, 2));
      const rest = await store.listMessages(mailboxId, { after: first[1]!.seq, limit: 10, now: T0 });
      expect(rest.map((m) => m.seq)).toEqual(seqs.slice(2));
      expect(await store.listMessages(mailboxId, { after: seqs[4]!, limit: 10, now: T0 })).toEqual([]);
    });

    it('lists only the asked mailbox', async () => {
      const a = await mailbox();
      const b = await mailbox();
      await store.putMessage(message(a.mailboxId), ROOMY);
      const mb = message(b.mailboxId);
      await store.putMessage(mb, ROOMY);
      const listed = await store.listMessages(b.mailboxId, { after: 0, limit: 10, now: T0 });
      expect(listed.map((m) => m.messageId)).toEqual([mb.messageId]);
      expect(await store.listMessages(rnd(16), { after: 0, limit: 10, now: T0 })).toEqual([]);
    });

    it('leaves out messages expired at now (expiresAt <= now)', async () => {
      const { mailboxId } = await mailbox();
      const short = message(mailboxId, { expiresAt: T0 + MINUTE });
      const long = message(mailboxId, { expiresAt: T0 + DAY });
      await store.putMessage(short, ROOMY);
      await store.putMessage(long, ROOMY);
      const ids = async (now: number) => (await store.listMessages(mailboxId, { after: 0, limit: 10, now })).map((m) => m.messageId);
      expect(await ids(T0 + MINUTE - 1)).toEqual([short.messageId, long.messageId]);
      expect(await ids(T0 + MINUTE)).toEqual([long.messageId]);
      expect(await ids(T0 + DAY)).toEqual([]);
    });

    it('answers a retry with the same bytes as duplicate with the original seq, storing nothing new', async () => {
      const { mailboxId } = await mailbox();
      const m = message(mailboxId);
      const first = await store.putMessage(m, ROOMY);
      const retry = await store.putMessage({ ...m, envelope: m.envelope.slice(), receivedAt: T0 + MINUTE, expiresAt: T0 + 31 * DAY }, ROOMY);
      expect(first.status).toBe('stored');
      expect(retry).toEqual({ status: 'duplicate', seq: (first as { seq: number }).seq });
      const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
      expect(listed).toEqual([{ ...m, seq: (first as { seq: number }).seq }]);
    });

    it('refuses the same id with different bytes as conflict and keeps the original', async () => {
      const { mailboxId } = await mailbox();
      const m = message(mailboxId);
      await store.putMessage(m, ROOMY);
      const changed = m.envelope.slice();
      changed[0]! ^= 1;
      expect(await store.putMessage({ ...m, envelope: changed }, ROOMY)).toEqual({ status: 'conflict' });
      expect(await store.putMessage({ ...m, envelope: m.envelope.subarray(1) }, ROOMY)).toEqual({ status: 'conflict' });
      const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
      expect(listed.map((x) => x.envelope)).toEqual([m.envelope]);
    });

    it('treats the same message id in two mailboxes as two messages', async () => {
      const a = await mailbox();
      const b = await mailbox();
      const id = rnd(16);
      expect((await store.putMessage(message(a.mailboxId, { messageId: id }), ROOMY)).status).toBe('stored');
      expect((await store.putMessage(message(b.mailboxId, { messageId: id }), ROOMY)).status).toBe('stored');
    });

    it('refuses past the message-count quota and stores nothing; an ack frees room', async () => {
      const { mailboxId } = await mailbox();
      const quota = { maxMessages: 2, maxBytes: 1 << 20 };
      const kept = [message(mailboxId), message(mailboxId)];
      for (const m of kept) expect((await store.putMessage(m, quota)).status).toBe('stored');
      const refused = message(mailboxId);
      expect(await store.putMessage(refused, quota)).toEqual({ status: 'quota' });
      const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
      expect(listed.map((m) => m.messageId)).toEqual(kept.map((m) => m.messageId));
      expect(await store.ackMessages(mailboxId, [kept[0]!.messageId])).toBe(1);
      expect((await store.putMessage(refused, quota)).status).toBe('stored');
    });

    it('refuses past the byte quota (exactly full is allowed) and stores nothing', async () => {
      const { mailboxId } = await mailbox();
      const quota = { maxMessages: 100, maxBytes: 3000 };
      expect((await store.putMessage(message(mailboxId, { envelope: rnd(2000) }), quota)).status).toBe('stored');
      expect(await store.putMessage(message(mailboxId, { envelope: rnd(1001) }), quota)).toEqual({ status: 'quota' });
      expect((await store.putMessage(message(mailboxId, { envelope: rnd(1000) }), quota)).status).toBe('stored');
      expect(await store.putMessage(message(mailboxId, { envelope: rnd(1) }), quota)).toEqual({ status: 'quota' });
      const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
      expect(listed.map((m) => m.envelope.length)).toEqual([2000, 1000]);
      // A single envelope larger than the whole quota is refused in an empty mailbox too.
      const { mailboxId: empty } = await mailbox();
      expect(await store.putMessage(message(empty, { envelope: rnd(3001) }), quota)).toEqual({ status: 'quota' });
    });

    it('counts quota per mailbox', async () => {
      const a = await mailbox();
      const b = await mailbox();
      const quota = { maxMessages: 1, maxBytes: 1 << 20 };
      expect((await store.putMessage(message(a.mailboxId), quota)).status).toBe('stored');
      expect((await store.putMessage(message(b.mailboxId), quota)).status).toBe('stored');
    });

    it('answers a retry as duplicate even when the mailbox is full', async () => {
      const { mailboxId } = await mailbox();
      const quota = { maxMessages: 1, maxBytes: 1 << 20 };
      const m = message(mailboxId);
      const first = await store.putMessage(m, quota);
      expect(await store.putMessage(m, quota)).toEqual({ status: 'duplicate', seq: (first as { seq: number }).seq });
    });

    it('does not count messages expired at receivedAt against the quota', async () => {
      const { mailboxId } = await mailbox();
      const quota = { maxMessages: 1, maxBytes: 1 << 20 };
      await store.putMessage(message(mailboxId, { expiresAt: T0 + MINUTE }), quota);
      expect((await store.putMessage(message(mailboxId), quota)).status).toBe('quota');
      expect((await store.putMessage(message(mailboxId, { receivedAt: T0 + MINUTE }), quota)).status).toBe('stored');
    });

    it('keeps several concurrent sends within the quota', async () => {
      const { mailboxId } = await mailbox();
      const quota = { maxMessages: 5, maxBytes: 1 << 20 };
      const results = await Promise.all(Array.from({ length: 12 }, () => store.putMessage(message(mailboxId), quota)));
      expect(results.filter((r) => r.status === 'stored')).toHaveLength(5);
      expect(results.filter((r) => r.status === 'quota')).toHaveLength(7);
      expect(await store.listMessages(mailboxId, { after: 0, limit: 100, now: T0 })).toHaveLength(5);
    });

    it('ack deletes only the named messages of that mailbox and counts those that existed', async () => {
      const { mailboxId } = await mailbox();
      const ms = [message(mailboxId), message(mailboxId), message(mailboxId)];
      for (const m of ms) await store.putMessage(m, ROOMY);
      expect(await store.ackMessages(mailboxId, [ms[0]!.messageId, ms[2]!.messageId, rnd(16), ms[0]!.messageId])).toBe(2);
      const left = await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 });
      expect(left.map((m) => m.messageId)).toEqual([ms[1]!.messageId]);
      expect(await store.ackMessages(mailboxId, [])).toBe(0);
    });

    it("acking through someone else's mailbox deletes nothing", async () => {
      const victim = await mailbox();
      const attacker = await mailbox();
      const m = message(victim.mailboxId);
      await store.putMessage(m, ROOMY);
      expect(await store.ackMessages(attacker.mailboxId, [m.messageId])).toBe(0);
      expect(await store.ackMessages(rnd(16), [m.messageId])).toBe(0);
      expect(await store.listMessages(victim.mailboxId, { after: 0, limit: 10, now: T0 })).toHaveLength(1);
    });

    it('never reuses a seq, even after the newest message is acknowledged', async () => {
      const { mailboxId } = await mailbox();
      const m = message(mailboxId);
      const first = (await store.putMessage(m, ROOMY)) as { seq: number };
      await store.ackMessages(mailboxId, [m.messageId]);
      const second = (await store.putMessage(message(mailboxId), ROOMY)) as { seq: number };
      expect(second.seq).toBeGreaterThan(first.seq);
    });
  });

  describe('acknowledged messages (tombstones)', () => {
    it('answers a resend after the ack as duplicate with the original seq: nothing stored, nothing counted against the quota', async () => {
      const { mailboxId } = await mailbox();
      const quota = { maxMessages: 1, maxBytes: 1 << 20 };
      const m = message(mailboxId);
      const first = (await store.putMessage(m, quota)) as { status: 'stored'; seq: number };
      expect(first.status).toBe('stored');
      expect(await store.ackMessages(mailboxId, [m.messageId])).toBe(1);
      // A captured send replayed later, with the relay's new timestamps.
      const replay = { ...m, envelope: m.envelope.slice(), receivedAt: T0 + DAY, expiresAt: T0 + 31 * DAY };
      expect(await store.putMessage(replay, quota)).toEqual({ status: 'duplicate', seq: first.seq });
      expect(await store.putMessage(replay, quota)).toEqual({ status: 'duplicate', seq: first.seq });
      expect(await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 + DAY })).toEqual([]);
      // The quota of 1 is free: the replays took nothing.
      expect((await store.putMessage(message(mailboxId, { receivedAt: T0 + DAY }), quota)).status).toBe('stored');
      // A second ack of the same id finds nothing to delete.
      expect(await store.ackMessages(mailboxId, [m.messageId])).toBe(0);
    });

    it('refuses the acknowledged id with other bytes as conflict, storing nothing', async () => {
      const { mailboxId } = await mailbox();
      const m = message(mailboxId);
      await store.putMessage(m, ROOMY);
      await store.ackMessages(mailboxId, [m.messageId]);
      const changed = m.envelope.slice();
      changed[100]! ^= 1;
      expect(await store.putMessage({ ...m, envelope: changed }, ROOMY)).toEqual({ status: 'conflict' });
      expect(await store.listMessages(mailboxId, { after: 0, limit: 10, now: T0 })).toEqual([]);
    });

    it('keeps the tombstone until the original expiry and sweeps it then, with the messages', async () => {
      const { mailboxId } = await mailbox();
      const m = message(mailboxId, { expiresAt: T0 + DAY });
      const first = (await store.putMessage(m, ROOMY)) as { seq: number };
      await store.ackMessages(mailboxId, [m.messageId]);
      await store.sweep(T0 + DAY - 1);
      expect(await store.putMessage({ ...m, receivedAt: T0 + DAY - 1, expiresAt: T0 + 31 * DAY }, ROOMY)).toEqual({
        status: 'duplicate',
        seq: first.seq,
      });
      await store.sweep(T0 + DAY);
      const after = await store.putMessage({ ...m, receivedAt: T0 + DAY, expiresAt: T0 + 31 * DAY }, ROOMY);
      expect(after.status).toBe('stored');
    });

    it('tombstones only what the ack deleted: an unknown id, or an id acked through another mailbox, stays free', async () => {
      const victim = await mailbox();
      const other = await mailbox();
      const m = message(victim.mailboxId);
      await store.putMessage(m, ROOMY);
      const unknown = rnd(16);
      expect(await store.ackMessages(other.mailboxId, [m.messageId, unknown])).toBe(0);
      expect((await store.putMessage(message(other.mailboxId, { messageId: m.messageId }), ROOMY)).status).toBe('stored');
      expect((await store.putMessage(message(victim.mailboxId, { messageId: unknown }), ROOMY)).status).toBe('stored');
      expect(await store.listMessages(victim.mailboxId, { after: 0, limit: 10, now: T0 })).toHaveLength(2);
    });

    it('a tombstone holds neither the message id, the mailbox id nor any envelope bytes', async () => {
      const { mailboxId } = await mailbox();
      const m = message(mailboxId);
      await store.putMessage(m, ROOMY);
      expect(tablesHolding(await tables(), m.messageId)).toEqual(['messages']);
      await store.ackMessages(mailboxId, [m.messageId]);
      const after = await tables();
      expect(tablesHolding(after, m.messageId)).toEqual([]);
      expect(tablesHolding(after, mailboxId)).toEqual(['mailboxes']);
      expect(tablesHolding(after, m.envelope.subarray(0, 32))).toEqual([]);
    });
  });
}
