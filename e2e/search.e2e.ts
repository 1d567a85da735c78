/**
 * Search across conversations (issue 11, "Search"), through the UI in two real Chromium
 * profiles against the real relay: a client's early message, followed by more than a page of
 * newer ones, is found by the therapist after a lock and unlock (the index comes back from the
 * vault), by a word's beginning, with the word marked; the result opens the conversation at
 * that message, scrolled to and focused; the client searches too, on a phone. The relay never
 * sees the searched word (nothing is sent when searching; the message itself is ciphertext).
 *
 * The steps run in order and share state (the people and their browsers).
 */
import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { expectNoLeaks } from './harness/leaks.ts';
import { bubble, castTest as it, setUpAndJoin, send, unlockWith } from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Praxis Lindqvist Adeyemi';
const LABEL = 'M. Monday 4pm Lindqvist';
const PASS_THERAPIST = 'cedar lantern morning therapist';
const PASS_CLIENT = 'quiet meadow orchard client';
const OLD = 'Last spring the lighthouse walks were the only thing that calmed my panic';
/** More than the conversation's first page (50), so the old message is not on screen at first. */
const NEWER = 56;

/** The search screen from the top bar, with `query` typed; waits for the count. */
async function search(page: Page, query: string, count: RegExp): Promise<void> {
  await page.getByRole('button', { name: 'Search messages' }).click();
  const field = page.getByRole('searchbox');
  await field.waitFor();
  expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
  await field.fill(query);
  await page.getByRole('heading', { name: count }).waitFor({ timeout: 30_000 });
}

describe('search across conversations', () => {
  it('a therapist sets up, invites, and a client joins (as in story.e2e.ts)', async ({ relay, tp, cp }) => {
    await setUpAndJoin(relay, tp, cp, { practice: PRACTICE, label: LABEL, therapistPassphrase: PASS_THERAPIST, clientPassphrase: PASS_CLIENT });
  });

  it('an early message from the client, then more than a page of newer ones', async ({ tp, cp }) => {
    await send(cp, OLD);
    await bubble(tp, 'lighthouse walks').waitFor({ timeout: 30_000 });
    for (let i = 1; i <= NEWER; i++) await send(i % 2 ? tp : cp, `Check-in number ${i}: sleep was ${i % 3 ? 'better' : 'short'} this week`);
    await bubble(tp, `Check-in number ${NEWER}:`).waitFor({ timeout: 60_000 });
    await bubble(cp, `Check-in number ${NEWER - 1}:`).waitFor({ timeout: 60_000 });
    expect(await bubble(tp, 'lighthouse walks').count()).toBe(0); // paged out of the list
  });

  it('after a lock, the therapist finds it by a word\'s beginning, marked, and it opens at that message', async ({ tp }) => {
    await tp.getByRole('button', { name: 'Lock Confidant' }).click();
    await unlockWith(tp, PASS_THERAPIST);
    await tp.getByRole('button', { name: 'Search messages' }).waitFor({ timeout: 30_000 });

    await search(tp, 'lightho', /^1 message found$/);
    expect(await tp.getByLabel('Search all conversations').inputValue()).toBe('lightho');
    const results = tp.getByRole('list', { name: '1 message found' });
    const result = results.getByRole('link');
    expect(await result.count()).toBe(1);
    await result.locator('mark').waitFor();
    expect(await result.locator('mark').allTextContents()).toEqual(['lighthouse']);
    expect(await result.textContent()).toContain(LABEL);
    expect(await result.locator('.text').getAttribute('dir')).toBe('auto');
    // The count is announced once typing stops.
    await tp.getByRole('status').filter({ hasText: '1 message found' }).waitFor();
    // Every word must match; nothing found says so.
    await tp.getByRole('searchbox').fill('lighthouse zebra');
    await tp.getByRole('heading', { name: '0 messages found' }).waitFor();
    await tp.getByRole('searchbox').fill('sleep short');
    await tp.getByRole('heading', { name: /^\d+ messages found$/ }).waitFor();
    expect(await tp.getByRole('link', { name: /short/ }).count()).toBe(Math.floor(NEWER / 3));
    await tp.getByRole('searchbox').fill('lightho');
    await result.locator('mark').waitFor();
    await expectAccessible(tp, 'search results');
    await captureScreens(tp, 'search');

    // Keyboard: from the field to the result, Enter opens it.
    await tp.getByRole('searchbox').focus();
    await tp.keyboard.press('Tab');
    expect(await tp.evaluate(() => document.activeElement?.classList.contains('search-result'))).toBe(true);
    await tp.keyboard.press('Enter');
    const found = tp.locator('li.message.found');
    await found.waitFor({ timeout: 30_000 });
    expect(await found.textContent()).toContain(OLD);
    expect(await found.evaluate((el) => el === document.activeElement)).toBe(true);
    // Scrolled into the list's view.
    const inView = await found.evaluate((el) => {
      const list = el.closest('ol')!.getBoundingClientRect();
      const box = el.getBoundingClientRect();
      return box.top >= list.top && box.bottom <= list.bottom;
    });
    expect(inView).toBe(true);
    expect(tp.url()).toMatch(/#\/c\/[^/]+\/m\/[^/]+$/);
    await expectAccessible(tp, 'conversation opened at a search result');
    await captureScreens(tp, 'search-result-opened');

    // Back to the results: the query is still there.
    await tp.goBack();
    await tp.getByRole('heading', { name: /^1 message found$/ }).waitFor();
  });

  it('the client searches their messages on a phone', async ({ cp }) => {
    await search(cp, 'calmed panic', /^1 message found$/);
    expect(await cp.getByLabel('Search your messages').inputValue()).toBe('calmed panic');
    expect(await cp.getByRole('link').filter({ hasText: 'lighthouse' }).locator('mark').allTextContents()).toEqual(['calmed', 'panic']);
    await expectAccessible(cp, 'search on a phone');
  });

  it('the relay never saw the words', async ({ relay, therapist, client }) => {
    await expectNoLeaks(relay, ['lighthouse', 'calmed my panic', 'lightho']);
    // A socket or a fetch cut by the lock is not an error of this feature.
    therapist.expectNoErrors([/Failed to load resource/, /WebSocket/]);
    client.expectNoErrors([/Failed to load resource/, /WebSocket/]);
  });
});
