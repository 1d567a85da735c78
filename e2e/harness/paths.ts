/** Fixed locations the end-to-end harness uses. @module */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root (this file is e2e/harness/paths.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What `npm run build` writes and the relay serves. */
export const DIST_DIR = join(REPO_ROOT, 'dist');
/** Debian's chromium package; the tests never download a browser (.ci/system-deps installs it). */
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots the tests take, committed for the docs: `<name>-<width>-<scheme>.png`. */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'screenshots');
