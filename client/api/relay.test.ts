// @vitest-environment node
/**
 * RelayApi against the real relay in process (test-support/devices.ts): signed calls accepted,
 * failures turned into the two errors the UI explains (OfflineError: no answer; RelayApiError:
 * the relay's status and code), idempotent sends, paging and acknowledgement.
 * Blob upload uses XMLHttpRequest (absent in Node); the e2e tests cover it.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { deriveIdentity, generateRootSecret, type Identity } from '../../shared/keys.ts';
import { randomBytes } from '../../shared/provider.ts';
import { MESSAGE_TYPE_RATCHET } from '../../shared/ratchet.ts';
import { sealEnvelope } from '../../shared/sealed.ts';
import { Net, ORIGIN, relayPerTest, type Relay } from '../../test-support/devices.ts';
import { OfflineError, RelayApi, RelayApiError } from './relay.ts';
import { asCapability, asMailboxId, asMessageId, type Capability, type MailboxId } from '../../shared/ids.ts';

let relay: Relay;
relayPerTest(async (r) => {
  relay = r;
});

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

function apiFor(net: Net): RelayApi {
  return new RelayApi({ origin: ORIGIN, fetch: net.fetch });
}

/** A registered therapist with a mailbox and one delivery capability, through RelayApi. */
async function owner(): Promise<{ id: Identity; api: RelayApi; net: Net; mailbox: MailboxId; capability: Capability }> {
  const id = await relay.fx.therapist();
  const net = new Net(relay.fx);
  const api = apiFor(net);
  const mailbox = asMailboxId(randomBytes(16));
  await api.createMailbox(id, mailbox);
  const capability = asCapability(randomBytes(32));
  await api.addCapability(id, mailbox, sha256(capability));
  return { id, api, net, mailbox, capability };
}

async function envelopeFor(recipient: Identity, mailbox: MailboxId, text: string): Promise<Uint8Array> {
  const sender = await deriveIdentity(generateRootSecret());
  return sealEnvelope(sender, recipient.publicIdentity, mailbox, { type: MESSAGE_TYPE_RATCHET, message: new TextEncoder().encode(text) });
}

describe('errors', () => {
  it('no answer (fetch throws, as browsers do offline) is an OfflineError carrying the cause', async () => {
    const net = new Net(relay.fx);
    net.offline = true;
    const e = await caught(apiFor(net).oneTimePreKeyCount(await relay.fx.therapist()));
    expect(e).toBeInstanceOf(OfflineError);
    expect((e as OfflineError).cause).toBeInstanceOf(TypeError);
    expect(net.handled).toEqual([]);
  });

  it("the relay's refusals keep its status and code", async () => {
    const { api, mailbox } = await owner();
    const stranger = await deriveIdentity(generateRootSecret());
    const unknown = await caught(api.oneTimePreKeyCount(stranger));
    expect(unknown).toBeInstanceOf(RelayApiError);
    expect(unknown).toMatchObject({ status: 401, code: 'unauthorized' });

    const other = await relay.fx.therapist();
    expect(await caught(api.fetchMessages(other, mailbox, 0))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await caught(api.send(asCapability(randomBytes(32)), asMessageId(randomBytes(16)), await envelopeFor(other, mailbox, 'x')))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await caught(api.downloadBlob('A'.repeat(22)))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('an answer that is not the relay\'s (a proxy error page, a captive portal) is http_error or bad_response', async () => {
    const id = await relay.fx.therapist();
    const proxy = new RelayApi({ origin: ORIGIN, fetch: async () => new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }) });
    expect(await caught(proxy.oneTimePreKeyCount(id))).toMatchObject({ status: 502, code: 'http_error' });
    const portal = new RelayApi({ origin: ORIGIN, fetch: async () => new Response('<html>Sign in to the Wi-Fi</html>', { status: 200 }) });
    expect(await caught(portal.oneTimePreKeyCount(id))).toMatchObject({ status: 200, code: 'bad_response' });
  });

  it('every JSON answer is parsed with its schema, the ones with nothing to read included: another shape is bad_response', async () => {
    const id = await relay.fx.therapist();
    const portal = new RelayApi({ origin: ORIGIN, fetch: async () => new Response('"Sign in to the Wi-Fi"', { status: 201 }) });
    const mailbox = asMailboxId(randomBytes(16));
    for (const call of [
      () => portal.registerTherapist(id, randomBytes(32)),
      () => portal.registerClient(id, randomBytes(32)),
      () => portal.createMailbox(id, mailbox),
      () => portal.addCapability(id, mailbox, randomBytes(32)),
      () => portal.fetchBundle(id, randomBytes(32)),
    ]) {
      expect(await caught(call())).toMatchObject({ status: 201, code: 'bad_response' });
    }
  });

  it('health is true with the relay there and false without it', async () => {
    const net = new Net(relay.fx);
    expect(await apiFor(net).health()).toBe(true);
    net.offline = true;
    expect(await apiFor(net).health()).toBe(false);
  });
});

describe('messages', () => {
  it('send is idempotent per message id: the same bytes again get the same seq; other bytes under the id are a conflict', async () => {
    const { id, api, mailbox, capability, net } = await owner();
    const messageId = asMessageId(randomBytes(16));
    const envelope = await envelopeFor(id, mailbox, 'once');
    const seq = await api.send(capability, messageId, envelope);
    expect(await api.send(capability, messageId, envelope)).toBe(seq);
    expect(net.count('POST', '/v1/messages', 201)).toBe(1);
    expect(net.count('POST', '/v1/messages', 200)).toBe(1);
    expect(await caught(api.send(capability, messageId, await envelopeFor(id, mailbox, 'other')))).toMatchObject({ status: 409, code: 'conflict' });
    const page = await api.fetchMessages(id, mailbox, 0);
    expect(page.messages).toHaveLength(1);
    expect(page.messages[0]!.envelope).toEqual(envelope);
  });

  it('fetches in pages after a seq and acknowledges by message id', async () => {
    const { id, api, mailbox, capability } = await owner();
    const sent = [];
    for (const text of ['a', 'b', 'c']) {
      const messageId = asMessageId(randomBytes(16));
      const envelope = await envelopeFor(id, mailbox, text);
      sent.push({ seq: await api.send(capability, messageId, envelope), envelope });
    }
    const first = await api.fetchMessages(id, mailbox, 0, 2);
    expect(first.more).toBe(true);
    expect(first.messages.map((m) => m.envelope)).toEqual([sent[0]!.envelope, sent[1]!.envelope]);
    const rest = await api.fetchMessages(id, mailbox, first.messages[1]!.seq, 2);
    expect(rest.more).toBe(false);
    expect(rest.messages.map((m) => m.seq)).toEqual([sent[2]!.seq]);

    expect(await api.ack(id, mailbox, first.messages.map((m) => m.messageId))).toBe(2);
    expect(await api.ack(id, mailbox, first.messages.map((m) => m.messageId))).toBe(0);
    expect((await api.fetchMessages(id, mailbox, 0)).messages.map((m) => m.seq)).toEqual([sent[2]!.seq]);
  });

  it('send takes the capability, then the message id: a swapped pair does not compile', async () => {
    const { id, api, mailbox, capability } = await owner();
    const messageId = asMessageId(randomBytes(16));
    const envelope = await envelopeFor(id, mailbox, 'typed');
    // Compile-time checks (npm run typecheck); the calls are never made.
    const swapped = () => {
      // @ts-expect-error message id and capability swapped
      void api.send(messageId, capability, envelope);
      // @ts-expect-error a plain Uint8Array is not a capability
      void api.send(envelope, messageId, envelope);
    };
    expect(typeof swapped).toBe('function');
    expect(await api.send(capability, messageId, envelope)).toBeGreaterThan(0);
  });

  it('a revoked capability is refused from then on', async () => {
    const { id, api, mailbox, capability } = await owner();
    await api.send(capability, asMessageId(randomBytes(16)), await envelopeFor(id, mailbox, 'before'));
    await api.revokeCapability(id, mailbox, sha256(capability));
    expect(await caught(api.send(capability, asMessageId(randomBytes(16)), await envelopeFor(id, mailbox, 'after')))).toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('liveUrl', () => {
  it('follows the page scheme: https to wss, http to ws', () => {
    expect(new RelayApi({ origin: 'https://relay.example', fetch: fetch }).liveUrl()).toBe('wss://relay.example/v1/live');
    expect(new RelayApi({ origin: 'http://localhost:8080', fetch: fetch }).liveUrl()).toBe('ws://localhost:8080/v1/live');
  });
});
