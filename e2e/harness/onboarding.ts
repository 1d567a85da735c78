/**
 * The steps as a person takes them through the UI, for every end-to-end file that needs a
 * therapist and a client before its own story starts: the relay and the two browsers, the
 * operator's registration code, the 24 words and their check, a passphrase, an invite, joining
 * from its link, opening a conversation, unlocking, sending. A file that checks something in
 * the middle of a step (a screenshot of the first screen, a network cut before "Start
 * messaging") takes the smaller steps the whole ones are made of.
 * @module
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { deriveIdentity, phraseToRootSecret, type Identity } from '../../shared/keys.ts';
import { DESKTOP, launchPerson, PHONE, type Person, type Viewport } from './browser.ts';
import { REPO_ROOT } from './paths.ts';
import { requireBuiltClient, startRelay, type Relay } from './relay.ts';

const run = promisify(execFile);

/** The relay and the two people of a story. */
export interface Cast {
  readonly relay: Relay;
  readonly therapist: Person;
  readonly client: Person;
  /** Closes both browsers (deleting their profiles) and disposes of the relay. Idempotent. */
  close(): Promise<void>;
}

/** A fresh relay serving the built client; on it, a therapist at a laptop and a client on a phone. */
export async function startCast(): Promise<Cast> {
  requireBuiltClient();
  const relay = await startRelay();
  const launched: Person[] = [];
  const close = async () => {
    for (const person of launched) await person.close();
    await relay.dispose();
  };
  try {
    const launch = async (name: string, viewport: Viewport) => {
      const person = await launchPerson(name, { baseURL: relay.base, viewport });
      launched.push(person);
      return person;
    };
    const therapist = await launch('therapist', DESKTOP);
    const client = await launch('client', PHONE);
    return { relay, therapist, client, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * `it` for a story file: a test asks for the people it needs (`async ({ relay, tp, cp }) => …`),
 * vitest file-scoped fixtures over one cast for the whole file, started for the first test that
 * asks and closed after the file's last test. `tp` and `cp` are the therapist's and the client's
 * first tabs.
 */
export const castTest = test
  .extend('cast', { scope: 'file' }, async ({}, { onCleanup }) => {
    const cast = await startCast();
    onCleanup(() => cast.close());
    return cast;
  })
  .extend('relay', { scope: 'file' }, ({ cast }) => cast.relay)
  .extend('therapist', { scope: 'file' }, ({ cast }) => cast.therapist)
  .extend('client', { scope: 'file' }, ({ cast }) => cast.client)
  .extend('tp', { scope: 'file' }, ({ cast }) => cast.therapist.page)
  .extend('cp', { scope: 'file' }, ({ cast }) => cast.client.page);

/** A one-time registration code, minted by the operator's CLI against the relay's DATA_DIR. */
export async function mintCode(relay: Relay): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'relay', 'cli.ts'), 'mint-code'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: relay.dataDir },
  });
  return stdout.trim();
}

/** Reads the 24 words shown, ticks "written down", answers the three-word check; returns the words. */
export async function passPhraseSteps(page: Page): Promise<string[]> {
  await page.locator('ol.phrase li').first().waitFor({ timeout: 30_000 });
  const words = await page.locator('ol.phrase li').allTextContents();
  expect(words).toHaveLength(24);
  await page.getByLabel('I have written down all 24 words.').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  for (const label of await page.locator('form label[for^="word-"]').allTextContents()) {
    const n = Number(label.replace(/\D/g, ''));
    await page.getByLabel(label, { exact: true }).fill(words[n - 1]!);
  }
  await page.getByRole('button', { name: 'Confirm' }).click();
  return words;
}

/** The identity a device derives from the recovery phrase it showed (to open what it was sent). */
export function identityOf(words: readonly string[]): Promise<Identity> {
  return deriveIdentity(phraseToRootSecret(words.map((w) => w.trim()).join(' ')));
}

export async function fillPassphrase(page: Page, passphrase: string): Promise<void> {
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Passphrase again').fill(passphrase);
}

/** The setup form after the phrase steps: practice name, code, passphrase twice, "Create my practice". */
export async function submitPractice(page: Page, practice: string, code: string, passphrase: string): Promise<void> {
  await page.getByLabel('Practice name').fill(practice);
  await page.getByLabel('Registration code').fill(code);
  await fillPassphrase(page, passphrase);
  await page.getByRole('button', { name: 'Create my practice' }).click();
}

export interface SetUpOptions {
  /** Runs once the setup screen is open, before the phrase steps (an accessibility check, screenshots). */
  readonly onSetupScreen?: (page: Page) => Promise<void>;
}

/** What setting up used and showed: the registration code and the therapist's 24 words. */
export interface SetUp {
  readonly code: string;
  readonly words: string[];
}

/** A therapist sets up `practice` with a fresh code, from the first screen; ends on the inbox. */
export async function setUpPractice(page: Page, relay: Relay, practice: string, passphrase: string, options: SetUpOptions = {}): Promise<SetUp> {
  const code = await mintCode(relay);
  await page.goto('/');
  await page.getByRole('link', { name: /set up my practice/ }).click();
  await options.onSetupScreen?.(page);
  const words = await passPhraseSteps(page);
  await submitPractice(page, practice, code, passphrase);
  await page.getByRole('heading', { name: 'Conversations' }).waitFor({ timeout: 60_000 });
  return { code, words };
}

/** On the invite form: "Create invite"; returns the link once its QR code shows. */
async function createInvite(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Create invite' }).click();
  await page.getByRole('img', { name: /QR code of the invite/ }).waitFor();
  return page.getByLabel('Invite link').inputValue();
}

/** From the inbox: an invite for `label`; returns its link. */
export async function inviteClient(page: Page, label: string): Promise<string> {
  await page.getByRole('button', { name: 'Invite a client' }).click();
  await page.getByLabel('Who is this invite for?').fill(label);
  return createInvite(page);
}

/** From an open conversation: "Safety number", then a new invite for the same client (a new device); returns its link. */
export async function inviteAgain(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Safety number' }).click();
  await page.getByRole('button', { name: /Invite .* again/ }).click();
  return createInvite(page);
}

/** On the join screen: agrees, takes the phrase steps, types the passphrase; stops before "Start messaging". Returns the words. */
export async function agreeAndChoosePassphrase(page: Page, passphrase: string): Promise<string[]> {
  await page.getByLabel(/I have read this and I agree/).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  const words = await passPhraseSteps(page);
  await fillPassphrase(page, passphrase);
  return words;
}

/** The message field of the open conversation. */
export const composer = (page: Page) => page.getByLabel('Message', { exact: true });

/** "Start messaging"; ends in the conversation. */
export async function startMessaging(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Start messaging' }).click();
  await composer(page).waitFor({ timeout: 60_000 });
}

/** A client joins from `link`; ends in the conversation. Returns the recovery phrase's words. */
export async function joinFromLink(page: Page, link: string, passphrase: string): Promise<string[]> {
  await page.goto(link);
  const words = await agreeAndChoosePassphrase(page, passphrase);
  await startMessaging(page);
  return words;
}

/** From the inbox: waits for the conversation listed under `label` and opens it. */
export async function openConversation(page: Page, label: string): Promise<void> {
  const row = page.getByRole('link', { name: new RegExp(label) });
  await row.waitFor({ timeout: 60_000 });
  await row.click();
}

/** Unlocks a locked tab with `passphrase`. */
export async function unlockWith(page: Page, passphrase: string): Promise<void> {
  await page.getByRole('heading', { name: 'Confidant is locked' }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/** A message bubble in the conversation. */
export const bubble = (page: Page, text: string) => page.locator('li.message', { hasText: text });

/** Types and sends `text` in the open conversation. */
export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/**
 * The opening of a two-person file: the therapist sets up `practice` and invites `label`, the
 * client joins from the link, and the therapist opens the conversation once the client's hello
 * arrived (both end in the conversation).
 */
export async function setUpAndJoin(
  relay: Relay,
  tp: Page,
  cp: Page,
  names: { practice: string; label: string; therapistPassphrase: string; clientPassphrase: string },
): Promise<void> {
  await setUpPractice(tp, relay, names.practice, names.therapistPassphrase);
  const link = await inviteClient(tp, names.label);
  await joinFromLink(cp, link, names.clientPassphrase);
  await tp.getByRole('button', { name: 'Back', exact: true }).click();
  await openConversation(tp, names.label);
  await composer(tp).waitFor();
}
