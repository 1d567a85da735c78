/**
 * Nothing lost without a word (issue 9, items 10 and 16), in real Chromium profiles against the
 * real relay:
 * - a message whose inner ciphertext is changed in transit (the browser's POST /v1/messages
 *   routed through the test, which opens the sealed layer with the therapist's keys, flips a
 *   byte of the ratchet ciphertext and seals it again as the client) is asked for again by the
 *   therapist's device, re-sent by the client's, and delivered once;
 * - a message whose envelope is changed (the sealed layer cannot be opened, so nobody can be
 *   told) shows "Not delivered" once the delivery bound has passed on the page's clock, and
 *   "Retry" gets it through;
 * - after the therapist re-invites the client onto a new device and confirms the new safety
 *   number, the old device's next message is refused, and it says it is no longer connected.
 *
 * The steps run in order and share state (the people and their browsers).
 */
import type { Page, Route } from 'playwright-core';
import { describe, expect } from 'vitest';
import type { Identity } from '../shared/keys.ts';
import { openEnvelope, sealEnvelope } from '../shared/sealed.ts';
import { expectAccessible } from './harness/axe.ts';
import { launchPerson } from './harness/browser.ts';
import {
  bubble,
  castTest as it,
  composer,
  identityOf,
  inviteAgain,
  inviteClient,
  joinFromLink,
  openConversation,
  send,
  setUpPractice,
  unlockWith,
} from './harness/onboarding.ts';

const PRACTICE = 'Delivery Test Practice';
const LABEL = 'K. Mondays';
const PASS_THERAPIST = 'delivery therapist passphrase words';
const PASS_CLIENT = 'delivery client passphrase words';
const TEXT = {
  innerChanged: 'Can we talk about last week, please?',
  twiceChanged: 'This one gets mangled twice on the way',
  outerChanged: 'Running late on Monday, sorry',
  fromOldPhone: 'Are you there? Writing from my old phone',
};
const NOT_CONNECTED = 'This device is no longer connected to your therapist. Ask them for a new invite link to connect again.';
const ALLOWED = [/Failed to load resource/, /WebSocket/, /ERR_INTERNET_DISCONNECTED/];

let therapistIdentity: Identity;
let clientIdentity: Identity;

/** The envelope again with a byte of its inner ratchet ciphertext changed, sealed again as the client. */
async function changeInner(envelope: Uint8Array): Promise<Uint8Array> {
  const inner = await openEnvelope(therapistIdentity, envelope);
  const message = inner.message.slice();
  message[message.length - 20]! ^= 0x40; // inside the ratchet ciphertext
  return sealEnvelope(clientIdentity, therapistIdentity.publicIdentity, inner.mailboxId, { type: inner.type, message });
}

/** Routes the next `count` sends from `page` (the client's) through `change`; counts every send after it. */
async function changeNextSend(page: Page, change: (envelope: Uint8Array) => Promise<Uint8Array> | Uint8Array, count = 1): Promise<{ sends: number; unroute(): Promise<void> }> {
  const state = { sends: 0, changed: 0 };
  const handler = async (route: Route) => {
    const request = route.request();
    if (request.method() !== 'POST') return route.continue();
    state.sends++;
    if (state.changed >= count) return route.continue();
    state.changed++;
    const changed = await change(new Uint8Array(request.postDataBuffer()!));
    return route.continue({ postData: Buffer.from(changed) });
  };
  await page.route('**/v1/messages', handler);
  return {
    get sends() {
      return state.sends;
    },
    unroute: () => page.unroute('**/v1/messages', handler),
  };
}

describe('delivery that can be seen', () => {
  it('a therapist and a client connect', async ({ relay, tp, cp }) => {
    therapistIdentity = await identityOf((await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST)).words);
    const link = await inviteClient(tp, LABEL);
    clientIdentity = await identityOf(await joinFromLink(cp, link, PASS_CLIENT));

    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await openConversation(tp, LABEL);
    await composer(tp).waitFor();
  });

  it('a message whose inner ciphertext was changed in transit is asked for again, re-sent and delivered once', async ({ tp, cp }) => {
    const route = await changeNextSend(cp, changeInner);
    await send(cp, TEXT.innerChanged);
    await bubble(tp, TEXT.innerChanged).waitFor({ timeout: 60_000 });
    await bubble(cp, TEXT.innerChanged).filter({ hasText: /Delivered|Read/ }).waitFor({ timeout: 60_000 });
    expect(route.sends).toBe(2); // the changed one and the one re-send
    expect(await bubble(tp, TEXT.innerChanged).count()).toBe(1);
    expect(await tp.getByText('could not be opened').count()).toBe(0);
    await route.unroute();
  });

  it('when the re-send cannot be opened either, the therapist sees that a message could not be opened and the client sees "Not delivered"', async ({ tp, cp }) => {
    const route = await changeNextSend(cp, changeInner, 2);
    await send(cp, TEXT.twiceChanged);
    const notice = tp.locator('li.message.notice');
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.textContent()).toContain(`A message from ${LABEL} could not be opened.`);
    const mine = bubble(cp, TEXT.twiceChanged);
    await mine.filter({ hasText: 'Not delivered' }).waitFor({ timeout: 60_000 });
    expect(route.sends).toBe(2);
    expect(await bubble(tp, TEXT.twiceChanged).count()).toBe(0);
    await route.unroute();
    // Retry (sealed anew, a fresh relay id) gets it through.
    await mine.getByRole('button', { name: 'Retry' }).click();
    await bubble(tp, TEXT.twiceChanged).waitFor({ timeout: 60_000 });
    await mine.filter({ hasText: /Delivered|Read/ }).waitFor({ timeout: 60_000 });
    await expectAccessible(tp, 'a message that could not be opened');
  });

  it('a message whose envelope was changed shows "Not delivered" once the bound has passed, and Retry delivers it', async ({ tp, cp }) => {
    // A controllable clock for the client from the next load on (the reload locks, as any does).
    await cp.clock.install();
    await cp.reload();
    await unlockWith(cp, PASS_CLIENT);
    await bubble(cp, TEXT.innerChanged).waitFor({ timeout: 60_000 });

    const route = await changeNextSend(cp, (envelope) => {
      const out = envelope.slice();
      out[out.length - 40]! ^= 0x01; // the sealed content layer: nobody can open it, or say who sent it
      return out;
    });
    await send(cp, TEXT.outerChanged);
    const mine = bubble(cp, TEXT.outerChanged);
    await mine.filter({ hasText: 'Sent' }).waitFor({ timeout: 30_000 });
    await route.unroute();

    // A day and a minute later on the client's clock, nothing has come back.
    const realNow = Date.now();
    await cp.clock.setSystemTime(realNow + 24 * 60 * 60 * 1000 + 60_000);
    await mine.filter({ hasText: 'Not delivered' }).waitFor({ timeout: 60_000 });
    expect(await bubble(tp, TEXT.outerChanged).count()).toBe(0);
    await mine.getByRole('button', { name: 'Retry' }).click();
    await bubble(tp, TEXT.outerChanged).waitFor({ timeout: 60_000 });
    // Back to the relay's time, so the client's signed requests (5 minutes' skew allowed) fetch the receipt.
    await cp.clock.setSystemTime(Date.now());
    await mine.filter({ hasText: /Delivered|Read/ }).waitFor({ timeout: 90_000 });
    expect(await bubble(tp, TEXT.outerChanged).count()).toBe(1);
  });

  it('a client on a new device, confirmed by the therapist: the old device is told it is no longer connected', async ({ relay, therapist, tp, cp }) => {
    const link = await inviteAgain(tp);

    const phone = await launchPerson('client-new-device', { baseURL: relay.base });
    try {
      const np = phone.page;
      await joinFromLink(np, link, PASS_CLIENT);

      await tp.getByRole('button', { name: 'Back', exact: true }).click();
      await openConversation(tp, LABEL);
      await tp.getByRole('alert').filter({ hasText: 'has a new safety number' }).waitFor({ timeout: 60_000 });
      await tp.getByRole('button', { name: 'I have checked: continue' }).click();
      await tp.getByRole('alert').filter({ hasText: 'has a new safety number' }).waitFor({ state: 'detached' });

      // The old phone writes: refused at the relay, and it says what happened and what to do.
      await send(cp, TEXT.fromOldPhone);
      await cp.getByRole('alert').filter({ hasText: NOT_CONNECTED }).waitFor({ timeout: 60_000 });
      await bubble(cp, TEXT.fromOldPhone).filter({ hasText: 'Not delivered' }).waitFor();
      expect(await bubble(cp, TEXT.fromOldPhone).getByRole('button', { name: 'Retry' }).count()).toBe(0);
      expect(await cp.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
      // It stays so after a reload and unlock.
      await cp.reload();
      await unlockWith(cp, PASS_CLIENT);
      await cp.getByRole('alert').filter({ hasText: NOT_CONNECTED }).waitFor({ timeout: 60_000 });
      expect(await bubble(tp, TEXT.fromOldPhone).count()).toBe(0);
      phone.expectNoErrors(ALLOWED);
    } finally {
      await phone.close();
    }
    therapist.expectNoErrors(ALLOWED);
  });
});
