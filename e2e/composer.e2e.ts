/**
 * The composer and how messages are shown (issue 9 items 12, 13, 14, 19), through the UI in two
 * real Chromium profiles against the real relay: a therapist (laptop) and a client (phone,
 * 360 px) set up and joined as in story.e2e.ts, then
 * - near the 16,000-character limit a counter counts down; over it nothing is cut, sending is
 *   refused in plain words, and a long message arrives collapsed behind "Show all";
 * - text pasted past any cap says it is too long and by how much, and stays;
 * - a file name with a right-to-left override shows the override instead of obeying it, on
 *   screen and as the saved file's name; message text is bidi-isolated;
 * - a draft survives an auto-lock and is gone once sent.
 *
 * The steps run in order and share state (the people and their browsers).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { MAX_TEXT_LENGTH } from '../shared/consts.ts';
import { expectAccessible } from './harness/axe.ts';
import { expectNoLeaks, filesUnder, scanForLeaks } from './harness/leaks.ts';
import { bubble, castTest as it, composer, send, setUpAndJoin, unlockWith } from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Praxis Okafor Brennan';
const LABEL = 'A. Thursday 10am Okafor';
const PASS_THERAPIST = 'amber kettle window therapist';
const PASS_CLIENT = 'silver harbour evening client';
/** Exactly the limit: 16,000 characters, nothing to trim. */
const LONG = `${'Okafor writes at length about the week. '.repeat(400).slice(0, MAX_TEXT_LENGTH - 1)}.`;
const SPOOFED = 'invoice\u202Efdp.exe';
const SHOWN = 'invoice⟨U+202E⟩fdp.exe';
const RTL_TEXT = 'Okafor: the bill \u202Efdp.exe is attached';
const DRAFT = 'Half-written before the auto-lock: Okafor about next Thursday';
const DRAFT_LOCK = 'Typed a moment before pressing Lock, Okafor';
const DRAFT_AFTER = 'Sent after unlocking, Okafor';

/** Once the composer has put its draft back (a moment after the view appears), it holds `text`. */
async function composerHolds(page: Page, text: string): Promise<void> {
  await page.locator('form.composer[data-draft="ready"]').waitFor({ timeout: 10_000 });
  expect(await composer(page).inputValue()).toBe(text);
}

describe('writing and reading messages', () => {
  it('a therapist sets up, invites, and a client joins (as in story.e2e.ts)', async ({ relay, tp, cp }) => {
    await setUpAndJoin(relay, tp, cp, { practice: PRACTICE, label: LABEL, therapistPassphrase: PASS_THERAPIST, clientPassphrase: PASS_CLIENT });
  });

  it('item 13: a counter near the limit; over it nothing is cut and sending is refused in plain words', async ({ cp }) => {
    const sendButton = cp.getByRole('button', { name: 'Send' });
    await composer(cp).fill('a'.repeat(14_000));
    expect(await cp.getByText(/characters? left/).count()).toBe(0);

    await composer(cp).fill('b'.repeat(15_000));
    await cp.getByText('1,000 characters left').waitFor();
    expect(await sendButton.isEnabled()).toBe(true);

    // Typed (or pasted) past the limit: kept whole, never cut; the composer says by how much.
    await composer(cp).fill('c'.repeat(MAX_TEXT_LENGTH + 50));
    expect((await composer(cp).inputValue()).length).toBe(MAX_TEXT_LENGTH + 50);
    await cp.getByText(/too long by 50 characters/i).waitFor();
    expect(await sendButton.isDisabled()).toBe(true);
    expect(await composer(cp).getAttribute('aria-invalid')).toBe('true');
    const described = await composer(cp).evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '));
    expect(described).toMatch(/too long by 50 characters/i);
    await expectAccessible(cp, 'composer over the limit');
    await captureScreens(cp, 'composer-over-limit');

    // Exactly the limit goes out, and arrives whole.
    await composer(cp).fill(LONG);
    expect(await sendButton.isEnabled()).toBe(true);
    await sendButton.click();
    await bubble(cp, 'Okafor writes at length').filter({ hasText: /Sent|Delivered|Read/ }).waitFor({ timeout: 30_000 });
    expect(await composer(cp).inputValue()).toBe('');
  });

  it('item 13: a very long message is collapsed in the list, with a "Show all" that keyboards and screen readers can use', async ({ tp }) => {
    const long = bubble(tp, 'Okafor writes at length');
    await long.waitFor({ timeout: 30_000 });
    const text = long.locator('.text');
    expect((await text.textContent())!.length).toBeLessThan(2_000);
    const toggle = long.getByRole('button', { name: 'Show all' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    const controls = await toggle.getAttribute('aria-controls');
    expect(controls).toBeTruthy();
    expect(await text.getAttribute('id')).toBe(controls);

    await toggle.focus();
    await tp.keyboard.press('Enter');
    const expanded = long.locator('button[aria-expanded="true"]');
    await expanded.waitFor();
    expect(await text.textContent()).toBe(LONG);
    await expectAccessible(tp, 'long message expanded');
    // Space collapses it again; focus stays on the button.
    await tp.keyboard.press('Space');
    await long.locator('button[aria-expanded="false"]').waitFor();
    expect(await tp.evaluate(() => document.activeElement?.getAttribute('aria-expanded'))).toBe('false');
    expect((await text.textContent())!.length).toBeLessThan(2_000);
    await captureScreens(tp, 'long-message-collapsed');
  });

  it('item 19: text pasted past any cap says it is too long, by how much, and stays in the composer', async ({ cp }) => {
    const pasted = 'd'.repeat(MAX_TEXT_LENGTH + 120);
    // What a paste that gets past the field's own checks does: the value changes, one input event.
    await composer(cp).evaluate((el, value) => {
      const area = el as HTMLTextAreaElement;
      area.focus();
      area.value = value;
      area.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
    }, pasted);
    await cp.getByText(/too long by 120 characters/i).waitFor();
    // Trying to send anyway (Ctrl+Enter) is refused with the same words, not a storage error.
    await composer(cp).press('Control+Enter');
    await cp.getByText(/too long by 120 characters/i).waitFor();
    expect(await cp.getByText(/could not be saved/).count()).toBe(0);
    expect(await composer(cp).inputValue()).toBe(pasted);
    expect(await cp.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await composer(cp).fill('');
  });

  it('item 14: a right-to-left override in a file name is shown, not obeyed; message text is isolated', async ({ tp, cp }) => {
    await cp.locator('input[type=file]').setInputFiles({ name: SPOOFED, mimeType: 'application/octet-stream', buffer: Buffer.from('not really a pdf') });
    // The sender sees the same neutralised name before sending.
    await cp.getByText(`Attached: ${SHOWN}`).waitFor();
    await composer(cp).fill(RTL_TEXT);
    await cp.getByRole('button', { name: 'Send' }).click();

    const got = bubble(tp, 'the bill');
    await got.waitFor({ timeout: 30_000 });
    const download = got.getByRole('button', { name: `Download ${SHOWN}` });
    await download.waitFor({ timeout: 30_000 });
    const shown = (await got.textContent())!;
    expect(shown).toContain(SHOWN);
    // No directional control in any file name on screen (the text itself keeps its own).
    const names = await got.locator('.file-name').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) {
      expect(n).toBe(SHOWN);
      expect(n).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/);
    }
    // Isolated: neither the name nor the text can reorder what is around it.
    const styles = await got.evaluate((li) =>
      [...li.querySelectorAll('.text, .file-name')].map((el) => ({ bidi: getComputedStyle(el).unicodeBidi, dir: el.getAttribute('dir') ?? el.tagName.toLowerCase() })),
    );
    expect(styles.length).toBeGreaterThanOrEqual(2);
    for (const s of styles) expect(['isolate', 'plaintext']).toContain(s.bidi);

    // The saved file carries the neutralised name too.
    await download.click();
    const save = got.getByRole('link', { name: `Save ${SHOWN}` });
    await save.waitFor({ timeout: 30_000 });
    const [file] = await Promise.all([tp.waitForEvent('download'), save.click()]);
    expect(file.suggestedFilename()).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/);
    expect(file.suggestedFilename()).toMatch(/\.exe$/);
    await expectAccessible(tp, 'spoofed file name');
  });

  it('item 12: a draft survives an auto-lock', async ({ client, cp }) => {
    // A controllable clock from the next load on; the reload locks, as any reload does.
    await cp.clock.install();
    await cp.reload();
    await unlockWith(cp, PASS_CLIENT);
    await composer(cp).waitFor({ timeout: 30_000 });
    await composer(cp).fill(DRAFT);
    // Past the default five idle minutes (every timer due in them fires, in order).
    await cp.clock.runFor('06:00');
    await cp.getByRole('heading', { name: 'Confidant is locked' }).waitFor();
    expect(await cp.content()).not.toContain(DRAFT);
    // Saved in the browser's IndexedDB, encrypted: the words are not in its files.
    const idb = join(client.userDataDir, 'Default', 'IndexedDB');
    expect((await filesUnder(idb)).length).toBeGreaterThan(0);
    expect(await scanForLeaks([idb], [DRAFT, 'Okafor about next Thursday'])).toEqual([]);

    await unlockWith(cp, PASS_CLIENT);
    await composer(cp).waitFor({ timeout: 30_000 });
    await composerHolds(cp, DRAFT);
  });

  it('item 12: "Lock" saves the draft first, even one typed a moment before', async ({ cp }) => {
    // The page's clock stands still: the pause in typing that would write the draft never ends,
    // so only the lock's own save can keep it.
    await cp.clock.pauseAt(await cp.evaluate(() => Date.now() + 1_000));
    await composer(cp).fill(DRAFT_LOCK);
    await cp.getByRole('button', { name: 'Lock Confidant' }).click();
    await cp.getByRole('heading', { name: 'Confidant is locked' }).waitFor();
    await cp.clock.resume();
    await unlockWith(cp, PASS_CLIENT);
    await composer(cp).waitFor({ timeout: 30_000 });
    await composerHolds(cp, DRAFT_LOCK);
  });

  it('item 12: a sent draft is gone', async ({ cp }) => {
    await send(cp, DRAFT_AFTER);
    await bubble(cp, DRAFT_AFTER).waitFor();
    expect(await composer(cp).inputValue()).toBe('');
    await cp.reload();
    await unlockWith(cp, PASS_CLIENT);
    await bubble(cp, DRAFT_AFTER).waitFor({ timeout: 30_000 });
    await cp.locator('form.composer[data-draft="ready"]').waitFor();
    expect(await composer(cp).inputValue()).toBe('');
  });

  it('no browser errors; no text, draft or file name at the relay', async ({ relay, therapist, client }) => {
    therapist.expectNoErrors([/Failed to load resource/, /WebSocket/]);
    client.expectNoErrors([/Failed to load resource/, /WebSocket/]);
    await expectNoLeaks(relay, [DRAFT, DRAFT_LOCK, DRAFT_AFTER, 'Okafor writes at length', 'fdp.exe', 'the bill', PRACTICE, LABEL]);
  });
});
