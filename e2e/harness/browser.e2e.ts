/**
 * The browser, axe and screenshot helpers, against small pages served from a temp folder with a
 * strict CSP like the relay's: CSP violations and page errors are caught, axe runs under that
 * CSP and flags a deliberately bad page (and not a good one), offline and colour-scheme
 * switches reach the page, and screenshots come out at the documented sizes.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectAccessible, runAxe, seriousOrCritical } from './axe.ts';
import { launchPerson, PHONE, type Person } from './browser.ts';
import { captureScreens } from './screenshots.ts';
import { serveFolder, type StaticServer } from './static-server.ts';

const GOOD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Good page</title><link rel="icon" href="/pixel.png"><link rel="stylesheet" href="/site.css"></head>
<body><main><h1>Welcome</h1>
<label for="name">Your name</label> <input id="name" type="text">
<p>Plain text with enough contrast.</p></main>
<script src="/good.js"></script></body></html>`;

// An inline script (CSP refuses it), an image without alt text, an input without a label, a
// button with no name, faint text on white.
const BAD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad page</title><link rel="icon" href="/pixel.png"><link rel="stylesheet" href="/site.css"></head>
<body><main><h1>Bad</h1>
<img src="/pixel.png" class="photo">
<input type="text" id="unlabelled">
<button id="nameless"></button>
<p class="faint">Hard to read</p></main>
<script>document.title = 'inline ran';</script></body></html>`;

const ERRORS = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Errors</title><link rel="icon" href="/pixel.png"></head>
<body><main><h1>Errors</h1></main><script src="/errors.js"></script></body></html>`;

// Registers a service worker (scope /sw-scope/, so the other pages stay uncontrolled) and
// waits until it is active; the worker logs an error and throws when it gets a message.
const SW_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Worker</title><link rel="icon" href="/pixel.png"></head>
<body><main><h1>Worker</h1></main><script src="/sw-page.js"></script></body></html>`;
const SW_PAGE_JS = `navigator.serviceWorker.register('/sw-err.js', { scope: '/sw-scope/' }).then((reg) => {
  const sw = reg.installing || reg.waiting || reg.active;
  const done = () => { document.title = 'worker active'; };
  if (sw.state === 'activated') done();
  else sw.addEventListener('statechange', () => { if (sw.state === 'activated') done(); });
});
`;
const SW_JS = `self.addEventListener('message', () => {
  console.error('worker console error');
  throw new TypeError('worker boom');
});
`;

const CSS = `body { font: 16px sans-serif; color: #111; background: #fff; }
.faint { color: #ddd; }
@media (prefers-color-scheme: dark) { body { color: #eee; background: #111; } }`;

// 1x1 transparent PNG.
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

let dir: string;
let server: StaticServer;
let person: Person;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confidant-e2e-pages-'));
  await mkdir(join(dir, 'site'));
  const site = join(dir, 'site');
  await writeFile(join(site, 'index.html'), GOOD);
  await writeFile(join(site, 'bad.html'), BAD);
  await writeFile(join(site, 'errors.html'), ERRORS);
  await writeFile(join(site, 'site.css'), CSS);
  await writeFile(join(site, 'good.js'), "document.documentElement.dataset.ready = 'yes';\n");
  await writeFile(join(site, 'errors.js'), "console.error('something went wrong');\nsetTimeout(() => { throw new TypeError('boom'); }, 0);\n");
  await writeFile(join(site, 'pixel.png'), PIXEL);
  await writeFile(join(site, 'sw.html'), SW_PAGE);
  await writeFile(join(site, 'sw-page.js'), SW_PAGE_JS);
  await writeFile(join(site, 'sw-err.js'), SW_JS);
  server = await serveFolder(site);
  person = await launchPerson('tester', { baseURL: server.base });
});

afterAll(async () => {
  await person?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => person.clearProblems());

describe('launchPerson', () => {
  it('runs Debian chromium headless with its own profile and the phone viewport', async () => {
    await person.page.goto('/');
    await person.page.waitForFunction(() => document.documentElement.dataset.ready === 'yes');
    expect(person.page.viewportSize()).toEqual(PHONE);
    const ua = await person.page.evaluate(() => navigator.userAgent);
    expect(ua).toMatch(/Chrome\//);
    expect(person.userDataDir).toContain('confidant-e2e-tester-');
    person.expectNoErrors();
  });

  it('catches a CSP violation (an inline script) and fails expectNoErrors with it', async () => {
    await person.page.goto('/bad.html');
    await expect.poll(() => person.problems.some((p) => p.kind === 'csp'), { timeout: 15_000 }).toBe(true);
    // The policy held: the inline script did not run.
    expect(await person.page.title()).toBe('Bad page');
    expect(() => person.expectNoErrors()).toThrow(/\[csp\].*script-src/);
  });

  it('catches console errors and uncaught page errors, and lets a test allow expected ones', async () => {
    await person.page.goto('/errors.html');
    await expect.poll(() => person.problems.map((p) => p.kind).sort(), { timeout: 15_000 }).toEqual(['console', 'pageerror']);
    expect(person.problems).toContainEqual(expect.objectContaining({ kind: 'pageerror', text: 'TypeError: boom' }));
    expect(() => person.expectNoErrors()).toThrow(/something went wrong[\s\S]*TypeError: boom|TypeError: boom[\s\S]*something went wrong/);
    expect(() => person.expectNoErrors([/something went wrong/, /boom/])).not.toThrow();
  });

  it("catches a service worker's console errors and uncaught errors", async () => {
    await person.page.goto('/sw.html');
    await person.page.waitForFunction(() => document.title === 'worker active');
    const worker = person.context.serviceWorkers().find((w) => w.url().endsWith('/sw-err.js'));
    expect(worker).toBeDefined();
    // The error hook goes in as the worker starts; wait until it is there before provoking.
    await expect.poll(() => worker!.evaluate(() => (self as unknown as { __e2eErrorHook?: boolean }).__e2eErrorHook === true), { timeout: 15_000 }).toBe(true);
    await person.page.evaluate(() => navigator.serviceWorker.getRegistration('/sw-scope/').then((r) => r!.active!.postMessage('go')));
    await expect
      .poll(() => person.problems.map((p) => `${p.kind} ${p.text}`).sort(), { timeout: 15_000 })
      .toEqual(['console worker console error', 'workererror Uncaught TypeError: worker boom']);
    expect(() => person.expectNoErrors()).toThrow(/\[workererror\] Uncaught TypeError: worker boom/);
  });

  it('takes the page offline and back online', async () => {
    await person.page.goto('/');
    const fetchCss = () =>
      person.page.evaluate(() =>
        fetch('/site.css', { cache: 'no-store' }).then(
          (r) => r.status,
          () => 'failed',
        ),
      );
    await person.setOffline(true);
    expect(await fetchCss()).toBe('failed');
    expect(await person.page.evaluate(() => navigator.onLine)).toBe(false);
    await person.setOffline(false);
    expect(await fetchCss()).toBe(200);
    person.expectNoErrors([/ERR_INTERNET_DISCONNECTED/]);
  });

  it('switches prefers-color-scheme between light and dark', async () => {
    await person.page.goto('/');
    const dark = () => person.page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
    expect(await dark()).toBe(false);
    await person.setColorScheme('dark');
    expect(await dark()).toBe(true);
    expect(await person.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(17, 17, 17)');
    await person.setColorScheme('light');
    expect(await dark()).toBe(false);
  });

  it('opens a CDP session on the page, whose installability check flags a page without a manifest', async () => {
    await person.page.goto('/');
    const cdp = await person.cdp();
    try {
      const { result } = (await cdp.send('Runtime.evaluate', { expression: '6 * 7', returnByValue: true })) as { result: { value: number } };
      expect(result.value).toBe(42);
      // The check the shell test relies on is not vacuous: this page links no manifest.
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
      expect(installabilityErrors.map((e) => e.errorId)).toContain('no-manifest');
    } finally {
      await cdp.detach();
    }
  });

  it('closeBrowser quits and keeps the profile folder to inspect; close then deletes it', async () => {
    const other = await launchPerson('keeper', { baseURL: server.base });
    try {
      await other.page.goto('/');
      await other.closeBrowser();
      expect(other.context.pages()).toEqual([]);
      expect((await stat(join(other.userDataDir, 'Default'))).isDirectory()).toBe(true);
      await other.closeBrowser();
    } finally {
      await other.close();
    }
    await expect(stat(other.userDataDir)).rejects.toThrow(/ENOENT/);
  });
});

describe('axe helper', () => {
  it('flags the bad page: missing alt text, label, button name and contrast, with targets', async () => {
    await person.page.goto('/bad.html');
    const violations = await runAxe(person.page);
    const ids = violations.map((v) => v.id);
    expect(ids).toEqual(expect.arrayContaining(['image-alt', 'label', 'button-name', 'color-contrast']));
    const serious = seriousOrCritical(violations).map((v) => v.id);
    expect(serious).toEqual(expect.arrayContaining(['image-alt', 'label', 'button-name', 'color-contrast']));
    expect(violations.find((v) => v.id === 'button-name')!.nodes[0]!.target).toBe('#nameless');
    const err = await expectAccessible(person.page, 'the bad page').then(
      () => new Error('expectAccessible passed the bad page'),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/^axe: 4 serious\/critical violation\(s\) on the bad page/);
    expect(err.message).toMatch(/^image-alt \(critical\): /m);
    expect(err.message).toMatch(/^button-name \(critical\): [\s\S]*^ {4}#nameless: /m);
    expect(err.message).toMatch(/^label \(critical\): [\s\S]*^ {4}#unlabelled: /m);
  });

  it('passes the good page, and injecting axe under the strict CSP causes no CSP violation', async () => {
    await person.page.goto('/');
    const all = await expectAccessible(person.page, 'the good page');
    expect(seriousOrCritical(all)).toEqual([]);
    // axe went in through CDP: the page's policy is untouched and reported nothing.
    const csp = await person.page.evaluate(() => fetch('/').then((r) => r.headers.get('content-security-policy')));
    expect(csp).toContain("script-src 'self'");
    person.expectNoErrors();
  });
});

describe('captureScreens', () => {
  it('writes <name>-<width>-<scheme>.png at 360x780 and 1280x800, light and dark, and restores the page', async () => {
    await person.page.goto('/');
    const out = join(dir, 'shots');
    const files = await captureScreens(person.page, 'good-page', { dir: out });
    expect(files.map((f) => f.slice(out.length + 1))).toEqual([
      'good-page-360-light.png',
      'good-page-360-dark.png',
      'good-page-1280-light.png',
      'good-page-1280-dark.png',
    ]);
    const sizes = await Promise.all(
      files.map(async (f) => {
        const png = await readFile(f);
        // PNG signature, then the IHDR chunk: width and height big-endian at bytes 16 and 20.
        expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
        return [png.readUInt32BE(16), png.readUInt32BE(20)];
      }),
    );
    expect(sizes).toEqual([
      [360, 780],
      [360, 780],
      [1280, 800],
      [1280, 800],
    ]);
    // Light and dark differ (the page has a dark style).
    const [light, dark] = await Promise.all([readFile(files[0]!), readFile(files[1]!)]);
    expect(light.equals(dark)).toBe(false);
    expect(person.page.viewportSize()).toEqual(PHONE);
    expect(await person.page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(false);
  });

  it('refuses a name that is not a safe file name', async () => {
    await expect(captureScreens(person.page, '../escape')).rejects.toThrow(RangeError);
  });
});
