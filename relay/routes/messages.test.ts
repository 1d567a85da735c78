import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { openEnvelope } from '../../shared/sealed.ts';
import { FIXTURE_NOW, type AppFixture } from '../testing/app-fixture.ts';
import { useAppFixture } from '../testing/use-app-fixture.ts';
import { deliver, mailboxWithCapability, seal } from '../testing/mailbox-helpers.ts';
import { DEFAULT_MESSAGE_TTL_MS } from '../limits.ts';

const fx = useAppFixture({ each: true });

interface Page {
  messages: { seq: number; messageId: string; envelope: string; receivedAt: number }[];
  more: boolean;
}
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A therapist's own mailbox and one envelope delivered to it under a known id: what a retried or replayed send repeats. */
async function sentOnce(fx: AppFixture, text: string) {
  const t = await fx.therapist();
  const box = await mailboxWithCapability(fx, t);
  const envelope = await seal(t, t, box.id, enc.encode(text));
  const messageId = toBase64url(randomBytes(16));
  const first = await deliver(fx, envelope, { capability: box.capability, messageId });
  expect(first.status).toBe(201);
  return { t, box, envelope, messageId, first };
}

describe('send, fetch, ack', () => {
  it('delivers a sealed envelope the owner fetches, opens and acks; the relay file never holds the plaintext', async () => {
    const t = await fx.therapist();
    const c = await fx.client(t);
    const box = await mailboxWithCapability(fx, t);
    const plaintext = `session notes ${toBase64url(randomBytes(12))}`;
    const envelope = await seal(c, t, box.id, enc.encode(plaintext));
    const messageId = toBase64url(randomBytes(16));

    const sent = await deliver(fx, envelope, { capability: box.capability, messageId });
    expect(sent.status).toBe(201);
    const { seq } = (await sent.json()) as { seq: number };
    expect(seq).toBeGreaterThan(0);

    const fetched = await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages`);
    expect(fetched.status).toBe(200);
    const page = (await fetched.json()) as Page;
    expect(page).toEqual({ messages: [{ seq, messageId, envelope: toBase64url(envelope), receivedAt: FIXTURE_NOW }], more: false });
    const opened = await openEnvelope(t, fromBase64url(page.messages[0]!.envelope));
    expect(dec.decode(opened.message)).toBe(plaintext);

    // Everything the store wrote to disk (SQLite: database, WAL, journal; PostgreSQL after a
    // checkpoint: WAL and this database's files): no plaintext.
    const files = await fx.storedFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f.bytes.includes(Buffer.from(plaintext)), f.path).toBe(false);
    // The envelope itself is what is stored (sanity check that the scan sees message rows).
    expect(files.some((f) => f.bytes.includes(Buffer.from(envelope.subarray(40, 80))))).toBe(true);

    const ack = await fx.send(t, 'POST', `/v1/mailboxes/${box.idB64}/ack`, { body: JSON.stringify({ messageIds: [messageId] }) });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toEqual({ deleted: 1 });
    const empty = (await (await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages`)).json()) as Page;
    expect(empty).toEqual({ messages: [], more: false });
  });

  it('publishes the new seq to the mailbox subscribers after storing', async () => {
    const t = await fx.therapist();
    const box = await mailboxWithCapability(fx, t);
    const seen: number[] = [];
    // The event itself, not a wait on the clock: on PostgreSQL it arrives through NOTIFY on
    // another connection, some time after the 201.
    let heard!: () => void;
    const published = new Promise<void>((resolve) => (heard = resolve));
    const off = fx.store.notifier.subscribe(box.id, (s) => {
      seen.push(s);
      heard();
    });
    const res = await deliver(fx, await seal(t, t, box.id, enc.encode('hi')), { capability: box.capability });
    const { seq } = (await res.json()) as { seq: number };
    await published;
    off();
    expect(seen).toEqual([seq]);
  });

  it('answers a retry of the same id and bytes with 200 and the same seq, storing one row', async () => {
    const { t, box, envelope, messageId, first } = await sentOnce(fx, 'once');
    const before = fx.counts();
    fx.now += 1000;
    const retry = await deliver(fx, envelope, { capability: box.capability, messageId });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual(await first.json());
    expect(fx.counts()).toEqual(before);
    const page = (await (await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages`)).json()) as Page;
    expect(page.messages).toHaveLength(1);
  });

  it('answers the same id with other bytes with 409 and keeps the first envelope', async () => {
    const t = await fx.therapist();
    const box = await mailboxWithCapability(fx, t);
    const messageId = toBase64url(randomBytes(16));
    const first = await seal(t, t, box.id, enc.encode('first'));
    expect((await deliver(fx, first, { capability: box.capability, messageId })).status).toBe(201);
    const before = fx.counts();
    const res = await deliver(fx, await seal(t, t, box.id, enc.encode('second')), { capability: box.capability, messageId });
    expect(res.status).toBe(409);
    expect(fx.counts()).toEqual(before);
    const page = (await (await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages`)).json()) as Page;
    expect(page.messages.map((m) => m.envelope)).toEqual([toBase64url(first)]);
  });

  it('pages with after and limit, saying when more is left', async () => {
    const t = await fx.therapist();
    const box = await mailboxWithCapability(fx, t);
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await deliver(fx, await seal(t, t, box.id, enc.encode(`m${i}`)), { capability: box.capability });
      seqs.push(((await res.json()) as { seq: number }).seq);
    }
    const p1 = (await (await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages?limit=2`)).json()) as Page;
    expect(p1.messages.map((m) => m.seq)).toEqual(seqs.slice(0, 2));
    expect(p1.more).toBe(true);
    const p2 = (await (await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages?after=${seqs[1]}&limit=2`)).json()) as Page;
    expect(p2.messages.map((m) => m.seq)).toEqual(seqs.slice(2));
    expect(p2.more).toBe(false);
    for (const q of ['limit=0', 'limit=501', 'after=-1', 'after=x', 'limit=1.5']) {
      expect((await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages?${q}`)).status).toBe(400);
    }
  });

  it('stops serving a message 30 days after receipt by default', async () => {
    const t = await fx.therapist();
    const box = await mailboxWithCapability(fx, t);
    await deliver(fx, await seal(t, t, box.id, enc.encode('old')), { capability: box.capability });
    fx.now = FIXTURE_NOW + DEFAULT_MESSAGE_TTL_MS - 1;
    expect(((await (await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages`)).json()) as Page).messages).toHaveLength(1);
    fx.now = FIXTURE_NOW + DEFAULT_MESSAGE_TTL_MS;
    expect(((await (await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages`)).json()) as Page).messages).toHaveLength(0);
  });
});

describe('a captured send replayed after the ack (issue 9 item 2)', () => {
  const fx = useAppFixture({ each: true, deps: { mailboxQuota: { maxMessages: 1, maxBytes: 1024 * 1024 } } });
  it('answers 200 with the original seq: nothing stored, nothing to fetch, no live notice, no quota used', async () => {
    const { t, box, envelope, messageId, first } = await sentOnce(fx, 'once only');
    const firstBody = (await first.json()) as { seq: number };
    const ack = await fx.send(t, 'POST', `/v1/mailboxes/${box.idB64}/ack`, { body: JSON.stringify({ messageIds: [messageId] }) });
    expect(await ack.json()).toEqual({ deleted: 1 });

    const notices: number[] = [];
    const off = fx.store.notifier.subscribe(box.id, (seq) => notices.push(seq));
    try {
      const before = fx.counts();
      fx.now += 60_000;
      const replay = await deliver(fx, envelope, { capability: box.capability, messageId });
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual(firstBody);
      expect(fx.counts()).toEqual(before);
      const page = (await (await fx.send(t, 'GET', `/v1/mailboxes/${box.idB64}/messages`)).json()) as Page;
      expect(page).toEqual({ messages: [], more: false });

      // A fresh send still fits the quota of 1 and is announced; the replay was not, before it.
      const next = await deliver(fx, await seal(t, t, box.id, enc.encode('next')), { capability: box.capability });
      expect(next.status).toBe(201);
      const { seq } = (await next.json()) as { seq: number };
      await vi.waitFor(() => expect(notices).toContain(seq));
      expect(notices).toEqual([seq]);
    } finally {
      off();
    }
  });
});

describe('configurable expiry and quota', () => {
  const fx = useAppFixture({ each: true, deps: { messageTtlMs: 1000, mailboxQuota: { maxMessages: 2, maxBytes: 1024 * 1024 } } });
  it('takes messageTtlMs and mailboxQuota from AppDeps; a full mailbox is 429 quota', async () => {
    const t = await fx.therapist();
    const box = await mailboxWithCapability(fx, t);
    for (let i = 0; i < 2; i++) {
      expect((await deliver(fx, await seal(t, t, box.id, enc.encode(`m${i}`)), { capability: box.capability })).status).toBe(201);
    }
    const before = fx.counts();
    const full = await deliver(fx, await seal(t, t, box.id, enc.encode('m2')), { capability: box.capability });
    expect(full.status).toBe(429);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('quota');
    expect(fx.counts()).toEqual(before);
    fx.now += 1000; // both expired: room again
    expect((await deliver(fx, await seal(t, t, box.id, enc.encode('m3')), { capability: box.capability })).status).toBe(201);
  });
});
