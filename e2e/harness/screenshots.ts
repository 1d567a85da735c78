/**
 * Screenshots for the docs: each screen at a phone (360x780) and a laptop (1280x800) size, in
 * light and dark, saved as docs/screenshots/<name>-<width>-<scheme>.png. The page's viewport
 * and colour scheme are put back afterwards, so a test can go on where it was.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DESKTOP, PHONE, type ColorScheme, type Viewport } from './browser.ts';
import { SCREENSHOT_DIR } from './paths.ts';

export const SCREENSHOT_VIEWPORTS: readonly Viewport[] = [PHONE, DESKTOP];
export const SCREENSHOT_SCHEMES: readonly ColorScheme[] = ['light', 'dark'];

export interface ScreenshotOptions {
  /** Default docs/screenshots. */
  readonly dir?: string;
  /** Capture the whole scrollable page instead of the viewport. */
  readonly fullPage?: boolean;
  /** The scheme to restore afterwards; default light (what launchPerson starts with). */
  readonly restoreScheme?: ColorScheme;
}

/** Name safe for a file: lower-case letters, digits and dashes. */
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Take the four screenshots of the current screen; returns the files written. */
export async function captureScreens(page: Page, name: string, options: ScreenshotOptions = {}): Promise<string[]> {
  if (!NAME.test(name)) throw new RangeError(`screenshot name must match ${NAME}, got ${JSON.stringify(name)}`);
  const dir = options.dir ?? SCREENSHOT_DIR;
  await mkdir(dir, { recursive: true });
  const before = page.viewportSize();
  const files: string[] = [];
  try {
    for (const viewport of SCREENSHOT_VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const scheme of SCREENSHOT_SCHEMES) {
        await page.emulateMedia({ colorScheme: scheme });
        await settle(page);
        const file = join(dir, `${name}-${viewport.width}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: options.fullPage ?? false, animations: 'disabled', caret: 'hide' });
        files.push(file);
      }
    }
  } finally {
    if (before) await page.setViewportSize(before);
    await page.emulateMedia({ colorScheme: options.restoreScheme ?? 'light' });
  }
  return files;
}

/** Let layout and style changes from the resize / scheme switch reach the screen: two frames. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
  );
}
