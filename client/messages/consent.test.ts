// @vitest-environment node
/**
 * Consent over time over the real relay (test-support/devices.ts), through the flows the app
 * calls (client/account/consent.ts): the invite's version accepted at joining, a new version
 * offered and accepted, consent withdrawn and given again, each kept by both sides as a record
 * whose signature checks. Receiving refuses, without changing anything, an accept or withdrawal
 * for a version the therapist never issued or with a bad signature, an offer that is not newer,
 * not its text's digest or not from the pinned therapist; and a statement delivered twice
 * changes nothing the second time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret, identityId } from '../../shared/keys.ts';
import type { ConsentPayload } from '../../shared/payload.ts';
import { acceptConsentVersion, consentStatement, consentToAccept, publishConsentVersion, withdrawConsent } from '../account/consent.ts';
import { DEFAULT_CONSENT_TEXT } from '../account/onboarding.ts';
import { consentHistory, consentVersionOf, recordChecks } from '../data/consent.ts';
import type { Conversation } from '../data/records.ts';
import { conversationWith, joinClient, startRelay, therapistDevice, type Device, type Relay } from '../../test-support/devices.ts';
import { applyConsent, buildConsent } from './consent.ts';
import type { ReceiveWriter } from './context.ts';

let relay: Relay;
let therapist: Device;
let client: Device;
let toTherapist: Conversation;

const V2 = `${DEFAULT_CONSENT_TEXT}\n• From 1 January, messages are kept for seven years.`;

beforeEach(async () => {
  relay = await startRelay();
  therapist = await therapistDevice(relay);
  ({ device: client, conversation: toTherapist } = await joinClient(relay, therapist, 'Robin'));
  await therapist.receiver.pull(); // hello, consent
});
afterEach(async () => {
  for (const d of [client, therapist]) await d.close();
  await relay.close();
});

const deps = (d: Device) => ({ records: d.records, outbox: d.outbox, identity: d.identity, now: () => Date.now() });
const withClient = (): Promise<Conversation> => conversationWith(therapist, client);
const clientSide = async (): Promise<Conversation> => (await client.records.conversation(toTherapist.id))!;
/** What each record says, with whether it checks (computed as the history view does). */
const history = async (d: Device, conversationId: string) =>
  Promise.all((await consentHistory(d.records, conversationId)).map(async (r) => ({ action: r.action, version: r.version, text: r.text, checks: await recordChecks(r) })));

/** Sends `payload` from the client and lets the therapist take it. */
async function clientSends(payload: ConsentPayload): Promise<void> {
  await client.outbox.enqueue(toTherapist, payload);
  await client.outbox.flush();
  expect(await therapist.receiver.pull()).toEqual({ received: 1, rejected: 0 });
}

describe('consent over time', () => {
  it('joining: both sides keep the acceptance of version 1 as a record whose signature checks; nothing is ignored', async () => {
    expect(await withClient()).toMatchObject({ consentVersion: 1, consentDigest: toTherapist.consentDigest });
    expect((await withClient()).consentWithdrawnAt).toBeUndefined();
    const expected = [{ action: 'accept', version: 1, text: DEFAULT_CONSENT_TEXT, checks: true }];
    expect(await history(therapist, (await withClient()).id)).toEqual(expected);
    expect(await history(client, toTherapist.id)).toEqual(expected);
    expect([...therapist.receiver.ignored]).toEqual([]);
    expect(consentToAccept(await clientSide())).toBeUndefined();
  });

  it('a new version is offered to the client, who accepts it before writing again; the therapist sees version 2 and when', async () => {
    const saved = await publishConsentVersion(deps(therapist), V2);
    expect(saved).toMatchObject({ consentVersion: 2, consentText: V2 });
    expect(await publishConsentVersion(deps(therapist), V2)).toEqual(saved); // the same text again is no new version
    await therapist.outbox.flush();

    await client.receiver.pull();
    const offered = consentToAccept(await clientSide());
    expect(offered).toMatchObject({ version: 2, text: V2 });
    expect((await clientSide()).consentVersion).toBe(1);

    expect(await acceptConsentVersion(deps(client), toTherapist.id)).toBe(true);
    expect(consentToAccept(await clientSide())).toBeUndefined();
    expect(await clientSide()).toMatchObject({ consentVersion: 2, consentText: V2 });
    await client.outbox.flush();
    await therapist.receiver.pull();

    const c = await withClient();
    expect(c).toMatchObject({ consentVersion: 2, consentDigest: consentVersionOf(2, V2, 0).digest });
    expect(c.consentAt).toBeGreaterThan(0);
    const both = [
      { action: 'accept', version: 1, text: DEFAULT_CONSENT_TEXT, checks: true },
      { action: 'accept', version: 2, text: V2, checks: true },
    ];
    expect(await history(therapist, c.id)).toEqual(both);
    expect(await history(client, toTherapist.id)).toEqual(both);
    expect([...therapist.receiver.ignored, ...client.receiver.ignored]).toEqual([]);
  });

  it('withdrawn, then given again: the therapist sees each at once; the client must accept before writing', async () => {
    expect(await withdrawConsent(deps(client), toTherapist.id)).toBe(true);
    expect(await withdrawConsent(deps(client), toTherapist.id)).toBe(false); // once
    expect(consentToAccept(await clientSide())).toMatchObject({ version: 1, text: DEFAULT_CONSENT_TEXT });
    await client.outbox.flush();
    await therapist.receiver.pull();
    expect((await withClient()).consentWithdrawnAt).toBeGreaterThan(0);
    expect((await withClient()).consentVersion).toBe(1); // which version was withdrawn

    expect(await acceptConsentVersion(deps(client), toTherapist.id)).toBe(true);
    expect(consentToAccept(await clientSide())).toBeUndefined();
    await client.outbox.flush();
    await therapist.receiver.pull();
    expect((await withClient()).consentWithdrawnAt).toBeUndefined();
    const records = await history(therapist, (await withClient()).id);
    expect(records.map((r) => [r.action, r.version, r.checks])).toEqual([
      ['accept', 1, true],
      ['withdraw', 1, true],
      ['accept', 1, true],
    ]);
    expect(await history(client, toTherapist.id)).toEqual(records);
  });

  it('a record whose text or signature was changed on the device no longer checks', async () => {
    const [record] = await consentHistory(therapist.records, (await withClient()).id);
    expect(await recordChecks(record!)).toBe(true);
    expect(await recordChecks({ ...record!, text: `${record!.text} ` })).toBe(false);
    const signature = record!.signature.slice();
    signature[5]! ^= 1;
    expect(await recordChecks({ ...record!, signature })).toBe(false);
    expect(await recordChecks({ ...record!, at: record!.at + 1 })).toBe(false);
  });
});

describe('receiving refuses, without changing anything', () => {
  const v1 = () => ({ version: 1, text: DEFAULT_CONSENT_TEXT, digest: toTherapist.consentDigest! });
  const statement = async (version = v1(), action: 'accept' | 'withdraw' = 'accept', identity = client.identity) =>
    (await consentStatement(identity, toTherapist.peer, action, version, Date.now() + 1000)).payload;

  const cases: [string, () => Promise<ConsentPayload>, string][] = [
    ['an accept of a version the therapist never issued', async () => statement(consentVersionOf(5, DEFAULT_CONSENT_TEXT, 0)), 'consent accept of an unknown version'],
    ['an accept of version 1 naming another text', async () => statement(consentVersionOf(1, 'Another text', 0)), 'consent accept of an unknown version'],
    ['an accept whose signature has a byte changed', async () => {
      const p = await statement();
      const sig = fromBase64url(p.signature!);
      sig[0]! ^= 1;
      return { ...p, signature: toBase64url(sig) };
    }, 'consent accept with a bad signature'],
    ['an accept signed by another identity', async () => statement(v1(), 'accept', await deriveIdentity(generateRootSecret())), 'consent accept with a bad signature'],
    ['an accept claiming another version than it signed', async () => ({ ...(await statement()), version: 2 }), 'consent accept of an unknown version'],
    ['a withdrawal with a bad signature', async () => ({ ...(await statement(v1(), 'withdraw')), signature: (await statement()).signature }), 'consent revoke with a bad signature'],
    ['an accept without a version (a build before versions)', async () => {
      const { version: _v, ...rest } = await statement();
      return rest;
    }, 'consent accept without version or signature'],
    ['an offer sent to a therapist', async () => buildConsent({ action: 'offer', version: 9, document: 'x', documentDigest: consentVersionOf(9, 'x', 0).digest }, Date.now()), 'consent offer to a therapist'],
  ];
  for (const [name, make, reason] of cases) {
    it(name, async () => {
      const before = await withClient();
      const recordsBefore = await consentHistory(therapist.records, before.id);
      await clientSends(await make());
      expect(therapist.receiver.ignored.get(reason)).toBe(1);
      expect(await withClient()).toEqual(before);
      expect(await consentHistory(therapist.records, before.id)).toEqual(recordsBefore);
    });
  }

  it('on the client: an offer that is not newer, or whose text is not its digest', async () => {
    const before = await clientSide();
    const offer = (version: number, text: string, digestOf = text) => buildConsent({ action: 'offer', version, document: text, documentDigest: consentVersionOf(version, digestOf, 0).digest }, Date.now());
    const withTherapist = (await therapist.records.conversations())[0]!;
    for (const p of [offer(1, 'Old text'), offer(3, 'Some text', 'Other text')]) await therapist.outbox.enqueue(withTherapist, p);
    await therapist.outbox.flush();
    expect(await client.receiver.pull()).toEqual({ received: 2, rejected: 0 });
    expect([...client.receiver.ignored].sort()).toEqual([
      ['consent offer not newer than the version held', 1],
      ['consent offer whose text is not its digest', 1],
    ]);
    expect(await clientSide()).toEqual(before);
  });
});

/** A writer over `device`'s records that commits what a handler wrote (as the receiver's slice does). */
function writerOf(device: Device): ReceiveWriter & { commit(): Promise<void> } {
  const changed = new Map<string, Conversation>();
  const ops: ReceiveWriter['ops'] = [];
  return {
    ops,
    byAddress: async () => undefined,
    byId: async (id) => changed.get(id) ?? device.records.conversation(id),
    setConversation: (c) => void changed.set(c.id, c),
    message: async () => undefined,
    putMessage: () => {},
    putInvite: () => {},
    async commit() {
      await device.records.putJSONMany([...ops, ...[...changed.values()].map((c) => device.records.conversationOp(c))]);
    },
  };
}

describe('the handler directly', () => {
  const apply = async (device: Device, payload: ConsentPayload, from: Device, address: string, conversation: Conversation) => {
    const writer = writerOf(device);
    const ignored: string[] = [];
    const changed = await applyConsent(payload, {
      records: device.records,
      writer,
      profile: device.profile,
      sender: from.identity.publicIdentity,
      self: device.identity.publicIdentity,
      address,
      conversation,
      receivedAt: Date.now(),
      now: Date.now(),
      deliveredReceipt: () => {},
      ignore: (r) => void ignored.push(r),
    });
    await writer.commit();
    return { changed, ignored };
  };

  it('the same withdrawal delivered twice (a re-send) records one statement and leaves the same state', async () => {
    const { payload } = await consentStatement(client.identity, toTherapist.peer, 'withdraw', { version: 1, text: DEFAULT_CONSENT_TEXT, digest: toTherapist.consentDigest! }, Date.now() + 5);
    const address = identityId(client.identity.publicIdentity);
    await apply(therapist, payload, client, address, await withClient());
    const once = await withClient();
    const recordsOnce = await consentHistory(therapist.records, once.id);
    expect(once.consentWithdrawnAt).toBe(payload.sentAt);
    expect(await apply(therapist, payload, client, address, once)).toEqual({ changed: once.id, ignored: [] });
    expect(await withClient()).toEqual(once);
    expect(await consentHistory(therapist.records, once.id)).toEqual(recordsOnce);
    expect(recordsOnce).toHaveLength(2);
  });

  it('an offer is taken only from the pinned therapist, not from another identity the conversation holds as pending', async () => {
    const other = await deriveIdentity(generateRootSecret());
    const pending: Conversation = { ...(await clientSide()), pendingIdentity: encodePublicIdentity(other.publicIdentity), pendingAddress: identityId(other.publicIdentity) };
    const offer = buildConsent({ action: 'offer', version: 2, document: V2, documentDigest: consentVersionOf(2, V2, 0).digest }, Date.now());
    const result = await apply(client, offer, therapist, identityId(other.publicIdentity), pending);
    expect(result).toEqual({ changed: undefined, ignored: ['consent offer not from the pinned therapist'] });
    expect((await clientSide()).consentOffer).toBeUndefined();
    // The same offer from the pinned therapist is taken.
    expect((await apply(client, offer, therapist, identityId(therapist.identity.publicIdentity), await clientSide())).ignored).toEqual([]);
    expect((await clientSide()).consentOffer).toMatchObject({ version: 2, text: V2 });
  });
});
