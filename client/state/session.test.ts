/**
 * The session's sending side over the real relay in process (test-support/devices.ts): a
 * message's files are uploaded by `Session.send`, so the composer only hands over what the
 * person wrote and chose.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { relayPerTest, therapistAndClient, type Device } from '../../test-support/devices.ts';
import type { Phase } from '../attachments/attachments.ts';
import type { Conversation } from '../data/records.ts';
import { Session } from './session.ts';

let therapist: Device, client: Device, toTherapist: Conversation;
relayPerTest(async (r, open) => {
  ({ therapist, client, toTherapist } = await therapistAndClient(r, 'Robin', open));
  await therapist.receiver.pull(); // hello, consent
});

const sessionOf = (d: Device): Session => new Session(d.vault, d.store, d.identity, d.profile, d.api);

describe('Session.send', () => {
  // The upload itself (RelayApi.uploadBlob) uses XMLHttpRequest for its progress, which Node
  // lacks: here every upload fails, and the success path runs in the browser (e2e/composer.e2e.ts
  // and e2e/story.e2e.ts attach files through the composer, which hands them to Session.send).
  it('with files, uploads them before anything is queued: a failed upload reaches the caller and no message is written', async () => {
    const s = sessionOf(client);
    const phases: Phase[] = [];
    const failed = await s.send(toTherapist, { text: 'with a file', files: [new File([new Uint8Array(3000).fill(7)], 'a.txt')] }, (phase) => phases.push(phase)).catch((e: unknown) => e);
    s.drafts.stop();
    expect(failed).toBeInstanceOf(Error);
    expect(phases).toContain('encrypting');
    expect(await client.outbox.pending()).toBe(0);
    expect(await client.records.messages(toTherapist.id)).toEqual([]);
    expect(await therapist.receiver.pull()).toEqual({ received: 0, rejected: 0 });
  });
});

describe('Session.send under consent', () => {
  it("a client's message is refused while consent is withdrawn, and goes once they accept again", async () => {
    const s = sessionOf(client);
    await s.withdrawConsent(toTherapist.id);
    const refused = await s.send(toTherapist, { text: 'not while withdrawn' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(await client.records.messages(toTherapist.id)).toEqual([]);

    await s.acceptConsent(toTherapist.id);
    await s.send(toTherapist, { text: 'after accepting again' });
    s.drafts.stop();
    await s.outbox.flush(); // the session's own background flushes, before the device closes
    expect((await client.records.messages(toTherapist.id)).map((m) => m.message.text)).toEqual(['after accepting again']);
  });
});
