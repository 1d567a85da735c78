/**
 * The risk-language flag (issue 11), through the UI in two real Chromium profiles against the
 * real relay: a client (phone) writes a figurative message and one with risk language; on the
 * therapist's laptop the second shows a calm "Risk language: …" label, its words highlighted
 * (mark elements, described for screen readers), and the first shows nothing. The relay never
 * sees either text or the label: the flag is made and kept on the therapist's device.
 *
 * The steps run in order and share state (the people and their browsers).
 */
import { describe, expect } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { expectNoLeaks } from './harness/leaks.ts';
import { bubble, castTest as it, composer, inviteClient, joinFromLink, openConversation, send, setUpPractice } from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Lindqvist Counselling';
const LABEL = 'J. Lindqvist Monday';
const PASS_THERAPIST = 'copper lantern meadow therapist';
const PASS_CLIENT = 'quiet orchard morning client';
const FIGURATIVE = 'This deadline is killing me, I could murder a pizza (Lindqvist)';
const RISKY = "I've been saving up my pills and I don't want to be here anymore (Lindqvist)";

describe('the risk-language flag', () => {
  it('a therapist sets up, invites, and a client joins', async ({ relay, tp, cp }) => {
    await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST);
    const link = await inviteClient(tp, LABEL);
    await joinFromLink(cp, link, PASS_CLIENT);
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await openConversation(tp, LABEL);
    await composer(tp).waitFor();
  });

  it('the therapist sees risk language flagged with its words highlighted, and a figurative message not flagged', async ({ relay, tp, cp }) => {
    await send(cp, FIGURATIVE);
    await send(cp, RISKY);
    const risky = bubble(tp, 'saving up my pills');
    await risky.waitFor({ timeout: 60_000 });
    const figurative = bubble(tp, 'deadline is killing me');
    await figurative.waitFor();

    // The flagged one: a label naming the categories, the matched words as <mark> elements.
    const label = risky.locator('.risk-label');
    expect(await label.evaluate((el) => el.firstChild?.textContent)).toBe('Risk language: thoughts of dying, means');
    expect(await label.isVisible()).toBe(true);
    expect(await risky.locator('mark.risk-mark').allInnerTexts()).toEqual(['saving up my pills', "don't want to be here"]);
    // The text is described by the label, which names the words for a screen reader.
    const description = await risky.locator('.text').evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent ?? '');
    expect(description).toBe("Risk language: thoughts of dying, means. Highlighted words: “saving up my pills”, “don't want to be here”");
    // The message's text is still all there, in order.
    expect(await risky.locator('.text').innerText()).toBe(RISKY);

    // The figurative one: nothing.
    expect(await figurative.locator('.risk-label').count()).toBe(0);
    expect(await figurative.locator('mark').count()).toBe(0);

    await expectAccessible(tp, 'a flagged message');
    await risky.scrollIntoViewIfNeeded();
    await captureScreens(tp, 'risk-flag');

    // Made and kept on the therapist's device: the relay never saw the text or the label.
    await expectNoLeaks(relay, [RISKY, FIGURATIVE, 'Risk language', 'saving up my pills']);
  });

  it('the client’s own view of what they sent shows no flag', async ({ cp }) => {
    const mine = bubble(cp, 'saving up my pills');
    await mine.waitFor();
    expect(await mine.locator('.risk-label').count()).toBe(0);
    expect(await mine.locator('mark').count()).toBe(0);
  });

  it('after the therapist replies, the flagged message keeps its label', async ({ tp }) => {
    await send(tp, 'Thank you for telling me. I will call you in ten minutes (Lindqvist)');
    await bubble(tp, 'I will call you in ten minutes').filter({ hasText: /Sent|Delivered|Read/ }).waitFor({ timeout: 30_000 });
    expect(await bubble(tp, 'saving up my pills').locator('.risk-label').count()).toBe(1);
  });
});
