/**
 * The app shell, end to end: `npm run build` served by the real relay to headless Chromium.
 * It loads under the relay's strict security headers with no console error or CSP violation,
 * its service worker takes control, it opens again with the network off, Chromium finds it
 * installable, axe finds nothing serious on the first screen (light and dark), and the first
 * screen is photographed for the docs.
 *
 * The steps share one browser profile and run in order: the offline steps need the service
 * worker the earlier step installed.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from './harness/axe.ts';
import { launchPerson, waitForServiceWorkerControl, type Person } from './harness/browser.ts';
import { requireBuiltClient, startRelay, type Relay } from './harness/relay.ts';
import { captureScreens } from './harness/screenshots.ts';

let relay: Relay;
let client: Person;

beforeAll(async () => {
  requireBuiltClient();
  relay = await startRelay();
  client = await launchPerson('client', { baseURL: relay.base });
});

afterAll(async () => {
  await client?.close();
  await relay?.dispose();
});

/** CSP header → directive name → its source list. */
function parseCsp(header: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), values);
  }
  return out;
}

/** The strict headers every response from the relay carries (relay/middleware/security-headers.ts). */
function expectSecurityHeaders(headers: Headers, what: string): void {
  const csp = headers.get('content-security-policy');
  expect(csp, `${what}: Content-Security-Policy`).toBeTruthy();
  const policy = parseCsp(csp!);
  expect(csp, what).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|wasm-unsafe-eval|\*/);
  expect(policy.get('script-src'), `${what}: script-src`).toEqual(["'self'"]);
  expect(policy.get('frame-ancestors'), `${what}: frame-ancestors`).toEqual(["'none'"]);
  expect(policy.get('object-src'), `${what}: object-src`).toEqual(["'none'"]);
  expect(policy.get('base-uri'), `${what}: base-uri`).toEqual(["'none'"]);
  expect(headers.get('referrer-policy'), `${what}: Referrer-Policy`).toBe('no-referrer');
  expect(headers.get('x-content-type-options'), `${what}: X-Content-Type-Options`).toBe('nosniff');
  expect(headers.get('cross-origin-opener-policy'), `${what}: Cross-Origin-Opener-Policy`).toBe('same-origin');
  const permissions = headers.get('permissions-policy');
  expect(permissions, `${what}: Permissions-Policy`).toBeTruthy();
  for (const feature of ['camera', 'microphone', 'geolocation']) {
    expect(permissions, `${what}: Permissions-Policy ${feature}`).toContain(`${feature}=()`);
  }
}

const firstHeading = (page: Page) => page.getByRole('heading', { level: 1 });

describe('the app shell served by the relay', () => {
  it('is served with strict security headers on the page, its script, the service worker and the manifest', async () => {
    const page = await fetch(`${relay.base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expectSecurityHeaders(page.headers, 'GET /');
    const html = await page.text();
    // No inline script: every <script> has a src (the CSP would refuse it anyway).
    const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toMatch(/\bsrc=/);
    expect(html).not.toMatch(/\sstyle=/i);

    const asset = /<script\b[^>]*\bsrc="([^"]+)"/.exec(html)![1]!;
    const manifest = /<link\b[^>]*rel="manifest"[^>]*href="([^"]+)"/.exec(html)?.[1];
    expect(manifest, 'index.html links a web app manifest').toBeTruthy();
    for (const path of [asset, '/sw.js', manifest!]) {
      const res = await fetch(`${relay.base}${path}`);
      expect(res.status, path).toBe(200);
      expectSecurityHeaders(res.headers, `GET ${path}`);
      await res.body?.cancel();
    }
  });

  it('loads in Chromium with the same headers and no console error or CSP violation', async () => {
    const response = await client.page.goto('/');
    expect(response?.status()).toBe(200);
    expectSecurityHeaders(new Headers(await response!.allHeaders()), 'navigation to /');
    await firstHeading(client.page).waitFor({ state: 'visible' });
    // The boot placeholder is gone: the app rendered (its script ran under the CSP).
    expect(await client.page.locator('[aria-busy="true"]').count()).toBe(0);
    client.expectNoErrors();
  });

  it('registers the service worker, which controls the page and precaches the shell', async () => {
    const scriptURL = await waitForServiceWorkerControl(client.page);
    expect(scriptURL).toBe(`${relay.base}/sw.js`);
    const cached = await client.page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
      }
      return urls;
    });
    expect(cached).toEqual(expect.arrayContaining(['/index.html', '/manifest.webmanifest']));
    expect(cached.some((p) => p.startsWith('/assets/') && p.endsWith('.js'))).toBe(true);
    // Nothing from the API lands in Cache Storage.
    expect(cached.filter((p) => p.startsWith('/v1/') || p === '/healthz')).toEqual([]);
    client.expectNoErrors();
  });

  it('opens with the network off: a reload and a fresh tab both show the shell', async () => {
    const requestsBefore = relay.requestLog().length;
    await client.setOffline(true);
    try {
      await client.page.reload();
      await firstHeading(client.page).waitFor({ state: 'visible' });
      expect(await client.page.evaluate(() => navigator.onLine)).toBe(false);

      const tab = await client.context.newPage();
      try {
        await tab.goto('/');
        await firstHeading(tab).waitFor({ state: 'visible' });
        expect(await tab.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${relay.base}/sw.js`);
      } finally {
        await tab.close();
      }
    } finally {
      await client.setOffline(false);
    }
    // Served by the service worker alone: the relay saw no request while offline.
    expect(relay.requestLog().length).toBe(requestsBefore);
    client.expectNoErrors();
  });

  it('passes Chromium’s installability check (manifest, icons, service worker)', async () => {
    await client.page.goto('/');
    await waitForServiceWorkerControl(client.page);
    const cdp = await client.cdp();
    try {
      const manifest = (await cdp.send('Page.getAppManifest')) as { url: string; errors: { message: string }[] };
      expect(manifest.url).toBe(`${relay.base}/manifest.webmanifest`);
      expect(manifest.errors).toEqual([]);
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
        installabilityErrors: { errorId: string; errorArguments: { name: string; value: string }[] }[];
      };
      expect(installabilityErrors).toEqual([]);
    } finally {
      await cdp.detach();
    }
    client.expectNoErrors();
  });

  it('has no serious or critical accessibility violation on the first screen, light or dark', async () => {
    await client.page.goto('/');
    await firstHeading(client.page).waitFor({ state: 'visible' });
    for (const scheme of ['light', 'dark'] as const) {
      await client.setColorScheme(scheme);
      await expectAccessible(client.page, `the first screen (${scheme})`);
    }
    await client.setColorScheme('light');
    client.expectNoErrors();
  });

  it('photographs the first screen at 360x780 and 1280x800, light and dark', async () => {
    await client.page.goto('/');
    await firstHeading(client.page).waitFor({ state: 'visible' });
    const files = await captureScreens(client.page, 'welcome');
    expect(files.map((f) => f.split('/').pop())).toEqual([
      'welcome-360-light.png',
      'welcome-360-dark.png',
      'welcome-1280-light.png',
      'welcome-1280-dark.png',
    ]);
    client.expectNoErrors();
  });
});
