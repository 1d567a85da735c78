/**
 * Consent over time (issue 11), through the UI in two real Chromium profiles against the real
 * relay: a therapist (laptop) and a client (phone, 360 px) set up and joined as in story.e2e.ts,
 * then
 * - the therapist saves a new consent text in Settings (version 2); the client can still read
 *   but the composer is replaced by the new text, to read in full and accept before their next
 *   message; the therapist sees version 2 accepted in the conversation and the inbox;
 * - the client withdraws consent from Settings (told first what it means and how to resume);
 *   the therapist sees it at once in the inbox and the conversation; the client's composer is
 *   closed with the explanation; accepting again reopens it;
 * - both see the consent history with each signature checked.
 *
 * The steps run in order and share state (the people and their browsers).
 */
import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { bubble, castTest as it, composer, inviteClient, joinFromLink, openConversation, send, setUpPractice } from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Praxis Lindqvist';
const LABEL = 'M. Lindqvist Tuesdays';
const PASS_THERAPIST = 'cedar lantern morning therapist';
const PASS_CLIENT = 'quiet river autumn client';
const ADDED = 'From 1 February, messages are kept for seven years as part of your record.';
const BEFORE = 'Written under version 1, Lindqvist';
const AFTER = 'Written after accepting version 2, Lindqvist';
const RESUMED = 'Written after giving consent again, Lindqvist';

/** The therapist's inbox row of the client. */
const row = (page: Page) => page.getByRole('link', { name: new RegExp(LABEL) });
/** Therapist: from the conversation back to the inbox. */
const toInbox = (page: Page) => page.getByRole('button', { name: 'Back', exact: true }).click();

describe('consent over time', () => {
  it('a therapist sets up, invites, and a client joins; both see version 1 accepted', async ({ relay, tp, cp }) => {
    await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST);
    const link = await inviteClient(tp, LABEL);
    await joinFromLink(cp, link, PASS_CLIENT);
    await send(cp, BEFORE);

    await toInbox(tp);
    await row(tp).filter({ hasText: 'Consent v1' }).waitFor({ timeout: 60_000 });
    await openConversation(tp, LABEL);
    await bubble(tp, BEFORE).waitFor({ timeout: 30_000 });
    await tp.getByRole('status').filter({ hasText: /Consent version 1 accepted on/ }).waitFor();
  });

  it('a new consent version is accepted by the client before their next message', async ({ tp, cp }) => {
    await toInbox(tp);
    await tp.getByRole('button', { name: 'Settings' }).click();
    const edit = tp.getByLabel('Consent text (version 1)');
    await edit.fill(`${await edit.inputValue()}\n• ${ADDED}`);
    await tp.getByRole('button', { name: 'Save as version 2' }).click();
    await tp.getByText('Saved as version 2.', { exact: false }).waitFor();
    await expect(tp.getByLabel('Consent text (version 2)').inputValue()).resolves.toContain(ADDED);

    // The client: the conversation is still there to read; the composer is replaced by the new text.
    const prompt = cp.getByRole('region', { name: 'Your therapist updated the consent text' });
    await prompt.waitFor({ timeout: 60_000 });
    expect(await composer(cp).count()).toBe(0);
    await expect(bubble(cp, BEFORE).isVisible()).resolves.toBe(true);
    await prompt.getByText(/Please read version 2/).waitFor();
    await expectAccessible(cp, 'consent: new version prompt');
    await captureScreens(cp, 'consent-new-version');
    // Folded to its first lines; the full text on request.
    expect(await prompt.getByText(ADDED, { exact: false }).count()).toBe(0);
    await prompt.getByRole('button', { name: 'Read the full text' }).click();
    await prompt.getByText(ADDED, { exact: false }).waitFor();
    await prompt.getByRole('button', { name: 'Accept', exact: true }).click();

    await composer(cp).waitFor();
    await send(cp, AFTER);

    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await row(tp).filter({ hasText: 'Consent v2' }).waitFor({ timeout: 60_000 });
    await openConversation(tp, LABEL);
    await bubble(tp, AFTER).waitFor({ timeout: 30_000 });
    await tp.getByRole('status').filter({ hasText: /Consent version 2 accepted on/ }).waitFor();
  });

  it('consent withdrawn: the therapist sees it in the inbox and the conversation, the client composer is closed; resumed', async ({ tp, cp }) => {
    await cp.getByRole('button', { name: 'Settings' }).click();
    await cp.getByRole('button', { name: 'Withdraw consent…' }).click();
    // What withdrawing means, and how to resume, before the choice.
    await cp.getByText('Your therapist sees at once that you withdrew').waitFor();
    await cp.getByText('To resume, come back here').waitFor();
    await expectAccessible(cp, 'consent: withdraw explanation');
    await cp.getByRole('button', { name: 'Withdraw consent', exact: true }).click();
    await cp.getByText(/You withdrew your consent on/).waitFor();
    await cp.getByRole('button', { name: 'Give consent again' }).waitFor();

    // The therapist, in the inbox, without reloading.
    await toInbox(tp);
    await row(tp).filter({ hasText: 'Consent withdrawn' }).waitFor({ timeout: 60_000 });
    await expectAccessible(tp, 'consent: inbox marker');
    await captureScreens(tp, 'inbox-consent-withdrawn');
    await openConversation(tp, LABEL);
    await tp.getByRole('status').filter({ hasText: /withdrew their consent to messaging on/ }).waitFor();

    // The client's conversation: readable, the composer closed with the explanation.
    await cp.getByRole('button', { name: 'Back', exact: true }).click();
    const closed = cp.getByRole('region', { name: 'You withdrew your consent to messaging' });
    await closed.waitFor();
    expect(await composer(cp).count()).toBe(0);
    await expect(bubble(cp, AFTER).isVisible()).resolves.toBe(true);
    await expectAccessible(cp, 'consent: withdrawn');
    await captureScreens(cp, 'consent-withdrawn');

    // Accepting again reopens the composer; the therapist sees it.
    await closed.getByRole('button', { name: 'Accept and write again' }).click();
    await composer(cp).waitFor();
    await send(cp, RESUMED);
    await bubble(tp, RESUMED).waitFor({ timeout: 60_000 });
    await tp.getByRole('status').filter({ hasText: /Consent version 2 accepted on/ }).waitFor();
    expect(await tp.getByText(/withdrew their consent/).count()).toBe(0);
  });

  it('both see the consent history, each signature checked', async ({ tp, cp }) => {
    await tp.getByRole('button', { name: 'Consent history' }).click();
    const records = tp.getByRole('list', { name: 'Consent records, newest first' }).getByRole('listitem');
    await expect.poll(() => records.count()).toBe(4);
    expect(await tp.getByText('Signature checked', { exact: true }).count()).toBe(4);
    await tp.getByText(/withdrew consent \(version 2\)/).waitFor();
    await expectAccessible(tp, 'consent: history (therapist)');

    await cp.getByRole('button', { name: 'Settings' }).click();
    await cp.getByRole('button', { name: 'Consent history' }).click();
    await expect.poll(() => cp.getByText('Signature checked', { exact: true }).count()).toBe(4);
    await cp.getByText('You accepted version 1').waitFor();
    await expectAccessible(cp, 'consent: history (client)');
    await captureScreens(cp, 'consent-history');
  });
});
