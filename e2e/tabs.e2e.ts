/**
 * One therapist, two unlocked tabs (issue 9, item 0), the way it was found: both tabs of one
 * profile receive the client's messages (and send "delivered" and "read" receipts) while both
 * send messages of their own, round after round, in real Chromium against the real relay.
 * Every envelope the therapist's tabs send is captured on the way out and opened in Node with
 * the client's keys (re-derived from the recovery phrase the client was shown): no (ratchet
 * key, counter) may carry two envelopes, the relay refuses nothing (no 409), no message reads
 * "Not delivered", and every message shows once on the other side.
 */
import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import type { Identity } from '../shared/keys.ts';
import { chainPosition } from '../test-support/chain-position.ts';
import { bubble, castTest as it, composer, identityOf, inviteClient, joinFromLink, openConversation, send, setUpPractice, unlockWith } from './harness/onboarding.ts';

const PASS_THERAPIST = 'two tabs open all afternoon therapist';
const PASS_CLIENT = 'lantern harbour evening walk client';
const LABEL = 'R. Thursdays Okonkwo';
const ROUNDS = 4;

/** The therapist's second tab (the first is the fixture `tp`, here `tab1`). */
let tab2: Page;
let clientIdentity: Identity;
const envelopes: Buffer[] = [];
const statuses: number[] = [];

/** Every sent envelope's position in its sending chain, opened with the client's keys. */
async function chainPositions(): Promise<string[]> {
  return Promise.all(envelopes.map((envelope) => chainPosition(clientIdentity, envelope)));
}

describe('a therapist working in two tabs at once', () => {
  it('sets up a practice and a client, then opens and unlocks a second tab', async ({ relay, therapist, tp: tab1, cp }) => {
    await setUpPractice(tab1, relay, 'Two Tabs Practice', PASS_THERAPIST);
    const link = await inviteClient(tab1, LABEL);
    const words = await joinFromLink(cp, link, PASS_CLIENT);
    clientIdentity = await identityOf(words);
    await send(cp, 'Hello from Okonkwo');
    await tab1.getByRole('button', { name: 'Back', exact: true }).click();
    await openConversation(tab1, LABEL);
    await bubble(tab1, 'Hello from Okonkwo').waitFor({ timeout: 30_000 });

    // From here on, every envelope either tab posts is kept (and passed on unchanged).
    await therapist.context.route('**/v1/messages', async (route) => {
      const body = route.request().postDataBuffer();
      if (route.request().method() === 'POST' && body) envelopes.push(body);
      await route.continue();
    });
    therapist.context.on('response', (res) => {
      if (res.request().method() === 'POST' && new URL(res.url()).pathname === '/v1/messages') statuses.push(res.status());
    });

    tab2 = await therapist.context.newPage();
    await tab2.goto(tab1.url());
    await unlockWith(tab2, PASS_THERAPIST);
    await bubble(tab2, 'Hello from Okonkwo').waitFor({ timeout: 30_000 });
  });

  it('both tabs receive and send at once, round after round: one envelope per message key, nothing refused or lost', async ({ therapist, client, tp: tab1, cp }) => {
    const mine: string[] = [];
    const theirs: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const fromClient = [0, 1].map((i) => `Okonkwo round ${round} note ${i}`);
      const fromTabs = [1, 2].map((t) => `Therapist tab ${t} round ${round}`);
      theirs.push(...fromClient);
      mine.push(...fromTabs);
      for (const text of fromClient) await send(cp, text);
      // Both tabs hear the client's messages (live notice) while each sends its own.
      await Promise.all([send(tab1, fromTabs[0]!), send(tab2, fromTabs[1]!)]);
      for (const text of [...fromClient, ...fromTabs]) {
        await bubble(tab1, text).waitFor({ timeout: 30_000 });
        await bubble(tab2, text).waitFor({ timeout: 30_000 });
      }
      for (const text of fromTabs) await bubble(cp, text).waitFor({ timeout: 30_000 });
    }
    // The client's last messages read in both tabs: their receipts go out too.
    for (const text of theirs) await bubble(cp, text).filter({ hasText: 'Read' }).waitFor({ timeout: 30_000 });
    for (const text of mine) await bubble(tab1, text).filter({ hasText: /Delivered|Read/ }).waitFor({ timeout: 30_000 });

    const positions = await chainPositions();
    expect(positions.length).toBeGreaterThanOrEqual(mine.length);
    expect(new Set(positions).size).toBe(positions.length);
    expect(statuses.filter((s) => s !== 201 && s !== 200)).toEqual([]);
    for (const page of [tab1, tab2]) expect(await page.locator('li.message', { hasText: 'Not delivered' }).count()).toBe(0);
    for (const text of mine) expect(await bubble(cp, text).count()).toBe(1);
    for (const text of theirs) {
      expect(await bubble(tab1, text).count()).toBe(1);
      expect(await bubble(tab2, text).count()).toBe(1);
    }
    therapist.expectNoErrors([/Failed to load resource/, /WebSocket/]);
    client.expectNoErrors([/Failed to load resource/, /WebSocket/]);
  });

  it('typing on while the other tab keeps the vault busy: the new text stays once the first message is saved', async ({ tp: tab1, cp }) => {
    // The second tab holds the vault's records in a write transaction for 1.5 s, as another
    // tab's write can; the first tab's send waits for it while the person types on.
    const busy = tab2.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('confidant-vault');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const tx = open.result.transaction('records', 'readwrite');
            const records = tx.objectStore('records');
            const until = Date.now() + 1500;
            const spin = (): void => {
              if (Date.now() < until) records.count().onsuccess = spin;
            };
            spin();
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await send(tab1, 'Sent while the vault was busy');
    await composer(tab1).fill('Typed on meanwhile');
    await busy;
    // "Delivered" comes back from the client well after the send finished in this tab.
    await bubble(tab1, 'Sent while the vault was busy').filter({ hasText: /Delivered|Read/ }).waitFor({ timeout: 30_000 });
    expect(await composer(tab1).inputValue()).toBe('Typed on meanwhile');
    await tab1.getByRole('button', { name: 'Send' }).click();
    await bubble(cp, 'Typed on meanwhile').waitFor({ timeout: 30_000 });
    expect(await composer(tab1).inputValue()).toBe('');
  });
});
