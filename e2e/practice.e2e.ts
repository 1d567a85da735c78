/**
 * Practice information and emergencies (issue 11, "Practice settings, reaching every client"),
 * through the UI in two real Chromium profiles against the real relay: a therapist (laptop)
 * and a client (phone, 360 px) set up and joined as in story.e2e.ts, then
 * - before any practice information, the client's "Get help now" shows the invite's notice,
 *   which names no country's number;
 * - the therapist edits crisis lines (add, remove, reorder), office hours, time zone, away
 *   dates and reply time in Settings and saves; the client's "Get help now", one tap from the
 *   conversation's top bar, shows the new lines as tel: and https links;
 * - away until a date far in the future (so nothing depends on the clock), the client's
 *   composer says so before they write, with the crisis lines one tap away;
 * - marking a message urgent, or writing words the on-device detector flags, shows the crisis
 *   lines first; sending still works.
 *
 * The steps run in order and share state (the people and their browsers).
 */
import { describe, expect } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { bubble, castTest as it, composer, openConversation, setUpAndJoin } from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Praxis Lindqvist Moreau';
const LABEL = 'R. Lindqvist Tuesdays';
const PASS_THERAPIST = 'copper lantern meadow therapist';
const PASS_CLIENT = 'quiet orchard river client';

describe('practice information and emergencies', () => {
  it('a therapist sets up, invites, and a client joins (as in story.e2e.ts)', async ({ relay, tp, cp }) => {
    await setUpAndJoin(relay, tp, cp, { practice: PRACTICE, label: LABEL, therapistPassphrase: PASS_THERAPIST, clientPassphrase: PASS_CLIENT });
  });

  it("before any practice information, the client's help screen shows the invite's notice, naming no country's number", async ({ cp }) => {
    await cp.getByRole('link', { name: 'Get help now' }).click();
    await cp.getByRole('heading', { name: 'If you are in danger now' }).waitFor();
    const card = cp.locator('.crisis-card');
    expect(await card.textContent()).toMatch(/call your local emergency number/);
    expect(await card.textContent()).not.toMatch(/\b(112|911|999)\b/);
    await cp.getByRole('button', { name: 'Back', exact: true }).click();
    await composer(cp).waitFor();
  });

  it('the therapist edits crisis lines, office hours and away dates in Settings, and saves them to every client', async ({ tp }) => {
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await tp.getByRole('button', { name: 'Settings' }).click();
    await tp.getByRole('heading', { name: 'Your practice information' }).waitFor();
    await tp.getByLabel('Your name as clients see it').fill('Dr Elin Lindqvist');

    // Three lines; the second removed; the last moved up to the top.
    for (const [label, contact] of [
      ['Local crisis team', '+1 555 0100'],
      ['Wrong number', '555 0000'],
      ['Find a helpline', 'https://findahelpline.com/'],
    ] as const) {
      await tp.getByRole('button', { name: 'Add a crisis line' }).click();
      const n = await tp.locator('.line-row').count();
      await tp.getByLabel(`Name of line ${n}`).fill(label);
      await tp.getByLabel(`Number or address of line ${n}`).fill(contact);
    }
    await tp.getByLabel('Note for line 1 (optional)').fill('Answers 24 hours a day');
    await tp.getByRole('button', { name: 'Remove line 2' }).click();
    await tp.getByRole('button', { name: 'Move up line 2' }).click();
    expect(await tp.getByLabel('Name of line 1').inputValue()).toBe('Find a helpline');
    expect(await tp.getByLabel('Name of line 2').inputValue()).toBe('Local crisis team');

    // A contact that is neither a number nor an https address is refused in plain words.
    await tp.getByLabel('Number or address of line 1').fill('javascript:alert(1)');
    await tp.getByRole('button', { name: 'Save and send to clients' }).click();
    await tp.getByRole('alert').filter({ hasText: 'Crisis line 1: enter a phone number' }).waitFor();
    await tp.getByLabel('Number or address of line 1').fill('https://findahelpline.com/');

    await tp.getByLabel('Time zone').selectOption('Europe/Stockholm');
    await tp.getByRole('checkbox', { name: 'Saturday' }).check();
    await tp.getByLabel('Saturday from').fill('10:00');
    await tp.getByLabel('Saturday until').fill('12:00');
    // Away until far in the future: the client's notice does not depend on today's date.
    await tp.getByLabel('Last day away (optional)').fill('2999-12-31');
    await tp.getByLabel('When clients can expect a reply').fill('Within 1 working day');
    await expectAccessible(tp, 'practice settings');
    await tp.getByRole('button', { name: 'Save and send to clients' }).click();
    await tp.getByRole('status').filter({ hasText: 'Saved. Sent to your client' }).waitFor({ timeout: 30_000 });
    await tp.evaluate(() => document.getElementById('practice-title')?.scrollIntoView());
    await captureScreens(tp, 'settings-practice');
  });

  it('the client sees the new crisis lines from the top bar of the conversation, as tel: and https links', async ({ cp }) => {
    // The conversation screen: "Get help now" is in its top bar.
    await composer(cp).waitFor();
    await cp.getByRole('link', { name: 'Get help now' }).click();
    const card = cp.locator('.crisis-card');
    const tel = card.locator('a.crisis-line[href="tel:+15550100"]');
    await tel.waitFor({ timeout: 60_000 });
    expect(await tel.textContent()).toMatch(/Local crisis team.*Call \+1 555 0100/);
    const web = card.locator('a.crisis-line[href="https://findahelpline.com/"]');
    expect(await web.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await card.locator('a.crisis-line').first().getAttribute('href')).toBe('https://findahelpline.com/');
    // Away until far in the future: said here too, in the client's own time.
    expect(await cp.locator('.after-hours').textContent()).toMatch(/Your therapist is away until .+ your time\./);
    expect(await cp.locator('a[href="tel:5550000"]').count()).toBe(0);
    await cp.getByText('Answers 24 hours a day').waitFor();
    await cp.getByText('When to expect a reply: Within 1 working day').waitFor();
    await cp.getByText(/Your therapist: Dr Elin Lindqvist/).waitFor();
    expect(await cp.locator('dl.hours dt').count()).toBe(6);
    await expectAccessible(cp, 'get help now');
    await captureScreens(cp, 'crisis-help');
    await cp.getByRole('button', { name: 'Back', exact: true }).click();
  });

  it("the client's composer says the therapist is away before they write, with the crisis lines one tap away", async ({ cp }) => {
    const notice = cp.locator('form.composer .after-hours');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/Your therapist is away until .+ your time\./);
    expect(await notice.textContent()).toMatch(/Replies: Within 1 working day/);
    expect(await notice.locator('a[href="tel:+15550100"]').count()).toBe(1);
    await expectAccessible(cp, 'composer after hours');
  });

  it('urgent, or words the detector flags, shows the crisis lines first; sending still works and sends nothing extra', async ({ tp, cp }) => {
    const panel = cp.locator('form.composer .crisis-panel');
    await composer(cp).fill('Can we talk before Tuesday?');
    expect(await panel.count()).toBe(0);
    await cp.getByLabel('Mark as urgent').check();
    await panel.getByRole('heading', { name: 'Marked urgent' }).waitFor();
    expect(await panel.locator('a[href="tel:+15550100"]').count()).toBe(1);
    expect(await cp.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    await captureScreens(cp, 'composer-urgent-crisis-lines');
    await cp.getByRole('button', { name: 'Send' }).click();
    // The therapist, back from Settings, finds it in the conversation.
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await openConversation(tp, LABEL);
    await bubble(tp, 'Can we talk before Tuesday?').waitFor({ timeout: 60_000 });
    await panel.waitFor({ state: 'detached' });

    // Not urgent, but the draft has risk language: the same gentle panel, sending not blocked.
    await composer(cp).fill('I want to kill myself tonight');
    await panel.getByRole('heading', { name: 'It sounds like things may be hard right now' }).waitFor();
    expect(await cp.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    await composer(cp).fill('');
    await panel.waitFor({ state: 'detached' });
    // Only the one message went to the therapist.
    expect(await tp.locator('li.message').count()).toBe(1);
  });
});
