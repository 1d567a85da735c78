/**
 * Times the vault in headless Chromium (real IndexedDB and WebCrypto): bundles page.ts
 * with Vite, serves it on a loopback port, runs it in /usr/bin/chromium (CHROMIUM_PATH
 * overrides) and prints one JSON line per workload: wall time, and CPU time of the page's main
 * thread (DevTools `ThreadTime`; IndexedDB's own work happens in the browser process and is not
 * in it). Figures for docs/VAULT.md.
 *
 *   npx tsx bench/vault/measure-vault.ts
 * @module
 */
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const entry = fileURLToPath(new URL('./page.ts', import.meta.url));
const outDir = await mkdtemp(join(tmpdir(), 'vault-bench-'));
await build({
  configFile: false,
  logLevel: 'warn',
  build: { outDir, emptyOutDir: true, minify: false, lib: { entry, formats: ['es'], fileName: () => 'bench.js' } },
});
const script = await readFile(join(outDir, 'bench.js'));
const server = createServer((req, res) => {
  if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
  else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>vault bench</title>');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  // The page asks for its main thread's CPU time between workloads (it is idle while it waits).
  await page.exposeFunction('vaultBenchThreadTime', async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return (metrics.find((m) => m.name === 'ThreadTime')?.value ?? Number.NaN) * 1000;
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  console.log(JSON.stringify({ loadavg: loadavg().map((x) => Math.round(x * 10) / 10), cpus: availableParallelism() }));
  const results = await page.evaluate(async () => {
    const url: string = '/bench.js';
    const mod = (await import(url)) as { runVaultBench(runs?: number, cpuClock?: () => Promise<number>): Promise<{ name: string; ms: number; cpuMs?: number }[]> };
    const clock = (globalThis as unknown as { vaultBenchThreadTime: () => Promise<number> }).vaultBenchThreadTime;
    return mod.runVaultBench(3, clock);
  });
  for (const r of results) console.log(JSON.stringify({ runtime: `chromium ${browser.version()}`, ...r }));
  console.log(JSON.stringify({ loadavg: loadavg().map((x) => Math.round(x * 10) / 10) }));
} finally {
  await browser.close();
  server.close();
  await rm(outDir, { recursive: true, force: true });
}
