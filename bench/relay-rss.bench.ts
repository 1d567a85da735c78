/**
 * `relay_blob_upload_rss` (issue 4, "Benchmarks"): how much the relay's resident memory grows
 * while it takes a 200 MB blob upload. The relay runs as `npm start` runs it (`relay/start.ts`,
 * SQLite and blob files in a fresh temp DATA_DIR) in a child process, so its RSS is its own;
 * this process registers a therapist (code from `relay/cli.ts mint-code`), makes one 8 MiB
 * warm-up upload, then streams 200 MB in 64 KiB writes (signed POST /v1/blobs, Content-Length
 * set) while reading the child's VmRSS from /proc every 5 ms. Reported: peak RSS during the
 * upload minus the RSS just before it, in MB (10^6 bytes). Lower is better; the relay's aim
 * is under 32 MB.
 *
 * Anchor: the same upload, same client, to a bare node:http server child that pipes the body to
 * a file (`_relay-rss-anchor.ts`): what streaming alone costs in Node, so the ratio is what the
 * relay's stack (Hono, web streams, auth, digest, store) adds. A fresh child per run on each side.
 * Linux only (/proc).
 * @module
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { toBase64url } from '../shared/encoding.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret, type Identity } from '../shared/keys.ts';
import { signRequest } from '../shared/request-auth.ts';
import type { Comparison } from './_harness.ts';

const UPLOAD_BYTES = 200_000_000;
const WARMUP_BYTES = 8 * 1024 * 1024;
const WRITE = 64 * 1024;
const SAMPLE_MS = 5;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PAGE_BYTES = 4096;

type Child = ChildProcessByStdio<null, Readable, Readable>;

/** Runs a tsx script to completion and returns its stdout. */
function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err.trim()}`))));
  });
}

/** Starts a server child and resolves once it printed `listening on http://127.0.0.1:<port>`. */
function startServer(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ child: Child; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        // From here on its stdout (request log lines) is drained and dropped.
        out = '';
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${script} exited ${code} before listening: ${err.trim()}`)));
  });
}

function stop(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The child's resident set in bytes, from /proc (statm: pages; field 2 is resident). */
function rssOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_BYTES;
}

/** Streams `bytes` to `url` in WRITE-sized writes, honouring backpressure; resolves with the status. */
function upload(url: string, bytes: number, headers: Record<string, string>, onWrite: () => void): Promise<number> {
  const chunk = randomBytes(WRITE);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bytes) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        const n = Math.min(WRITE, bytes - sent);
        sent += n;
        onWrite();
        if (!req.write(n === WRITE ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

interface Side {
  readonly url: string;
  readonly pid: number;
  /** Headers for one upload (ours: a fresh signature). */
  headers(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** The real relay (`relay/start.ts`) on a fresh DATA_DIR, with a registered therapist. */
async function relaySide(identity: Identity): Promise<Side> {
  const dataDir = await mkdtemp(join(tmpdir(), 'confidant-bench-rss-'));
  const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', CLIENT_DIR: join(dataDir, 'no-client') };
  let started: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    // The relay first: mint-code refuses a data directory no relay has started in (issue 9).
    started = await startServer('relay/start.ts', [], env);
    const { child, url } = started;
    const code = (await runScript('relay/cli.ts', ['mint-code'], env)).trim();
    const body = new TextEncoder().encode(
      JSON.stringify({ identity: toBase64url(encodePublicIdentity(identity.publicIdentity)), registrationCode: code }),
    );
    const path = '/v1/accounts/therapist';
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await signRequest(identity, { method: 'POST', path, body }, { now: Date.now() })) },
      body,
    });
    if (res.status !== 201) throw new Error(`bench: therapist registration answered ${res.status}`);
    return {
      url: `${url}/v1/blobs`,
      pid: child.pid!,
      headers: () => signRequest(identity, { method: 'POST', path: '/v1/blobs', body: new Uint8Array(0) }, { now: Date.now() }),
      async close() {
        await stop(child);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (started) await stop(started.child);
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** The bare node:http anchor, writing under a fresh temp dir. */
async function anchorSide(): Promise<Side> {
  const dir = await mkdtemp(join(tmpdir(), 'confidant-bench-rss-anchor-'));
  const { child, url } = await startServer('bench/_relay-rss-anchor.ts', [dir], process.env);
  return {
    url: `${url}/upload`,
    pid: child.pid!,
    headers: async () => ({}),
    async close() {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Peak RSS growth of `side` in MB during one UPLOAD_BYTES upload, after a warm-up upload. */
async function peakGrowth(side: Side): Promise<number> {
  try {
    const warm = await upload(side.url, WARMUP_BYTES, await side.headers(), () => {});
    if (warm !== 201) throw new Error(`bench: warm-up upload answered ${warm}`);
    await new Promise((r) => setTimeout(r, 200));
    const baseline = rssOf(side.pid);
    let peak = baseline;
    const sample = (): void => {
      const rss = rssOf(side.pid);
      if (rss > peak) peak = rss;
    };
    const timer = setInterval(sample, SAMPLE_MS);
    let writes = 0;
    const status = await upload(side.url, UPLOAD_BYTES, await side.headers(), () => {
      // Between timer ticks too: a fast pipe may starve the timer.
      if (++writes % 16 === 0) sample();
    });
    clearInterval(timer);
    sample();
    if (status !== 201) throw new Error(`bench: upload answered ${status}`);
    return (peak - baseline) / 1e6;
  } finally {
    await side.close();
  }
}

export function relayBlobUploadRss(rounds: number): Comparison {
  let identity: Identity | undefined;
  return {
    name: 'relay_blob_upload_rss',
    unit: 'MB (peak RSS growth, lower is better)',
    anchor: 'bare node:http child piping the same 200 MB upload to a file (no framework, no auth, no DB); ours: relay/start.ts child on SQLite + blob files, signed POST /v1/blobs; RSS of the server child from /proc every 5 ms, peak minus RSS before the upload',
    rounds,
    // Fresh children each run: warming this process buys nothing.
    warmup: 0,
    ours: async () => peakGrowth(await relaySide((identity ??= await deriveIdentity(generateRootSecret())))),
    theirs: async () => peakGrowth(await anchorSide()),
  };
}
