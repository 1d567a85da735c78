/**
 * The security log, as a therapist uses it (issue 12, "Audit log"): set up, lock, type a wrong
 * passphrase twice, unlock, change a setting; the log screen lists those events; "Check the log"
 * says it checks out; "Export the log" saves a JSON file and a readable report. The JSON is then
 * checked outside the browser by `npm run audit:verify` (accepted) and, edited, refused with the
 * bad entry named. The export is kept as docs/examples/audit-export.json (tools/audit-verify.test.ts
 * checks that file on every run), like the screenshots: a real file made by the app.
 *
 * The steps run in order and share the therapist's browser.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditExport } from '../shared/audit.ts';
import { expectAccessible } from './harness/axe.ts';
import { DESKTOP, launchPerson, type Person } from './harness/browser.ts';
import { setUpPractice, unlockWith } from './harness/onboarding.ts';
import { REPO_ROOT } from './harness/paths.ts';
import { requireBuiltClient, startRelay, type Relay } from './harness/relay.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Harbour Lane Counselling';
const PASSPHRASE = 'harbour lane passphrase for the log';
const run = promisify(execFile);

let relay: Relay;
let therapist: Person;
let dir: string;
let exported = '';

async function auditVerify(file: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'tools', 'audit-verify.ts'), file], { cwd: REPO_ROOT });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

beforeAll(async () => {
  requireBuiltClient();
  relay = await startRelay();
  therapist = await launchPerson('therapist', { baseURL: relay.base, viewport: DESKTOP });
  dir = await mkdtemp(join(tmpdir(), 'confidant-audit-e2e-'));
});

afterAll(async () => {
  await therapist?.close();
  await relay?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('the security log', () => {
  it('records unlocks, wrong passphrases, locks and setting changes', async () => {
    const page = therapist.page;
    await setUpPractice(page, relay, PRACTICE, PASSPHRASE);
    await page.getByRole('button', { name: 'Lock Confidant' }).click();
    for (const attempt of ['not the passphrase', 'still not it']) {
      await page.getByLabel('Passphrase').fill(attempt);
      await page.getByRole('button', { name: 'Unlock' }).click();
      await page.getByText('That passphrase is not right.').waitFor({ timeout: 60_000 });
    }
    await unlockWith(page, PASSPHRASE);
    await page.getByRole('heading', { name: 'Conversations' }).waitFor({ timeout: 60_000 });

    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Lock after inactivity').selectOption('15');
    await page.getByRole('link', { name: 'Open the security log' }).click();
    const list = page.getByRole('list', { name: /entries/ });
    await list.waitFor();
    // Newest first.
    await expect.poll(async () => (await list.getByRole('listitem').allInnerTexts()).map((t) => t.split('\n')[0]), { timeout: 30_000 }).toEqual([
      'Setting changed',
      'Unlocked',
      'Wrong passphrase entered',
      'Locked',
      'Security log started',
    ]);
    await expect(list.getByRole('listitem').nth(2).innerText()).resolves.toContain('attempts: 2');
    await expect(list.getByRole('listitem').nth(0).innerText()).resolves.toContain('value: 15');
  });

  it('checks the log on the device', async () => {
    const page = therapist.page;
    await page.getByRole('button', { name: 'Check the log' }).click();
    await page.getByText('The log checks out: all 5 entries are signed by this device and in order.').waitFor({ timeout: 30_000 });
    await expectAccessible(page, 'security log');
    await captureScreens(page, 'security-log');
  });

  it('exports a JSON file and a readable report, and the export is recorded', async () => {
    const page = therapist.page;
    const saved = (ending: string) => page.waitForEvent('download', { predicate: (d) => d.suggestedFilename().endsWith(ending) });
    const [json, report] = await Promise.all([saved('.json'), saved('.txt'), page.getByRole('button', { name: 'Export the log' }).click()]);
    expect(json.suggestedFilename()).toMatch(/^confidant-security-log-\d{4}-\d{2}-\d{2}\.json$/);
    expect(report.suggestedFilename()).toMatch(/^confidant-security-log-\d{4}-\d{2}-\d{2}-report\.txt$/);
    exported = join(dir, 'export.json');
    await json.saveAs(exported);
    const text = await readFile(exported, 'utf8');
    const reportText = await readFile((await report.path())!, 'utf8');
    await page.getByText('Saved 6 entries and a readable report. The file verified before saving.').waitFor({ timeout: 30_000 });

    const file = JSON.parse(text);
    expect(file.entries.map((e: { type: string }) => e.type)).toEqual(['log_started', 'lock', 'unlock_failed', 'unlock', 'settings_changed', 'audit_exported']);
    expect(await verifyAuditExport(file)).toMatchObject({ ok: true, count: 6 });
    expect(reportText).toContain('Result: VERIFIED.');
    expect(reportText).toMatch(/#2 {2}\S+ {2}Wrong passphrase entered {2}\(attempts=2 /);
    // Nothing the therapist typed leaves in it.
    for (const typed of [PRACTICE, PASSPHRASE, 'not the passphrase']) {
      expect(text).not.toContain(typed);
      expect(reportText).not.toContain(typed);
    }
    await mkdir(join(REPO_ROOT, 'docs', 'examples'), { recursive: true });
    await writeFile(join(REPO_ROOT, 'docs', 'examples', 'audit-export.json'), text);
  });

  it('the standalone verifier accepts the export and refuses it edited', async () => {
    const ok = await auditVerify(exported);
    expect(ok.stdout).toMatch(/^OK: the log verifies \(6 entries, /);
    expect(ok.code).toBe(0);

    const file = JSON.parse(await readFile(exported, 'utf8'));
    file.entries[2].details.attempts = 0; // hide the wrong passphrases
    const edited = join(dir, 'edited.json');
    await writeFile(edited, JSON.stringify(file));
    const bad = await auditVerify(edited);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^NOT VERIFIED: first bad entry is number 2 \(unlock_failed at /);
  });
});
