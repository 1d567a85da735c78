/**
 * Maintainer tool, run by hand when the icon changes (not part of the build or the tests):
 * renders public/icons/{icon,maskable}.svg to the PNG sizes the web app manifest lists, in
 * Debian's headless Chromium.
 *
 *   npx tsx .ci/render-icons.ts
 */
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

const ICONS = [
  { svg: 'public/icons/icon.svg', png: 'public/icons/icon-192.png', size: 192 },
  { svg: 'public/icons/icon.svg', png: 'public/icons/icon-512.png', size: 512 },
  { svg: 'public/icons/maskable.svg', png: 'public/icons/maskable-512.png', size: 512 },
] as const;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  for (const icon of ICONS) {
    const page = await browser.newPage({ viewport: { width: icon.size, height: icon.size } });
    const svg = await readFile(icon.svg, 'utf8');
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block;width:${icon.size}px;height:${icon.size}px}</style>${svg}`);
    await page.screenshot({ path: icon.png, omitBackground: true });
    await page.close();
    console.log(`${icon.png} (${icon.size}px)`);
  }
} finally {
  await browser.close();
}
