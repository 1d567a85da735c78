/**
 * Short invites (issue 11), in real Chromium against the real relay: the therapist makes an
 * invite, its QR code is read back from the page's pixels (the QR drawn into a canvas in the
 * page, its image data decoded with jsQR here), and the decoded link, opened in the client's
 * browser, joins. A second invite is shown again from the inbox, then withdrawn; the person who
 * opens the withdrawn link is told plainly that it can no longer be used. Module counts of the
 * short link's QR code and of the same invite as a version 1 (whole) link are printed.
 */
import jsQR from 'jsqr';
import type { Page } from 'playwright-core';
import { create } from 'qrcode';
import { describe, expect } from 'vitest';
import { fromBase64url, toBase64url } from '../shared/encoding.ts';
import { encodeInvite } from '../shared/invite.ts';
import { openInvite, readInviteLink } from '../shared/short-invite.ts';
import { expectAccessible } from './harness/axe.ts';
import { launchPerson, PHONE } from './harness/browser.ts';
import { castTest as it, inviteClient, joinFromLink, setUpPractice } from './harness/onboarding.ts';
import { captureScreens } from './harness/screenshots.ts';

const PRACTICE = 'Lakeside Therapy';
const PASS_THERAPIST = 'quiet morning lake therapist passphrase';
const PASS_CLIENT = 'paper boat on a pond client';
const GONE = 'This invite link can no longer be used: your therapist may have withdrawn it, or it has been used or has expired. Ask your therapist for a new link.';

/**
 * The QR code's pixels as the page draws them: the SVG's path filled into a canvas at 8 px per
 * module (white quiet zone included), read back with getImageData.
 */
async function qrPixels(page: Page, within = page.locator('body')): Promise<{ width: number; height: number; data: number[]; modules: number }> {
  return within
    .locator('svg.qr')
    .first()
    .evaluate((svg) => {
      const size = Number(svg.getAttribute('viewBox')!.split(' ')[2]);
      const scale = 8;
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = size * scale;
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.scale(scale, scale);
      ctx.fillStyle = '#000';
      ctx.fill(new Path2D(svg.querySelector('path')!.getAttribute('d')!));
      const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      return { width: image.width, height: image.height, data: Array.from(image.data), modules: size - 8 };
    });
}

function decodeQr(pixels: { width: number; height: number; data: number[] }): string {
  const found = jsQR(Uint8ClampedArray.from(pixels.data), pixels.width, pixels.height);
  if (!found) throw new Error('no QR code found in the page pixels');
  return found.data;
}

let scanned = '';
let withdrawnLink = '';

describe('short invites: scanned from the QR code, shown again, withdrawn', () => {
  it('the therapist invites a client; the QR code on screen holds a link under 100 characters', async ({ relay, tp }) => {
    await setUpPractice(tp, relay, PRACTICE, PASS_THERAPIST);
    const link = await inviteClient(tp, 'A. Wednesday 10am');
    expect(link).toMatch(new RegExp(`^${relay.base}/#/join/2[A-Za-z0-9_-]{43}$`));
    expect(link.length).toBeLessThan(100);
    const pixels = await qrPixels(tp);
    scanned = decodeQr(pixels);
    expect(scanned).toBe(link);

    // The same invite as a version 1 link (the whole invite in the fragment), for comparison.
    const read = await readInviteLink(link.slice(link.indexOf('#/join/') + 7));
    if (read.version !== 2) throw new Error('expected a short link');
    const fetched = (await (await fetch(`${relay.base}/v1/invites/${toBase64url(read.keys.id)}`)).json()) as { body: string };
    const long = `${relay.base}/#/join/${await encodeInvite(await openInvite(read.keys, fromBase64url(fetched.body)))}`;
    const longModules = create(long, { errorCorrectionLevel: 'M' }).modules.size;
    console.log(JSON.stringify({ qr: 'invite', shortLinkChars: link.length, shortModules: pixels.modules, longLinkChars: long.length, longModules }));
    expect(pixels.modules).toBeLessThanOrEqual(41);
    expect(longModules).toBeGreaterThan(2 * pixels.modules);

    await expectAccessible(tp, 'invite: short link and QR code');
    await captureScreens(tp, 'invite');
  });

  it('the client opens the link decoded from the QR image and joins', async ({ cp }) => {
    await joinFromLink(cp, scanned, PASS_CLIENT);
    await cp.getByRole('heading', { name: PRACTICE }).first().waitFor({ timeout: 30_000 });
  });

  it('a pending invite is shown again from the inbox, with its expiry, and its QR code reads back', async ({ tp }) => {
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    withdrawnLink = await inviteClient(tp, 'B. Friday 4pm');
    await tp.getByRole('button', { name: 'Back', exact: true }).click();
    const item = tp.locator('li.pending-invite', { hasText: 'B. Friday 4pm' });
    await item.waitFor();
    expect(await item.textContent()).toMatch(/Expires /);
    await item.getByRole('button', { name: 'Show link and QR code' }).click();
    expect(await item.getByRole('button', { name: 'Hide link' }).getAttribute('aria-expanded')).toBe('true');
    await item.getByRole('img', { name: /QR code of the invite for B\. Friday 4pm/ }).waitFor();
    expect(decodeQr(await qrPixels(tp, item))).toBe(withdrawnLink);
    expect(await item.getByLabel('Invite link').inputValue()).toBe(withdrawnLink);
    await expectAccessible(tp, 'inbox: pending invites');
    await captureScreens(tp, 'pending-invites');
  });

  it('the therapist withdraws it; whoever opens that link is told plainly it can no longer be used', async ({ relay, tp }) => {
    const item = tp.locator('li.pending-invite', { hasText: 'B. Friday 4pm' });
    await item.getByRole('button', { name: 'Withdraw…' }).click();
    await item.getByRole('button', { name: 'Withdraw invite' }).click();
    await item.waitFor({ state: 'detached', timeout: 30_000 });

    const late = await launchPerson('late-client', { baseURL: relay.base, viewport: PHONE });
    try {
      await late.page.goto(withdrawnLink);
      await late.page.getByRole('heading', { name: 'This invite cannot be used' }).waitFor({ timeout: 30_000 });
      expect(await late.page.getByRole('alert').textContent()).toContain(GONE);
      expect(await late.page.getByLabel(/I have read this and I agree/).count()).toBe(0);
      await expectAccessible(late.page, 'join: withdrawn invite');
    } finally {
      await late.close();
    }
  });
});
