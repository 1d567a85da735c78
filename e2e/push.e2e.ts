/**
 * Notifications without content (issue 11), end to end in real Chromium against the real relay:
 * the settings section that turns them on (headless Chromium has no push service behind
 * `pushManager.subscribe`, so this checks that the screen says plainly what happened, whichever
 * it was), the service worker's push handler driven over CDP (`ServiceWorker.deliverPushMessage`)
 * with notifications allowed over CDP (`Browser.grantPermissions`), and the page title that
 * says how many messages are unread and nothing else.
 */
import type { CDPSession, Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { waitForServiceWorkerControl } from './harness/browser.ts';
import { castTest as it, composer, inviteClient, joinFromLink, openConversation, send, setUpPractice } from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Praxis Lindqvist Adeyemi';
const LABEL = 'R. Adeyemi Tuesdays';
const PASS_THERAPIST = 'copper lantern meadow therapist';
const PASS_CLIENT = 'quiet river morning client';
const SECRET = 'Adeyemi: I had the dream about the lake again';

/** The registration id of the page's service worker, from CDP's ServiceWorker domain. */
async function registrationId(cdp: CDPSession, origin: string): Promise<string> {
  const found = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL === `${origin}/` && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  return found;
}

/** The notifications the app's service worker shows now. */
const notifications = (page: Page) =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon, data: n.data as unknown }));
  });

const settingsSection = (page: Page) => page.getByRole('region', { name: 'Notifications' });

describe('notifications without content', () => {
  it('a therapist sets up and a client joins', async ({ relay, tp, cp }) => {
    await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST);
    const link = await inviteClient(tp, LABEL);
    await joinFromLink(cp, link, PASS_CLIENT);
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await openConversation(tp, LABEL);
    await composer(tp).waitFor();
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
  });

  it('settings explain notifications in plain words; turning them on says plainly what happened', async ({ relay, therapist, tp }) => {
    await waitForServiceWorkerControl(tp);
    await tp.getByRole('button', { name: 'Settings' }).click();
    const section = settingsSection(tp);
    await section.waitFor();
    await expect.poll(() => section.textContent()).toContain('It never shows who or what.');
    // Headless Chromium starts with notifications denied for every site: the section says they
    // are blocked and where to allow them, and offers no button that could not work.
    const permission = await tp.evaluate(() => Notification.permission);
    const first = permission === 'denied' ? 'Notifications are blocked for this site.' : 'Notifications are off on this device.';
    await section.getByRole('status').filter({ hasText: first }).waitFor();
    expect(await section.getByRole('button').count()).toBe(permission === 'denied' ? 0 : 1);
    // The person allows notifications for the site (what the browser's prompt or site settings do).
    await therapist.context.grantPermissions(['notifications'], { origin: relay.base });
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await tp.getByRole('button', { name: 'Settings' }).click();
    await section.getByRole('status').filter({ hasText: 'Notifications are off on this device.' }).waitFor();
    await section.getByRole('button', { name: 'Turn on notifications' }).click();
    const on = section.getByRole('status').filter({ hasText: 'Notifications are on for this device.' });
    const failed = section.getByRole('alert');
    await on.or(failed).first().waitFor({ timeout: 60_000 });
    const subscribed = await tp.evaluate(async () => (await (await navigator.serviceWorker.ready).pushManager.getSubscription()) !== null);
    if (subscribed) {
      // A browser with a push service: on, and the button now turns it off.
      await expect.poll(() => on.count()).toBe(1);
      await section.getByRole('button', { name: 'Turn off notifications' }).waitFor();
    } else {
      // Headless Chromium has no push service: the screen says so, in plain words, and stays off.
      expect(await failed.textContent()).toBe(
        'This browser could not reach its notification service, so notifications cannot be turned on here. Messages still arrive whenever the app is open.',
      );
      await section.getByRole('status').filter({ hasText: 'Notifications are off on this device.' }).waitFor();
      await section.getByRole('button', { name: 'Turn on notifications' }).waitFor();
    }
    await expectAccessible(tp, 'settings with the notifications section');
    await section.scrollIntoViewIfNeeded();
    await captureScreens(tp, 'settings-notifications', { fullPage: true });
  });

  it('a push shows "New message" and nothing else, whatever the push carries', async ({ relay, tp }) => {
    const cdp = await tp.context().newCDPSession(tp);
    await cdp.send('Browser.grantPermissions', { origin: relay.base, permissions: ['notifications'] });
    expect(await tp.evaluate(() => Notification.permission)).toBe('granted');
    const id = await registrationId(cdp, relay.base);
    // The relay sends only a fixed marker; a hostile or future sender's data must not show either.
    for (const data of ['{"t":"m"}', JSON.stringify({ from: LABEL, text: SECRET, practice: PRACTICE })]) {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: relay.base, registrationId: id, data });
    }
    await expect.poll(async () => (await notifications(tp)).length, { timeout: 15_000 }).toBeGreaterThan(0);
    const shown = await notifications(tp);
    // One fixed tag: the second push replaced the first instead of stacking.
    expect(shown).toEqual([{ title: 'New message', body: '', tag: 'confidant-new-message', icon: `${relay.base}/icons/icon-192.png`, data: null }]);
    const text = JSON.stringify(shown);
    for (const secret of [SECRET, LABEL, PRACTICE, 'Adeyemi', 'Lindqvist']) expect(text).not.toContain(secret);
    await cdp.detach();
  });

  it('the title says how many messages are unread, never who or what', async ({ tp, cp }) => {
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await tp.getByRole('heading', { name: 'Conversations' }).waitFor();
    expect(await tp.title()).toBe('Confidant');
    await send(cp, SECRET);
    await expect.poll(() => tp.title(), { timeout: 30_000 }).toBe('(1) Confidant');
    await send(cp, 'And the boat was there too');
    await expect.poll(() => tp.title(), { timeout: 30_000 }).toBe('(2) Confidant');
    const title = await tp.title();
    for (const secret of [SECRET, LABEL, PRACTICE, 'Adeyemi']) expect(title).not.toContain(secret);
    // Reading them clears it.
    await openConversation(tp, LABEL);
    await expect.poll(() => tp.title(), { timeout: 30_000 }).toBe('Confidant');
  });
});
