/**
 * The whole story through the UI, in two real Chromium profiles against the real relay:
 * a therapist sets up a practice with the operator's code and invites a client; the client
 * joins from the link (consent, emergency notice), and they write to each other, with
 * receipts, an urgent message, a reply and a 5 MB attachment each way (bytes compared); the
 * client writes offline and the message goes out on reconnect; a reload locks, the passphrase
 * unlocks with the history there; auto-lock hides everything. Afterwards nothing the two wrote,
 * no name and no file name is in the relay's database, blob folder or log.
 *
 * The steps run in order and share state (the people and their browsers).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { launchPerson } from './harness/browser.ts';
import { expectNoLeaks } from './harness/leaks.ts';
import {
  agreeAndChoosePassphrase,
  bubble,
  castTest as it,
  composer,
  inviteAgain,
  inviteClient,
  joinFromLink,
  openConversation,
  passPhraseSteps,
  send,
  setUpPractice,
  startMessaging,
  submitPractice,
  unlockWith,
} from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Harbour Counselling Lindqvist';
const LABEL = 'J. Tuesday 3pm Fjellstrom';
const PASS_THERAPIST = 'correct horse battery staple therapist';
const PASS_CLIENT = 'quiet river morning lantern client';
const TEXT = {
  first: 'Hello, this is Fjellstrom writing for the first time',
  reply: 'Welcome Fjellstrom, glad you reached out. See you Tuesday.',
  urgent: 'Urgent: I cannot make Tuesday, panic rising again',
  offline: 'Written on the train without signal, Fjellstrom',
  emoji: 'Thank you 🙏🏽 — that helps. <b>not bold</b>',
  newDevice: 'Fjellstrom here again, on my new phone',
  welcomeBack: 'Good to have you back, Fjellstrom',
};
const FILES = { client: 'fjellstrom-journal-scan.pdf', therapist: 'lindqvist-worksheet-anxiety.pdf' };

let inviteLink = '';
let firstCode = '';

describe('a therapist and a client, end to end', () => {
  it('the therapist sets up a practice with the registration code', async ({ relay, tp }) => {
    const { code } = await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST, {
      onSetupScreen: async (page) => {
        await expectAccessible(page, 'recovery phrase');
        await captureScreens(page, 'recovery-phrase');
      },
    });
    firstCode = code;
    expect(await tp.getByRole('heading', { level: 1 }).textContent()).toBe(PRACTICE);
  });

  it('a used registration code is refused in plain words, and the form keeps its input', async ({ relay }) => {
    const other = await launchPerson('second-therapist', { baseURL: relay.base });
    try {
      const page = other.page;
      await page.goto('/#/setup');
      await passPhraseSteps(page);
      await submitPractice(page, 'Second practice', firstCode, 'another passphrase here');
      await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor({ timeout: 30_000 });
      expect(await page.getByLabel('Practice name').inputValue()).toBe('Second practice');
      await expectAccessible(page, 'setup: refused code');
    } finally {
      await other.close();
    }
  });

  it('the therapist creates an invite with a link and a QR code', async ({ relay, tp }) => {
    inviteLink = await inviteClient(tp, LABEL);
    expect(inviteLink).toMatch(new RegExp(`^${relay.base}/#/join/2[A-Za-z0-9_-]{43}$`));
    await expectAccessible(tp, 'invite');
    await captureScreens(tp, 'invite');
  });

  it('the client joins from the link: emergency notice, consent, phrase, passphrase', async ({ cp }) => {
    await cp.goto(inviteLink);
    await cp.getByRole('heading', { name: `Join ${PRACTICE}` }).waitFor();
    expect(await cp.getByRole('note').textContent()).toContain('not monitored around the clock');
    await expectAccessible(cp, 'join: consent');
    await captureScreens(cp, 'join-consent');
    await agreeAndChoosePassphrase(cp, PASS_CLIENT);
    // The network drops after registration, while fetching the therapist's keys: a plain-words
    // error, nothing half-made on the device, and trying again just works.
    const bundles = '**/v1/bundles/**';
    await cp.route(bundles, (route) => route.abort('internetdisconnected'));
    await cp.getByRole('button', { name: 'Start messaging' }).click();
    await cp.getByRole('alert').filter({ hasText: 'cannot be reached' }).waitFor({ timeout: 60_000 });
    await cp.unroute(bundles);
    await startMessaging(cp);
    expect(await cp.getByRole('heading', { level: 1 }).textContent()).toBe(PRACTICE);
  });

  it('messages go both ways, with delivered and read receipts', async ({ tp, cp }) => {
    await send(cp, TEXT.first);
    await bubble(cp, TEXT.first).filter({ hasText: /Sent|Delivered|Read/ }).waitFor({ timeout: 30_000 });

    // The therapist's inbox shows the new conversation under the invite's label, unread.
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    const row = tp.getByRole('link', { name: new RegExp(LABEL) });
    await row.waitFor({ timeout: 30_000 });
    await row.getByLabel('1 unread').waitFor();
    await expectAccessible(tp, 'inbox');
    await captureScreens(tp, 'inbox');
    await row.click();
    await bubble(tp, TEXT.first).waitFor();
    await bubble(cp, TEXT.first).filter({ hasText: 'Read' }).waitFor({ timeout: 30_000 });

    await send(tp, TEXT.reply);
    await bubble(cp, TEXT.reply).waitFor({ timeout: 30_000 });
    await bubble(tp, TEXT.reply).filter({ hasText: /Delivered|Read/ }).waitFor({ timeout: 30_000 });
  });

  it('an urgent message, a reply, and text that looks like HTML stays text', async ({ tp, cp }) => {
    await cp.getByLabel('Mark as urgent').check();
    await send(cp, TEXT.urgent);
    await tp.locator('li.message.urgent', { hasText: TEXT.urgent }).waitFor({ timeout: 30_000 });

    await bubble(tp, TEXT.urgent).getByRole('button', { name: 'Reply' }).click();
    await send(tp, TEXT.emoji);
    const reply = bubble(cp, TEXT.emoji);
    await reply.waitFor({ timeout: 30_000 });
    expect(await reply.locator('.quote').textContent()).toBe(TEXT.urgent);
    expect(await reply.locator('b').count()).toBe(0);
    expect(await reply.locator('.text').textContent()).toBe(TEXT.emoji);
    await expectAccessible(cp, 'conversation (client)');
    await captureScreens(cp, 'conversation');
  });

  it('a 5 MB attachment each way arrives byte for byte', async ({ relay, tp, cp }) => {
    const make = async (who: 'client' | 'therapist') => {
      const bytes = randomBytes(5 * 1024 * 1024);
      const path = join(relay.tempDir, FILES[who]);
      await writeFile(path, bytes);
      return { path, bytes };
    };
    const tmpFiles = { client: await make('client'), therapist: await make('therapist') };
    for (const [from, to, who] of [
      [cp, tp, 'client'],
      [tp, cp, 'therapist'],
    ] as const) {
      await from.locator('input[type=file]').setInputFiles(tmpFiles[who].path);
      await from.getByRole('button', { name: 'Send' }).click();
      const download = to.getByRole('button', { name: `Download ${FILES[who]}` });
      await download.waitFor({ timeout: 60_000 });
      await download.click();
      const save = to.getByRole('link', { name: `Save ${FILES[who]}` });
      await save.waitFor({ timeout: 60_000 });
      const [file] = await Promise.all([to.waitForEvent('download'), save.click()]);
      const got = await readFile((await file.path())!);
      expect(got.equals(tmpFiles[who].bytes)).toBe(true);
    }
  });

  it('a message written offline goes out once the connection returns', async ({ client, tp, cp }) => {
    await client.setOffline(true);
    await send(cp, TEXT.offline);
    await bubble(cp, TEXT.offline).filter({ hasText: 'Waiting to send' }).waitFor();
    await cp.getByRole('status').filter({ hasText: 'saved and will be sent' }).waitFor({ timeout: 30_000 });
    await client.setOffline(false);
    await bubble(tp, TEXT.offline).waitFor({ timeout: 60_000 });
    await bubble(cp, TEXT.offline).filter({ hasText: /Sent|Delivered|Read/ }).waitFor({ timeout: 30_000 });
    expect(await bubble(tp, TEXT.offline).count()).toBe(1);
    client.clearProblems();
  });

  it('a reload locks; the passphrase unlocks with the history there; a wrong one is explained', async ({ cp }) => {
    await cp.reload();
    await cp.getByRole('heading', { name: 'Confidant is locked' }).waitFor();
    expect(await cp.content()).not.toContain(TEXT.first);
    await expectAccessible(cp, 'locked');
    await captureScreens(cp, 'locked');
    await unlockWith(cp, 'not the passphrase at all');
    await cp.getByRole('alert').filter({ hasText: 'not right' }).waitFor({ timeout: 30_000 });
    await unlockWith(cp, PASS_CLIENT);
    await bubble(cp, TEXT.first).waitFor({ timeout: 30_000 });
    await bubble(cp, TEXT.reply).waitFor();
  });

  it('a client on a new device: the therapist sees the new safety number and nothing is sent until confirmed', async ({ relay, tp }) => {
    const link = await inviteAgain(tp);

    const phone = await launchPerson('client-new-device', { baseURL: relay.base });
    try {
      const np = phone.page;
      await joinFromLink(np, link, PASS_CLIENT);
      await send(np, TEXT.newDevice);

      await tp.getByRole('button', { name: 'Back', exact: true }).click();
      await openConversation(tp, LABEL);
      const warning = tp.getByRole('alert').filter({ hasText: 'has a new safety number' });
      await warning.waitFor({ timeout: 60_000 });
      await bubble(tp, TEXT.newDevice).waitFor({ timeout: 30_000 });
      await expectAccessible(tp, 'identity changed');
      await captureScreens(tp, 'identity-changed');
      // Written while the warning stands: kept, not sent.
      await composer(tp).fill(TEXT.welcomeBack);
      expect(await tp.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
      await tp.getByRole('button', { name: 'I have checked: continue' }).click();
      await warning.waitFor({ state: 'detached' });
      await tp.getByRole('button', { name: 'Send' }).click();
      await bubble(np, TEXT.welcomeBack).waitFor({ timeout: 60_000 });
      phone.expectNoErrors([/Failed to load resource/, /WebSocket/]);
    } finally {
      await phone.close();
    }
  });

  it('auto-lock after the chosen idle time hides every message', async ({ tp }) => {
    // A controllable clock from the next load on; the reload locks, as any reload does.
    await tp.clock.install();
    await tp.reload();
    await unlockWith(tp, PASS_THERAPIST);
    // Unlocking returns to where the reload happened: the conversation.
    await bubble(tp, TEXT.first).waitFor({ timeout: 30_000 });
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await tp.getByRole('button', { name: 'Settings' }).click();
    await tp.getByLabel('Lock after inactivity').selectOption('1');
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await openConversation(tp, LABEL);
    await bubble(tp, TEXT.first).waitFor();
    // Two idle minutes pass on the page's clock (every timer due in them fires, in order).
    await tp.clock.runFor('02:00');
    await tp.getByRole('heading', { name: 'Confidant is locked' }).waitFor();
    const html = await tp.content();
    for (const t of Object.values(TEXT)) expect(html).not.toContain(t);
    expect(html).not.toContain(LABEL);
    expect(html).not.toContain(PRACTICE);
  });

  it('leaves no plaintext, name or file name in the relay database, blob folder or log', async ({ relay, therapist, client }) => {
    therapist.expectNoErrors([/Failed to load resource/, /ERR_INTERNET_DISCONNECTED/, /WebSocket/]);
    client.expectNoErrors([/Failed to load resource/, /ERR_INTERNET_DISCONNECTED/, /WebSocket/]);
    const needles = [...Object.values(TEXT), PRACTICE, LABEL, PASS_CLIENT, PASS_THERAPIST, ...Object.values(FILES)];
    // While running (the write-ahead log holds the newest pages), then after a clean stop.
    await expectNoLeaks(relay, needles);
    await relay.stop();
    await expectNoLeaks(relay, needles);
  });
});
