/**
 * Refusals around mailboxes and messages: another device reading or acking a mailbox, delivery
 * without a valid capability for the envelope's mailbox (missing, malformed, revoked, for
 * another mailbox, mailbox absent), oversize envelopes (declared and chunked), wrong content
 * types, malformed message ids and envelopes, full mailboxes, replayed signed fetches. Each gets
 * its 4xx and leaves every stored row as it was.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import { MIN_ENVELOPE_LEN } from '../../shared/sealed.ts';
import { sha256 } from '../testing/app-fixture.ts';
import { errorCode as code, expectRefused, useAppFixture } from '../testing/use-app-fixture.ts';
import { addCapability, deliver, mailboxWithCapability, seal, type TestMailbox } from '../testing/mailbox-helpers.ts';
import { BODY_LIMITS } from '../limits.ts';

let therapist: Identity;
let client: Identity;
let boxA: TestMailbox;
let boxB: TestMailbox;
let storedId: string;
const fx = useAppFixture({ deps: { mailboxQuota: { maxMessages: 5, maxBytes: 64 * 1024 } } }, async (fx) => {
  therapist = await fx.therapist();
  client = await fx.client(therapist);
  boxA = await mailboxWithCapability(fx, therapist);
  boxB = await mailboxWithCapability(fx, client);
  storedId = toBase64url(randomBytes(16));
  const res = await deliver(fx, await seal(client, therapist, boxA.id, enc.encode('to A')), { capability: boxA.capability, messageId: storedId });
  if (res.status !== 201) throw new Error(`setup: send answered ${res.status}`);
});

const enc = new TextEncoder();

/** Run `attempt`, expect `status` and `errorCode`, and no stored row changed. */
const refused = (attempt: () => Response | Promise<Response>, status: number, errorCode: string) => expectRefused(fx, attempt, status, errorCode);

const toA = () => seal(client, therapist, boxA.id, enc.encode('hello'));

describe('mailbox access by another device', () => {
  it('answers 404 to a device fetching another account\'s mailbox, as for an absent one', async () => {
    await refused(() => fx.send(client, 'GET', `/v1/mailboxes/${boxA.idB64}/messages`), 404, 'not_found');
    await refused(() => fx.send(client, 'GET', `/v1/mailboxes/${toBase64url(randomBytes(16))}/messages`), 404, 'not_found');
  });

  it('deletes nothing when another account acks a mailbox\'s messages, on its own mailbox or on the victim\'s', async () => {
    await refused(() => fx.send(client, 'POST', `/v1/mailboxes/${boxA.idB64}/ack`, { body: JSON.stringify({ messageIds: [storedId] }) }), 404, 'not_found');
    const before = fx.counts();
    const own = await fx.send(client, 'POST', `/v1/mailboxes/${boxB.idB64}/ack`, { body: JSON.stringify({ messageIds: [storedId] }) });
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ deleted: 0 });
    expect(fx.counts()).toEqual(before);
  });

  it('refuses a replayed signed fetch with 401', async () => {
    const path = `/v1/mailboxes/${boxA.idB64}/messages`;
    const headers = await signRequest(therapist, { method: 'GET', path, body: new Uint8Array(0) }, { now: fx.now });
    expect((await fx.app.request(path, { method: 'GET', headers })).status).toBe(200);
    await refused(() => fx.app.request(path, { method: 'GET', headers }), 401, 'unauthorized');
  });

  it('refuses an unsigned fetch and an ack with an empty or oversized id list', async () => {
    await refused(() => fx.send(therapist, 'GET', `/v1/mailboxes/${boxA.idB64}/messages`, { unsigned: true }), 401, 'unauthorized');
    await refused(() => fx.send(therapist, 'POST', `/v1/mailboxes/${boxA.idB64}/ack`, { body: JSON.stringify({ messageIds: [] }) }), 400, 'bad_request');
    const many = Array.from({ length: 501 }, () => toBase64url(randomBytes(16)));
    await refused(() => fx.send(therapist, 'POST', `/v1/mailboxes/${boxA.idB64}/ack`, { body: JSON.stringify({ messageIds: many }) }), 400, 'bad_request');
  });
});

describe('delivery capability', () => {
  it('refuses a missing, malformed or unknown capability with one 403', async () => {
    const bodies = new Set<string>();
    for (const capability of [null, 'not-base64!', toBase64url(randomBytes(16)), toBase64url(randomBytes(32))]) {
      const before = fx.counts();
      const res = await deliver(fx, await toA(), { capability });
      expect(res.status).toBe(403);
      bodies.add(await res.text());
      expect(fx.counts()).toEqual(before);
    }
    expect(bodies.size).toBe(1);
  });

  it('refuses a revoked capability', async () => {
    const secret = await addCapability(fx, therapist, boxA.idB64);
    const hash = toBase64url(sha256(Buffer.from(secret, 'base64url')));
    expect((await fx.send(therapist, 'DELETE', `/v1/mailboxes/${boxA.idB64}/capabilities/${hash}`)).status).toBe(204);
    await refused(async () => deliver(fx, await toA(), { capability: secret }), 403, 'forbidden');
    // Adding the hash again does not revive it.
    await fx.send(therapist, 'POST', `/v1/mailboxes/${boxA.idB64}/capabilities`, { body: JSON.stringify({ capabilityHash: hash }) });
    await refused(async () => deliver(fx, await toA(), { capability: secret }), 403, 'forbidden');
  });

  it('refuses mailbox A\'s capability on an envelope for mailbox B', async () => {
    const toB = await seal(therapist, client, boxB.id, enc.encode('hello B'));
    await refused(() => deliver(fx, toB, { capability: boxA.capability }), 403, 'forbidden');
  });

  it('refuses an envelope whose mailbox id has no capability (no such mailbox)', async () => {
    const nowhere = await seal(client, therapist, randomBytes(16), enc.encode('lost'));
    await refused(() => deliver(fx, nowhere, { capability: boxA.capability }), 403, 'forbidden');
  });

  it('does not accept an account signature in place of a capability', async () => {
    const envelope = await toA();
    await refused(async () => {
      const headers = await signRequest(client, { method: 'POST', path: '/v1/messages', body: envelope }, { now: fx.now });
      return deliver(fx, envelope, { capability: null, headers });
    }, 403, 'forbidden');
  });
});

describe('envelope and headers', () => {
  it('refuses an envelope over 256 KiB by Content-Length with 413', async () => {
    const big = new Uint8Array(BODY_LIMITS.envelope + 1);
    big.set(await toA());
    await refused(() => deliver(fx, big, { capability: boxA.capability }), 413, 'too_large');
  });

  it('refuses a chunked envelope over 256 KiB (no Content-Length) with 413', async () => {
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent > BODY_LIMITS.envelope) return ctl.close();
        sent += chunk.length;
        ctl.enqueue(chunk);
      },
    });
    await refused(() => deliver(fx, stream, { capability: boxA.capability }), 413, 'too_large');
  });

  it('refuses a wrong or missing content type with 415', async () => {
    for (const contentType of ['application/json', 'text/plain', null]) {
      await refused(async () => deliver(fx, await toA(), { capability: boxA.capability, contentType }), 415, 'unsupported_media_type');
    }
  });

  it('refuses a missing or malformed message id with 400', async () => {
    for (const messageId of [null, '', toBase64url(randomBytes(15)), toBase64url(randomBytes(17)), 'AAAAAAAAAAAAAAAAAAAAA!']) {
      await refused(async () => deliver(fx, await toA(), { capability: boxA.capability, messageId }), 400, 'bad_request');
    }
  });

  it('refuses a short, empty or wrong-version envelope with 400', async () => {
    // The value docs/API.md gives for the smallest envelope.
    expect(MIN_ENVELOPE_LEN).toBe(243);
    const good = await toA();
    const wrongVersion = good.slice();
    wrongVersion[0] = 0x7f;
    for (const envelope of [new Uint8Array(0), good.subarray(0, MIN_ENVELOPE_LEN - 1), wrongVersion]) {
      await refused(() => deliver(fx, envelope, { capability: boxA.capability }), 400, 'bad_request');
    }
  });
});

describe('quota', () => {
  it('refuses with 429 quota once the mailbox holds its message count, and a retry of a stored id still answers 200', async () => {
    let n = (await fx.store.listMessages(boxB.id, { after: 0, limit: 100, now: fx.now })).length;
    let lastId = '';
    let lastEnvelope: Uint8Array = new Uint8Array(0);
    while (n < 5) {
      lastId = toBase64url(randomBytes(16));
      lastEnvelope = await seal(therapist, client, boxB.id, enc.encode(`m${n}`));
      expect((await deliver(fx, lastEnvelope, { capability: boxB.capability, messageId: lastId })).status).toBe(201);
      n++;
    }
    await refused(async () => deliver(fx, await seal(therapist, client, boxB.id, enc.encode('one too many')), { capability: boxB.capability }), 429, 'quota');
    expect((await deliver(fx, lastEnvelope, { capability: boxB.capability, messageId: lastId })).status).toBe(200);
  });

  it('refuses with 429 quota once the mailbox holds its byte limit', async () => {
    const box = await mailboxWithCapability(fx, client);
    const big = new Uint8Array(40 * 1024);
    const first = await seal(therapist, client, box.id, big);
    expect((await deliver(fx, first, { capability: box.capability })).status).toBe(201);
    await refused(async () => deliver(fx, await seal(therapist, client, box.id, big), { capability: box.capability }), 429, 'quota');
  });
});
