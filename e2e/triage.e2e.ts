/**
 * The therapist's inbox and screen (issue 11, "Triage" and "The screen a therapist works at"),
 * through the UI in real Chromium against the real relay: a therapist at a laptop (1280 px) and
 * two clients on phones, then
 * - threads that need a reply are listed by how long they waited, oldest first, with the time;
 * - an urgent message goes to the top and stays there once read, until answered;
 * - a reply template goes into the composer from the keyboard ("/", arrows, Enter) and
 *   Ctrl+Enter sends it;
 * - labels and a private note stay on the therapist's device;
 * - a snoozed thread leaves the inbox and comes back by itself when due (the page's clock is
 *   driven, a couple of minutes: no waiting on the wall clock);
 * - at 1280 px the inbox and the conversation sit side by side, the inbox keeping its place and
 *   marking the open conversation; at 360 px Back stays beside a long title.
 *
 * The steps run in order and share state (the people and their browsers).
 */
import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { DESKTOP, launchPerson, PHONE, type Person } from './harness/browser.ts';
import { expectNoLeaks } from './harness/leaks.ts';
import { bubble, castTest as it, composer, inviteClient, joinFromLink, openConversation, send, setUpPractice } from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Featherstonehaugh and Quennell Psychotherapy and Counselling Practice';
const LABEL_A = 'A. Monday 9am Quennell';
const LABEL_B = 'Bartholomew-Featherstonehaugh Wednesday 4:30pm fortnightly';
const PASS_THERAPIST = 'linden orchard quiet therapist';
const PASS_A = 'copper meadow sparrow client';
const PASS_B = 'velvet glacier tandem client';
const TEXT = {
  fromA: 'Quennell: could we move Monday?',
  fromB: 'Featherstonehaugh: a question about the invoice',
  urgentA: 'Quennell: urgent, I am not safe tonight',
  templateTitle: 'Thank you, reply soon',
  template: 'Thank you for your message, Quennell template. I will reply properly by tomorrow.',
  otherTemplate: 'Running ten minutes late today.',
  label: 'sleep-group',
  note: 'Private: Quennell prefers mornings, discuss sleep diary',
};

let second: Person | undefined;

/** The conversation rows of the inbox, top to bottom, by their labels. */
const rowNames = (page: Page) => page.getByRole('list', { name: 'Conversations' }).locator('.name').allTextContents();
const row = (page: Page, label: string) => page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(label) });

describe("the therapist's inbox", () => {
  it('a therapist (with a page clock the test can move) invites two clients; both join', async ({ relay, tp, cp }) => {
    // Time flows as usual; the snooze step moves it on a couple of minutes.
    await tp.clock.install();
    await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST);
    const linkA = await inviteClient(tp, LABEL_A);
    await joinFromLink(cp, linkA, PASS_A);
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    const linkB = await inviteClient(tp, LABEL_B);
    second = await launchPerson('client-two', { baseURL: relay.base, viewport: PHONE });
    await joinFromLink(second.page, linkB, PASS_B);
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await row(tp, LABEL_B).waitFor({ timeout: 60_000 });
    await row(tp, LABEL_A).waitFor({ timeout: 60_000 });
  });

  it('threads that need a reply come oldest first, with how long they waited', async ({ tp, cp }) => {
    await send(cp, TEXT.fromA);
    await row(tp, LABEL_A).filter({ hasText: 'Needs reply' }).waitFor({ timeout: 30_000 });
    await send(second!.page, TEXT.fromB);
    await row(tp, LABEL_B).filter({ hasText: 'Needs reply' }).waitFor({ timeout: 30_000 });
    // A wrote first and has waited longer: above B, although B wrote last.
    expect(await rowNames(tp)).toEqual([LABEL_A, LABEL_B]);
    expect(await row(tp, LABEL_A).textContent()).toMatch(/waiting (under 1 min|\d+ min)/);
    expect(await tp.getByRole('tab', { name: /Needs reply/ }).textContent()).toMatch(/2$/);
  });

  it('an urgent message goes to the top and stays there once read, until answered', async ({ tp, cp }) => {
    // The therapist reads B's message (it stays "needs reply": reading is not answering).
    await openConversation(tp, LABEL_B);
    await bubble(tp, TEXT.fromB).waitFor();
    await cp.getByLabel('Mark as urgent').check();
    await send(cp, TEXT.urgentA);
    const urgentRow = row(tp, LABEL_A).filter({ has: tp.getByLabel(/urgent/i) });
    await urgentRow.waitFor({ timeout: 30_000 });
    // Opened and read is not answered: A stays on top, urgent.
    await openConversation(tp, LABEL_A);
    await bubble(tp, TEXT.urgentA).waitFor();
    await expect.poll(() => row(tp, LABEL_A).getByLabel('1 unread').count(), { timeout: 30_000 }).toBe(0);
    expect(await rowNames(tp)).toEqual([LABEL_A, LABEL_B]);
    await row(tp, LABEL_A).getByLabel('Urgent', { exact: true }).waitFor();
    const urgentTab = tp.getByRole('tab', { name: /Urgent/ });
    await urgentTab.click();
    expect(await rowNames(tp)).toEqual([LABEL_A]);
    expect(await urgentTab.getAttribute('aria-selected')).toBe('true');
    // Arrow keys move between the filters (a tab list).
    await tp.keyboard.press('ArrowLeft');
    expect(await tp.getByRole('tab', { name: /Needs reply/ }).getAttribute('aria-selected')).toBe('true');
    await tp.keyboard.press('Home');
    expect(await tp.getByRole('tab', { name: /Inbox/ }).getAttribute('aria-selected')).toBe('true');
    await expectAccessible(tp, 'inbox with an urgent thread');
  });

  it('a reply template goes into the composer from the keyboard, and Ctrl+Enter sends it', async ({ tp, cp }) => {
    await tp.getByRole('button', { name: 'Settings' }).click();
    await tp.getByLabel('Template text').fill(TEXT.otherTemplate);
    await tp.getByRole('button', { name: 'Add template' }).click();
    await tp.getByLabel('Title (optional)').fill(TEXT.templateTitle);
    await tp.getByLabel('Template text').fill(TEXT.template);
    await tp.getByRole('button', { name: 'Add template' }).click();
    await tp.getByRole('list', { name: 'Your templates' }).getByText(TEXT.templateTitle).waitFor();
    await expectAccessible(tp, 'reply templates in settings');
    await captureScreens(tp, 'settings-templates');
    await tp.getByRole('button', { name: 'Back', exact: true }).click();

    await openConversation(tp, LABEL_A);
    await tp.getByText('Enter adds a line · Ctrl+Enter sends').waitFor();
    await composer(tp).focus();
    await tp.keyboard.press('/');
    const list = tp.getByRole('listbox', { name: /Reply templates/ });
    await list.waitFor();
    await expect.poll(() => tp.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('listbox');
    await tp.keyboard.press('ArrowDown');
    expect(await tp.getByRole('option', { name: new RegExp(TEXT.templateTitle) }).getAttribute('aria-selected')).toBe('true');
    await expectAccessible(tp, 'template list open');
    await captureScreens(tp, 'template-picker');
    await tp.keyboard.press('Enter');
    await list.waitFor({ state: 'detached' });
    await expect.poll(() => composer(tp).inputValue()).toBe(TEXT.template);
    // Focus is back in the field: Enter adds a line, Ctrl+Enter sends.
    await expect.poll(() => tp.evaluate(() => document.activeElement?.id)).toBe('composer-text');
    await tp.keyboard.press('Enter');
    expect(await composer(tp).inputValue()).toBe(`${TEXT.template}\n`);
    await tp.keyboard.press('Control+Enter');
    await bubble(cp, TEXT.template).waitFor({ timeout: 30_000 });
    // Answered: A waits on the client now, and the urgent flag is gone.
    await row(tp, LABEL_A).filter({ hasText: 'Waiting on client' }).waitFor({ timeout: 30_000 });
    expect(await row(tp, LABEL_A).getByLabel(/urgent/i).count()).toBe(0);
    expect(await rowNames(tp)).toEqual([LABEL_B, LABEL_A]);

    // "/" in the middle of a line is just a slash.
    await composer(tp).fill('either');
    await composer(tp).press('End');
    await tp.keyboard.type('/or');
    expect(await composer(tp).inputValue()).toBe('either/or');
    expect(await list.count()).toBe(0);
    await composer(tp).fill('');
  });

  it('labels and a private note stay on this device', async ({ tp }) => {
    await tp.getByText('Snooze, labels, private note').click();
    await tp.getByLabel('New label').fill(TEXT.label);
    await tp.getByRole('button', { name: 'Add label' }).click();
    await tp.getByRole('button', { name: `Remove label ${TEXT.label}` }).waitFor();
    await tp.getByLabel('Private note').fill(TEXT.note);
    await tp.getByRole('button', { name: 'Save note' }).click();
    await row(tp, LABEL_A).filter({ hasText: TEXT.label }).waitFor();
    await expectAccessible(tp, 'conversation details');
    await captureScreens(tp, 'conversation-details');
    await tp.getByText('Snooze, labels, private note').click();
  });

  it('a snoozed thread leaves the inbox and comes back at the top when due', async ({ tp }) => {
    await openConversation(tp, LABEL_B);
    await tp.getByText('Snooze, labels, private note').click();
    // Two minutes from now on the page's clock, in the device's time zone.
    const until = await tp.evaluate(() => {
      const d = new Date(Date.now() + 2 * 60_000);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    });
    await tp.getByLabel('Snooze until', { exact: true }).fill(until);
    await tp.getByRole('button', { name: 'Snooze', exact: true }).click();
    await tp.getByRole('tab', { name: /Snoozed 1/ }).waitFor();
    expect(await rowNames(tp)).toEqual([LABEL_A]);
    await tp.getByRole('tab', { name: /Snoozed/ }).click();
    await row(tp, LABEL_B).filter({ hasText: 'Snoozed until' }).waitFor();
    await tp.getByRole('tab', { name: /Inbox/ }).click();

    // The page's clock passes the time: the inbox's timer brings the thread back, on top.
    await tp.clock.fastForward('02:30');
    await row(tp, LABEL_B).filter({ hasText: 'Back from snooze' }).waitFor({ timeout: 10_000 });
    expect(await rowNames(tp)).toEqual([LABEL_B, LABEL_A]);
    expect(await tp.getByRole('tab', { name: /Snoozed/ }).textContent()).toMatch(/0$/);
    // Opened, it takes its ordinary place (needs reply) again.
    await openConversation(tp, LABEL_B);
    await row(tp, LABEL_B).filter({ hasText: 'Needs reply' }).filter({ hasNotText: 'Back from snooze' }).waitFor();
  });

  it('at 1280 px the inbox and the conversation sit side by side; the inbox keeps its place and marks the open one', async ({ tp }) => {
    const listPane = tp.locator('.pane-list');
    const detailPane = tp.getByRole('region', { name: 'Conversation' });
    const l = (await listPane.boundingBox())!;
    const d = (await detailPane.boundingBox())!;
    expect(l.x + l.width).toBeLessThanOrEqual(d.x + 1);
    expect(Math.abs(l.y - d.y)).toBeLessThan(2);
    expect(await row(tp, LABEL_B).getAttribute('aria-current')).toBe('page');
    // The same inbox element (not drawn again) while the conversation changes.
    await listPane.evaluate((el) => ((el as HTMLElement & { kept?: boolean }).kept = true));
    await row(tp, LABEL_A).click();
    await bubble(tp, TEXT.template).waitFor();
    expect(await listPane.evaluate((el) => (el as HTMLElement & { kept?: boolean }).kept)).toBe(true);
    expect(await row(tp, LABEL_A).getAttribute('aria-current')).toBe('page');
    expect(await row(tp, LABEL_B).getAttribute('aria-current')).toBeNull();
    // One h1 (the practice), one Lock.
    expect(await tp.getByRole('heading', { level: 1 }).count()).toBe(1);
    expect(await tp.getByRole('button', { name: 'Lock Confidant' }).count()).toBe(1);
    await expectAccessible(tp, 'two panes');
    await captureScreens(tp, 'triage-two-panes');
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await tp.getByText('Choose a conversation to read it here.').waitFor();
    await captureScreens(tp, 'triage-inbox');
  });

  it('at 360 px Back stays beside a long title', async ({ tp }) => {
    await tp.setViewportSize(PHONE);
    try {
      await openConversation(tp, LABEL_B);
      const back = (await tp.getByRole('button', { name: 'Back', exact: true }).boundingBox())!;
      const title = (await tp.getByRole('heading', { level: 1, name: LABEL_B }).boundingBox())!;
      // Side by side on the first line: Back left of the title, their boxes overlapping vertically.
      expect(back.x + back.width).toBeLessThanOrEqual(title.x);
      expect(back.y).toBeLessThan(title.y + title.height);
      expect(title.y).toBeLessThan(back.y + back.height);
      // Nothing wider than the screen.
      expect(await tp.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await expectAccessible(tp, 'long title at 360 px');
    } finally {
      await tp.setViewportSize(DESKTOP);
    }
  });

  it('no browser errors; no template, label, note or name at the relay', async ({ relay, therapist, client }) => {
    therapist.expectNoErrors([/Failed to load resource/, /WebSocket/]);
    client.expectNoErrors([/Failed to load resource/, /WebSocket/]);
    second?.expectNoErrors([/Failed to load resource/, /WebSocket/]);
    await expectNoLeaks(relay, [TEXT.template, TEXT.otherTemplate, TEXT.templateTitle, TEXT.label, TEXT.note, 'Quennell', 'Featherstonehaugh', PRACTICE]);
    await second?.close();
  });
});
