/**
 * The session's sending side over the real relay in process (test-support/devices.ts): a
 * message's files are uploaded by `Session.send`, so the composer only hands over what the
 * person wrote and chose.
 * @module
 */
import { describe, expect, it, vi } from 'vitest';
import { conversationWith, queueText, relayPerTest, texts, therapistAndClient, type Device } from '../../test-support/devices.ts';
import type { Phase } from '../attachments/attachments.ts';
import type { Conversation } from '../data/records.ts';
import { Session } from './session.ts';

let therapist: Device, client: Device, toTherapist: Conversation;
relayPerTest(async (r, open) => {
  ({ therapist, client, toTherapist } = await therapistAndClient(r, 'Robin', open));
  await therapist.receiver.pull(); // hello, consent
});

const sessionOf = (d: Device): Session => new Session(d.vault, d.store, d.identity, d.profile, d.api);

describe('Session and the live socket', () => {
  it('a live frame that fails its schema is reported like other sync failures, by code, and the session carries on', async () => {
    /** A socket whose relay sends one frame that is not JSON, then nothing. */
    class BadFrameSocket {
      onmessage: ((event: { data: unknown }) => void) | null = null;
      onclose: ((event: { code: number }) => void) | null = null;
      constructor(readonly url: string) {
        setTimeout(() => this.onmessage?.({ data: '{"type":"message", not json' }), 0);
      }
      send(): void {}
      close(): void {}
    }
    const warned: unknown[][] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warned.push(args));
    const s = new Session(therapist.vault, therapist.store, therapist.identity, therapist.profile, therapist.api, {
      WebSocket: BadFrameSocket as unknown as new (url: string) => WebSocket,
    });
    try {
      s.start();
      await vi.waitFor(() => expect(warned).toContainEqual(['confidant: live frame refused', 'malformed']));
      // Still working: a message the client sends now arrives through the session's pull.
      await queueText(client, toTherapist, 'after the bad frame');
      await client.outbox.flush();
      await s.sync();
      expect(await texts(therapist, (await conversationWith(therapist, client)).id)).toContain('after the bad frame');
    } finally {
      s.stop();
      warn.mockRestore();
    }
  });
});

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
