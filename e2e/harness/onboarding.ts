/**
 * The UI steps of setting up and joining that several e2e files share (factored out of
 * story.e2e.ts): minting a registration code with the relay's CLI, the 24-word phrase and its
 * check, and the passphrase pair.
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

/** A one-time registration code from `relay mint-code`, on the relay's own DATA_DIR. */
export async function mintCode(relay: Relay): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'relay', 'cli.ts'), 'mint-code'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: relay.dataDir },
  });
  return stdout.trim();
}

/** Reads the 24 words shown, ticks "written down", and answers the three-word check. */
export async function passPhraseSteps(page: Page): Promise<void> {
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
}

export async function fillPassphrase(page: Page, passphrase: string): Promise<void> {
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Passphrase again').fill(passphrase);
}
