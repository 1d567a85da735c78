/**
 * The browser benches' plumbing: build bench/browser/index.html (page.ts, which imports the real
 * client and shared modules) with Vite's JS API into a temp folder, serve it on a loopback port
 * with the relay's strict CSP (e2e/harness/static-server.ts: `script-src 'self'`, no inline
 * script), and open it in Debian's headless Chromium (playwright-core) on a fresh profile with
 * the e2e harness's flags, plus `--js-flags=--expose-gc` so each measurement starts after a
 * collection, like the Node benches. A CSP violation or page error fails the run.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_ARGS as E2E_CHROMIUM_ARGS } from '../../e2e/harness/browser.ts';
import { CHROMIUM } from '../../e2e/harness/paths.ts';
import { serveFolder, type StaticServer } from '../../e2e/harness/static-server.ts';
import type { ConfidantBench } from './page.ts';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** e2e/harness/browser.ts's flags (a shared CI box: no sandbox, GPU or background traffic), plus gc(). */
const CHROMIUM_ARGS = [...E2E_CHROMIUM_ARGS, '--js-flags=--expose-gc'];

const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('[csp-violation] ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline'));
});`;

export type BenchCall = keyof ConfidantBench;

export interface BenchPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly version: string;
  /** Call one of page.ts's `confidantBench` functions and return its result. */
  call<K extends BenchCall>(name: K): Promise<Awaited<ReturnType<ConfidantBench[K]>>>;
  /** Console errors, page errors and CSP violations seen so far. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** Build the page with Vite (production settings: minified, es2022; `minify: false` for profiles) into a fresh temp folder. */
async function buildPage(outDir: string, minify: boolean): Promise<void> {
  await build({
    configFile: false,
    root: here('.'),
    publicDir: false,
    logLevel: 'warn',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: { outDir, emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0, sourcemap: false, minify },
  });
}

export async function openBenchPage(options: { minify?: boolean } = {}): Promise<BenchPage> {
  const outDir = await mkdtemp(join(tmpdir(), 'confidant-bench-page-'));
  const userDataDir = await mkdtemp(join(tmpdir(), 'confidant-bench-profile-'));
  let server: StaticServer | undefined;
  let context: BrowserContext | undefined;
  const cleanup = async (): Promise<void> => {
    await context?.close().catch(() => {});
    await server?.close();
    await rm(outDir, { recursive: true, force: true });
    await rm(userDataDir, { recursive: true, force: true });
  };
  try {
    await buildPage(outDir, options.minify ?? true);
    server = await serveFolder(outDir);
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, permissions: [] });
    await context.addInitScript({ content: CSP_LISTENER });
    const problems: string[] = [];
    context.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    context.on('weberror', (err) => problems.push(`${err.error().name}: ${err.error().message}`));
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.base}/`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', undefined, { timeout: 30_000 });
    const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    const check = (): void => {
      if (problems.length > 0) throw new Error(`bench page reported:\n  ${problems.join('\n  ')}`);
    };
    return {
      page,
      context,
      version,
      problems,
      async call(name) {
        const result = await page.evaluate((n) => (globalThis as unknown as { confidantBench: Record<string, () => Promise<unknown>> }).confidantBench[n]!(), name);
        check();
        return result as never;
      },
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
