/**
 * One headless Chromium per person (therapist, client): Debian's /usr/bin/chromium driven by
 * playwright-core, each with its own persistent profile in a fresh temp folder, so IndexedDB,
 * the service worker and its caches belong to that person alone and survive reloads.
 *
 * Every console error (pages and service worker) and uncaught page error is collected.
 * Chromium reports a Content Security Policy violation as a console error ("Refused to …"),
 * and a `securitypolicyviolation` listener (installed through CDP, which CSP does not govern)
 * records it too, so a test that calls `expectNoErrors()` fails on any CSP violation.
 * Playwright does not report a service worker's uncaught errors, so each service worker gets
 * `error` / `unhandledrejection` listeners through CDP as soon as it starts; an error thrown
 * while its script first runs, before they are in, shows only as a failed registration.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { CHROMIUM } from './paths.ts';

export type ColorScheme = 'light' | 'dark';

export interface Viewport {
  readonly width: number;
  readonly height: number;
}

/** Phone-sized by default; the screenshots also use 1280x800. */
export const PHONE: Viewport = { width: 360, height: 780 };
export const DESKTOP: Viewport = { width: 1280, height: 800 };

/** A console error, uncaught page error or CSP violation seen in one of the person's pages. */
export interface BrowserProblem {
  readonly kind: 'console' | 'pageerror' | 'csp' | 'workererror';
  readonly text: string;
  /** The page URL (or the console message's source location) it came from. */
  readonly where: string;
}

export interface LaunchOptions {
  readonly viewport?: Viewport;
  readonly colorScheme?: ColorScheme;
  /** Relative URLs in page.goto resolve against it (usually the relay's base). */
  readonly baseURL?: string;
}

export interface Person {
  readonly name: string;
  readonly context: BrowserContext;
  /** The profile's first tab (a persistent context opens with one). */
  readonly page: Page;
  readonly userDataDir: string;
  /** Problems seen so far, in order. */
  readonly problems: BrowserProblem[];
  /** Forget the problems seen so far (e.g. the expected network errors of an offline step). */
  clearProblems(): void;
  /** Throws, listing them, when any problem was seen except those matching `allow`. */
  expectNoErrors(allow?: readonly RegExp[]): void;
  /** context.setOffline: every page and the service worker's network fetches fail. */
  setOffline(offline: boolean): Promise<void>;
  /** prefers-color-scheme for the page. */
  setColorScheme(scheme: ColorScheme, page?: Page): Promise<void>;
  /** A CDP session on the page (Page.getInstallabilityErrors and the like). */
  cdp(page?: Page): Promise<CDPSession>;
  /**
   * Close the browser cleanly (as a person quitting it: Chromium writes its session, history and
   * form data out) and keep the profile folder, to inspect what it left on disk. Idempotent;
   * `close()` still deletes the folder.
   */
  closeBrowser(): Promise<void>;
  /** Close the browser and delete the profile. Idempotent. */
  close(): Promise<void>;
}

/** Headless flags for a shared CI machine: no sandbox (containers), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Runs in every document before its own scripts (Page.addScriptToEvaluateOnNewDocument, outside
 * CSP): turns each CSP violation into a console error with a recognisable prefix, so one whose
 * report Chromium does not print (e.g. in a frame) is caught too.
 */
const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('[csp-violation] ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});`;

const CSP_PREFIX = '[csp-violation] ';

/** Evaluated in each service worker (CDP Runtime.evaluate): reports its uncaught errors on its console. */
const WORKER_ERROR_HOOK = `(() => {
  if (self.__e2eErrorHook) return;
  self.__e2eErrorHook = true;
  self.addEventListener('error', (e) => console.error('[worker-error] ' + e.message));
  self.addEventListener('unhandledrejection', (e) => console.error('[worker-error] unhandled rejection: ' + (e.reason && e.reason.stack || e.reason)));
})()`;
const WORKER_PREFIX = '[worker-error] ';

/** Launch `name`'s browser on a fresh profile. */
export async function launchPerson(name: string, options: LaunchOptions = {}): Promise<Person> {
  const userDataDir = await mkdtemp(join(tmpdir(), `confidant-e2e-${name.replace(/[^a-z0-9]/gi, '')}-`));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? PHONE,
      colorScheme: options.colorScheme ?? 'light',
      ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
      // The app gets no permission it does not ask for; nothing else changes the browser.
      permissions: [],
    });
  } catch (e) {
    await rm(userDataDir, { recursive: true, force: true });
    throw e;
  }
  await context.addInitScript({ content: CSP_LISTENER });

  const problems: BrowserProblem[] = [];
  context.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const loc = msg.location();
    const where = loc.url ? `${loc.url}:${loc.lineNumber}` : (msg.page()?.url() ?? '');
    if (text.startsWith(CSP_PREFIX)) problems.push({ kind: 'csp', text: text.slice(CSP_PREFIX.length), where });
    else if (text.startsWith(WORKER_PREFIX)) problems.push({ kind: 'workererror', text: text.slice(WORKER_PREFIX.length), where });
    else problems.push({ kind: /Content Security Policy/i.test(text) ? 'csp' : 'console', text, where });
  });
  context.on('serviceworker', (worker) => {
    // A worker that is already gone again cannot report anything; nothing to do then.
    worker.evaluate(WORKER_ERROR_HOOK).catch(() => {});
  });
  context.on('weberror', (err) => {
    const e = err.error();
    problems.push({ kind: 'pageerror', text: `${e.name}: ${e.message}`, where: err.page()?.url() ?? '' });
  });

  const page = context.pages()[0] ?? (await context.newPage());
  let closing: Promise<void> | undefined;
  let browserClosed: Promise<void> | undefined;
  const closeBrowser = () => (browserClosed ??= context.close().catch(() => {}));

  return {
    name,
    context,
    page,
    userDataDir,
    problems,
    clearProblems: () => void problems.splice(0),
    expectNoErrors: (allow = []) => {
      const left = problems.filter((p) => !allow.some((re) => re.test(p.text)));
      if (left.length > 0) {
        const list = left.map((p) => `  [${p.kind}] ${p.text} (${p.where})`).join('\n');
        throw new Error(`${name}'s browser reported ${left.length} problem(s):\n${list}`);
      }
    },
    setOffline: (offline) => context.setOffline(offline),
    setColorScheme: (scheme, p = page) => p.emulateMedia({ colorScheme: scheme }),
    cdp: (p = page) => context.newCDPSession(p),
    closeBrowser,
    close: () =>
      (closing ??= (async () => {
        await closeBrowser();
        await rm(userDataDir, { recursive: true, force: true });
      })()),
  };
}

/** Resolves once the page has a controlling service worker (navigator.serviceWorker.controller). */
export async function waitForServiceWorkerControl(page: Page, timeoutMs = 60_000): Promise<string> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null && navigator.serviceWorker?.controller !== undefined, undefined, {
    timeout: timeoutMs,
  });
  return page.evaluate(() => navigator.serviceWorker.controller!.scriptURL);
}
