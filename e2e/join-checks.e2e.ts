/**
 * Setting up and joining, checked from outside the app (issue 9, items 11 and 17):
 *
 * - An invite link is checked with the relay before the first step of joining: a link whose
 *   check gets no answer says so, with "Try again", never that the invite is bad; a used link
 *   says plainly what to do at once, before the consent text.
 * - What the therapist typed (the practice name, an invite's label, the passphrase, the
 *   registration code) is not left in the browser's own files: set up in a fresh profile,
 *   invite, lock, quit Chromium cleanly, then search every file of the closed profile folder
 *   for it (e2e/harness/leaks.ts, as the relay's data folder is searched). Headless Chromium
 *   needs no special step to show the problem: before the fix this step found the practice name
 *   in `Default/Web Data` (form history, table `autofill`, saved on the app's script-handled
 *   submit) and in `Default/Sessions/` (the page's form state kept for session restore, UTF-16),
 *   the registration code in `Default/Login Data` (table `stats`: the password manager's
 *   would-be username for a passphrase it was not asked to save; with the code field marked
 *   `one-time-code` the practice name took its place there, and the code went into
 *   `Sessions/`), and the invite link, secret and capability included, in `Sessions/` (a
 *   read-only textarea's value is form state too).
 *
 * The steps run in order and share state (the people and the invite link).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64url, toBase64url } from '../shared/encoding.ts';
import { openInvite, readInviteLink } from '../shared/short-invite.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret } from '../shared/keys.ts';
import { signRequest } from '../shared/request-auth.ts';
import { expectAccessible } from './harness/axe.ts';
import { DESKTOP, launchPerson, PHONE, type Person } from './harness/browser.ts';
import { filesUnder, scanForLeaks } from './harness/leaks.ts';
import { inviteClient, setUpPractice } from './harness/onboarding.ts';
import { requireBuiltClient, startRelay, type Relay } from './harness/relay.ts';

/** Random per run, so a hit can only come from this run's typing. */
const tag = () => randomBytes(6).toString('hex');
const PRACTICE = `Practice Quillfeather ${tag()}`;
const LABEL = `Client Marrowbank ${tag()}`;
const PASS_THERAPIST = `therapist passphrase ${tag()}`;
/** A used short link's body is gone from the relay: said in the words for withdrawn, used or expired (onboarding's INVITE_GONE). */
const USED_MESSAGE = 'This invite link can no longer be used: your therapist may have withdrawn it, or it has been used or has expired. Ask your therapist for a new link.';

let relay: Relay;
let therapist: Person;
let code = '';
let inviteLink = '';
const others: Person[] = [];

/** Someone registers with the link's invite, from outside the browser: the link is now used. */
async function useInvite(link: string): Promise<void> {
  const read = await readInviteLink(decodeURIComponent(link.slice(link.indexOf('#/join/') + '#/join/'.length)));
  if (read.version !== 2) throw new Error('expected a short invite link');
  const fetched = (await (await fetch(`${relay.base}/v1/invites/${toBase64url(read.keys.id)}`)).json()) as { body: string };
  const invite = await openInvite(read.keys, fromBase64url(fetched.body));
  const identity = await deriveIdentity(generateRootSecret());
  const path = '/v1/accounts/client';
  const body = new TextEncoder().encode(JSON.stringify({ identity: toBase64url(encodePublicIdentity(identity.publicIdentity)), invite: toBase64url(invite.secret) }));
  const res = await fetch(relay.base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await signRequest(identity, { method: 'POST', path, body })) },
    body,
  });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  requireBuiltClient();
  relay = await startRelay();
  therapist = await launchPerson('therapist', { baseURL: relay.base, viewport: DESKTOP });
});

afterAll(async () => {
  for (const p of others) await p.close();
  await therapist?.close();
  await relay?.dispose();
});

describe('setting up and joining, seen from outside the app', () => {
  it('the therapist sets up a practice (random name) and invites a client (random label)', async () => {
    const tp = therapist.page;
    ({ code } = await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST));
    inviteLink = await inviteClient(tp, LABEL);
    expect(inviteLink).toMatch(/#\/join\//);
  });

  it('an invite that cannot be checked (no answer) says so, with Try again, never that it is bad, and asks again once back online', async () => {
    const client = await launchPerson('client-offline', { baseURL: relay.base, viewport: PHONE });
    others.push(client);
    const cp = client.page;
    const check = '**/v1/invites/check';
    let cut = 0;
    await cp.route(check, (route) => {
      cut++;
      return route.abort('internetdisconnected');
    });
    await cp.goto(inviteLink);
    const couldNot = cp.getByRole('heading', { name: 'Your invite could not be checked' });
    await couldNot.waitFor({ timeout: 30_000 });
    expect(await cp.getByRole('alert').textContent()).toContain('cannot be reached');
    expect(await cp.getByText(USED_MESSAGE).count()).toBe(0);
    expect(await cp.getByLabel(/I have read this and I agree/).count()).toBe(0);
    await expectAccessible(cp, 'join: invite not checked');

    // "Try again" asks again; still no answer, still said as such.
    await cp.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => cut, { timeout: 30_000 }).toBe(2);
    await couldNot.waitFor();
    expect(await cp.getByText(USED_MESSAGE).count()).toBe(0);

    // The connection returns (the browser's online event): it asks by itself, and the invite is good.
    await cp.unroute(check);
    await client.setOffline(true);
    await client.setOffline(false);
    await cp.getByRole('heading', { name: `Join ${PRACTICE}` }).waitFor({ timeout: 30_000 });
    await cp.getByLabel(/I have read this and I agree/).waitFor();
    client.expectNoErrors([/Failed to load resource/, /ERR_INTERNET_DISCONNECTED/]);
  });

  it('a used invite link says plainly what to do at once, before the consent text', async () => {
    await useInvite(inviteLink);
    const client = await launchPerson('client-late', { baseURL: relay.base, viewport: PHONE });
    others.push(client);
    const cp = client.page;
    await cp.goto(inviteLink);
    await cp.getByRole('heading', { name: 'This invite cannot be used' }).waitFor({ timeout: 30_000 });
    expect(await cp.getByRole('alert').textContent()).toBe(USED_MESSAGE);
    // Nothing of the joining steps was shown: no consent, no emergency notice, no phrase.
    expect(await cp.getByLabel(/I have read this and I agree/).count()).toBe(0);
    expect(await cp.getByRole('note').count()).toBe(0);
    expect(await cp.locator('ol.phrase').count()).toBe(0);
    await expectAccessible(cp, 'join: invite used');
    // Opening the short link's body was one request, answered 404 by the relay (the body goes
    // when the invite is used); nothing was registered.
    const fetches = relay.requestLog().filter((l) => l['route'] === '/v1/invites/:id');
    expect(fetches.map((l) => l['status'])).toContain(404);
    client.expectNoErrors([/Failed to load resource/]);
  });

  it("after locking and quitting, the therapist's profile folder holds nothing the therapist typed", async () => {
    const tp = therapist.page;
    await tp.getByRole('button', { name: 'Lock Confidant' }).click();
    await tp.getByRole('heading', { name: 'Confidant is locked' }).waitFor();
    await therapist.closeBrowser();
    const files = await filesUnder(therapist.userDataDir);
    expect(files.length).toBeGreaterThan(0);
    const hits = await scanForLeaks([therapist.userDataDir], [PRACTICE, LABEL, PASS_THERAPIST, code, inviteLink.slice(inviteLink.indexOf('#/join/') + 7)]);
    const where = hits.map((h) => `${JSON.stringify(h.needle)} as ${h.encoding} in ${h.file.slice(therapist.userDataDir.length)} at byte ${h.offset}`);
    expect(where).toEqual([]);
  });
});
