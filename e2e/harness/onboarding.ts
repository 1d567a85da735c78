/**
 * The onboarding steps as a person takes them through the UI, for every end-to-end file that
 * needs a therapist and a client before its own story starts: the operator's registration
 * code, the 24 words and their check, a passphrase, an invite, joining from its link.
 * @module
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from './paths.ts';
import type { Relay } from './relay.ts';

const run = promisify(execFile);

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

export async function fillPassphrase(page: Page, passphrase: string): Promise<void> {
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Passphrase again').fill(passphrase);
}

/** A therapist sets up `practice` with a fresh code; ends on the inbox. */
export async function setUpPractice(page: Page, relay: Relay, practice: string, passphrase: string): Promise<void> {
  const code = await mintCode(relay);
  await page.goto('/');
  await page.getByRole('link', { name: /set up my practice/ }).click();
  await passPhraseSteps(page);
  await page.getByLabel('Practice name').fill(practice);
  await page.getByLabel('Registration code').fill(code);
  await fillPassphrase(page, passphrase);
  await page.getByRole('button', { name: 'Create my practice' }).click();
  await page.getByRole('heading', { name: 'Conversations' }).waitFor({ timeout: 60_000 });
}

/** From the inbox: an invite for `label`; returns its link. */
export async function inviteClient(page: Page, label: string): Promise<string> {
  await page.getByRole('button', { name: 'Invite a client' }).click();
  await page.getByLabel('Who is this invite for?').fill(label);
  await page.getByRole('button', { name: 'Create invite' }).click();
  await page.getByRole('img', { name: /QR code of the invite/ }).waitFor();
  return page.getByLabel('Invite link').inputValue();
}

/** A client joins from `link`; ends in the conversation. Returns the recovery phrase's words. */
export async function joinFromLink(page: Page, link: string, passphrase: string): Promise<string[]> {
  await page.goto(link);
  await page.getByLabel(/I have read this and I agree/).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  const words = await passPhraseSteps(page);
  await fillPassphrase(page, passphrase);
  await page.getByRole('button', { name: 'Start messaging' }).click();
  await page.getByLabel('Message', { exact: true }).waitFor({ timeout: 60_000 });
  return words;
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
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}
