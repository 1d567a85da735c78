/**
 * A therapist's record outlives their device (issue 12, "Nothing lost with a device"): back up to
 * a file, go on messaging (five more each way), lose the browser profile, restore the file into
 * a fresh profile with the 24 words, and then messages flow both ways again, the history up to
 * the backup is there, and the gap after it is said in the conversation, not silent.
 *
 * The steps run in order and share the people.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { DESKTOP, launchPerson, PHONE, type Person } from './harness/browser.ts';
import { bubble, composer, inviteClient, joinFromLink, openConversation, send, setUpPractice } from './harness/onboarding.ts';
import { requireBuiltClient, startRelay, type Relay } from './harness/relay.ts';
import { captureScreens } from './harness/screenshots.ts';
import { expectNoLeaks } from './harness/leaks.ts';

const PRACTICE = 'Saltmarsh Therapy';
const LABEL = 'R. Thursdays';
const PASS_THERAPIST = 'saltmarsh therapist passphrase';
const PASS_NEW_DEVICE = 'a new passphrase for the new laptop';
const PASS_CLIENT = 'client phone passphrase here';

let relay: Relay;
let therapist: Person;
let client: Person;
let words: string[] = [];
let dir: string;
let backupFile = '';

beforeAll(async () => {
  requireBuiltClient();
  relay = await startRelay();
  therapist = await launchPerson('therapist', { baseURL: relay.base, viewport: DESKTOP });
  client = await launchPerson('client', { baseURL: relay.base, viewport: PHONE });
  dir = await mkdtemp(join(tmpdir(), 'confidant-backup-e2e-'));
});

afterAll(async () => {
  await therapist?.close();
  await client?.close();
  await relay?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const exchange = async (from: Person, text: string, to: Person) => {
  await send(from.page, text);
  await bubble(to.page, text).waitFor({ timeout: 60_000 });
};

describe('backup and restore', () => {
  it('a therapist and a client message each other, and the therapist saves an encrypted backup', async () => {
    const tp = therapist.page;
    ({ words } = await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST));
    const link = await inviteClient(tp, LABEL);
    await joinFromLink(client.page, link, PASS_CLIENT);
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    await openConversation(tp, LABEL);
    await exchange(client, 'before the backup, from the client', therapist);
    await exchange(therapist, 'before the backup, from the therapist', client);

    await tp.getByRole('button', { name: 'Settings' }).first().click();
    await tp.getByRole('heading', { name: 'Backup' }).waitFor();
    const [download] = await Promise.all([tp.waitForEvent('download', { timeout: 120_000 }), tp.getByRole('button', { name: 'Save an encrypted backup' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^confidant-backup-\d{4}-\d{2}-\d{2}\.confidant$/);
    backupFile = join(dir, download.suggestedFilename());
    await download.saveAs(backupFile);
    await tp.getByText(/^Saved confidant-backup-.* Keep it somewhere safe/).waitFor({ timeout: 60_000 });
    expect((await stat(backupFile)).size).toBeGreaterThan(4096);
    // Nothing readable in it: not the practice, the label, a message, or a passphrase.
    const bytes = await readFile(backupFile, 'latin1');
    for (const needle of [PRACTICE, LABEL, 'before the backup', PASS_THERAPIST, 'conversations']) expect(bytes).not.toContain(needle);
    await expectAccessible(tp, 'settings with backup');
    await captureScreens(tp, 'settings-backup');
  });

  it('they go on writing after the backup: five messages each way', async () => {
    const tp = therapist.page;
    await tp.getByRole('button', { name: 'Back', exact: true }).first().click();
    await openConversation(tp, LABEL);
    for (let i = 1; i <= 5; i++) {
      await exchange(client, `after the backup ${i}, from the client`, therapist);
      await exchange(therapist, `after the backup ${i}, from the therapist`, client);
    }
  });

  it('the laptop is lost; on a fresh browser profile the backup and the 24 words bring the practice back', async () => {
    await therapist.close();
    therapist = await launchPerson('therapist-new', { baseURL: relay.base, viewport: DESKTOP });
    const tp = therapist.page;
    await tp.goto('/');
    await tp.getByRole('link', { name: 'Restore from a backup' }).click();
    await tp.getByRole('heading', { name: 'Restore from a backup' }).waitFor();
    await expectAccessible(tp, 'restore screen');
    await captureScreens(tp, 'restore');
    await tp.getByLabel('Backup file').setInputFiles(backupFile);
    await tp.getByLabel('Your 24-word recovery phrase').fill(words.join(' '));
    await tp.getByLabel('Passphrase', { exact: true }).fill(PASS_NEW_DEVICE);
    await tp.getByLabel('Passphrase again').fill(PASS_NEW_DEVICE);
    await tp.getByRole('button', { name: 'Restore' }).click();
    await tp.getByRole('heading', { name: 'Conversations' }).waitFor({ timeout: 120_000 });
    await openConversation(tp, LABEL);
    // The history up to the backup, then the gap, said.
    await bubble(tp, 'before the backup, from the client').waitFor({ timeout: 60_000 });
    await bubble(tp, 'before the backup, from the therapist').waitFor();
    await tp.getByText(/This device was restored from a backup made .*Messages sent or received on the old device after that are not on this device\./).waitFor({ timeout: 60_000 });
    await expect(bubble(tp, 'after the backup 5, from the therapist').count()).resolves.toBe(0);
  });

  it('messages flow both ways again, with no safety-number alarm on either side', async () => {
    const tp = therapist.page;
    await exchange(client, 'after the restore, from the client', therapist);
    await composer(tp).waitFor();
    await exchange(therapist, 'after the restore, from the therapist', client);
    await exchange(client, 'and once more, from the client', therapist);
    for (const page of [tp, client.page]) await expect(page.getByText(/safety number (has )?changed|new safety number/i).count()).resolves.toBe(0);
    await expectNoLeaks(relay, ['after the restore', 'before the backup', LABEL, PRACTICE]);
  });
});
