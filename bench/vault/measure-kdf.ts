/**
 * Measures the passphrase KDF candidates (noble's pure-JS scrypt and Argon2id, async variants)
 * in Node and, with `--chromium`, in headless Chromium: the figures docs/VAULT.md quotes and
 * the reason for `DEFAULT_KDF` in client/vault/kdf.ts.
 *
 *   npx tsx bench/vault/measure-kdf.ts [--chromium] [--runs 7]
 *
 * Prints one JSON line per candidate and runtime: median and min/max of `runs` derivations, as
 * wall time (`ms`) and as CPU time of the thread that ran it (`cpuMs`: Node's process.cpuUsage,
 * Chromium's main-thread `ThreadTime` from the DevTools Performance domain). On a shared, loaded
 * machine the CPU time is the better estimate of the wall time on an idle one.
 * A tool, not a test: nothing here asserts a time.
 * @module
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join, normalize } from 'node:path';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';

type Candidate =
  | { name: string; algorithm: 'scrypt'; N: number; r: number; p: number }
  | { name: string; algorithm: 'argon2id'; m: number; t: number; p: number };

const CANDIDATES: Candidate[] = [
  { name: 'scrypt N=2^15 r=8 p=1 (32 MiB)', algorithm: 'scrypt', N: 2 ** 15, r: 8, p: 1 },
  { name: 'scrypt N=2^16 r=8 p=1 (64 MiB)', algorithm: 'scrypt', N: 2 ** 16, r: 8, p: 1 },
  { name: 'argon2id m=12 MiB t=3 p=1', algorithm: 'argon2id', m: 12 * 1024, t: 3, p: 1 },
  { name: 'argon2id m=19 MiB t=2 p=1', algorithm: 'argon2id', m: 19 * 1024, t: 2, p: 1 },
  { name: 'argon2id m=32 MiB t=1 p=1', algorithm: 'argon2id', m: 32 * 1024, t: 1, p: 1 },
];

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 7;

function summary(times: number[]): { median: number; min: number; max: number } {
  const s = [...times].sort((a, b) => a - b);
  return { median: Math.round(s[Math.floor(s.length / 2)]!), min: Math.round(s[0]!), max: Math.round(s.at(-1)!) };
}

async function measureNode(c: Candidate): Promise<{ wall: number[]; cpu: number[] }> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    if (c.algorithm === 'scrypt') await scryptAsync('correct horse battery', salt, { N: c.N, r: c.r, p: c.p, dkLen: 32, asyncTick: 10 });
    else await argon2idAsync('correct horse battery', salt, { m: c.m, t: c.t, p: c.p, dkLen: 32, asyncTick: 10 });
    const used = process.cpuUsage(cpuStart);
    wall.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu };
}

/** Serves @noble/hashes' ESM files so a page can import them, then times them in Chromium. */
async function measureChromium(): Promise<void> {
  const { chromium } = await import('playwright-core');
  const root = join(process.cwd(), 'node_modules/@noble/hashes');
  const server = createServer(async (req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (req.url === '/' || !path.startsWith(root)) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>kdf</title>');
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const threadTime = async (): Promise<number> => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return (metrics.find((m) => m.name === 'ThreadTime')?.value ?? Number.NaN) * 1000;
    };
    for (const c of CANDIDATES) {
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < runs; i++) {
        const before = await threadTime();
        wall.push(
          await page.evaluate(async (c) => {
            // Plain strings so TypeScript does not try to resolve these URLs.
            const scryptUrl: string = '/scrypt.js';
            const argonUrl: string = '/argon2.js';
            const { scryptAsync } = await import(scryptUrl);
            const { argon2idAsync } = await import(argonUrl);
            const salt = crypto.getRandomValues(new Uint8Array(16));
            const start = performance.now();
            if (c.algorithm === 'scrypt') await scryptAsync('correct horse battery', salt, { N: c.N, r: c.r, p: c.p, dkLen: 32, asyncTick: 10 });
            else await argon2idAsync('correct horse battery', salt, { m: c.m, t: c.t, p: c.p, dkLen: 32, asyncTick: 10 });
            return performance.now() - start;
          }, c),
        );
        cpu.push((await threadTime()) - before);
      }
      console.log(JSON.stringify({ runtime: `chromium ${browser.version()}`, candidate: c.name, runs, ms: summary(wall), cpuMs: summary(cpu) }));
    }
  } finally {
    await browser.close();
    server.close();
  }
}

console.log(JSON.stringify({ loadavg: loadavg().map((x) => Math.round(x * 10) / 10), cpus: availableParallelism() }));
for (const c of CANDIDATES) {
  const { wall, cpu } = await measureNode(c);
  console.log(JSON.stringify({ runtime: `node ${process.version}`, candidate: c.name, runs, ms: summary(wall), cpuMs: summary(cpu) }));
}
if (args.includes('--chromium')) await measureChromium();
console.log(JSON.stringify({ loadavg: loadavg().map((x) => Math.round(x * 10) / 10) }));
