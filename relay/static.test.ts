/**
 * Static serving of the built client: headers, caching, precompressed twins, and that nothing
 * outside the client folder (or inside the API's namespace) is ever served.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import type { RelayEnv } from './context.ts';
import { openStore } from './storage/index.ts';
import type { Store } from './storage/types.ts';

let root: string;
let clientDir: string;
let store: Store;
let app: Hono<RelayEnv>;

const INDEX = '<!doctype html><title>Confidant</title><script type="module" src="/assets/app-abc123.js"></script>';
const SCRIPT = 'console.log("app");'.repeat(100);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'confidant-static-'));
  clientDir = join(root, 'dist');
  await mkdir(join(clientDir, 'assets'), { recursive: true });
  await mkdir(join(clientDir, 'v1', 'accounts'), { recursive: true });
  await writeFile(join(clientDir, 'index.html'), INDEX);
  await writeFile(join(clientDir, 'assets', 'app-abc123.js'), SCRIPT);
  await writeFile(join(clientDir, 'assets', 'app-abc123.js.gz'), gzipSync(SCRIPT));
  await writeFile(join(clientDir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  await writeFile(join(clientDir, 'manifest.webmanifest'), '{"name":"Confidant"}');
  await writeFile(join(clientDir, 'v1', 'accounts', 'me'), 'a file that must never be served');
  await writeFile(join(root, 'secret.txt'), 'outside the client folder');
  const opened = await openStore({ dataDir: join(root, 'data') });
  store = opened.store;
  await store.migrate();
  app = createApp({ store, blobs: opened.blobs, clientDir });
});

afterAll(async () => {
  await store?.close();
  await rm(root, { recursive: true, force: true });
});

describe('the built client', () => {
  it('serves index.html at / with the strict security headers and no caching', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe(INDEX);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('permissions-policy')).toContain('camera=()');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('marks hashed assets immutable and sends the gzip twin to browsers that accept it', async () => {
    const plain = await app.request('/assets/app-abc123.js');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toMatch(/javascript/);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(SCRIPT);

    const gz = await app.request('/assets/app-abc123.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('content-type')).toMatch(/javascript/);
    expect(gz.headers.get('vary')).toContain('Accept-Encoding');
    expect(Buffer.from(await gz.arrayBuffer())).toEqual(gzipSync(SCRIPT));
  });

  it('lets the service worker control the whole origin and always revalidates it', async () => {
    const res = await app.request('/sw.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('service-worker-allowed')).toBe('/');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const manifest = await app.request('/manifest.webmanifest');
    expect(manifest.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
  });

  it('answers HEAD without a body', async () => {
    const res = await app.request('/', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(INDEX.length));
    expect(await res.text()).toBe('');
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '//secret.txt',
    '/assets\\..\\..\\secret.txt',
    '/missing.js',
  ])('answers %s with a JSON refusal (404, or 400 for a path that is not canonical) and nothing from disk', async (path) => {
    const res = await app.request(`http://relay.test${path}`);
    const text = await res.text();
    expect(text).not.toContain('outside the client folder');
    // Dot segments are gone once the URL is parsed (404); encoded slashes and empty segments
    // survive it and are refused as not canonical (middleware/canonical-path.ts).
    expect([[404, 'not_found'], [400, 'bad_request']]).toContainEqual([res.status, (JSON.parse(text) as { error: { code: string } }).error.code]);
  });

  it('never serves files from the API namespace, and files only for GET and HEAD', async () => {
    const api = await app.request('/v1/accounts/me');
    expect(await api.text()).not.toContain('must never be served');
    expect(api.status).toBeGreaterThanOrEqual(400);
    const post = await app.request('/index.html', { method: 'POST', body: 'x' });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('keeps the API working beside the files', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe('without a built client', () => {
  it('serves the API alone and answers / with the JSON 404', async () => {
    const opened = await openStore({ dataDir: join(root, 'data-bare') });
    await opened.store.migrate();
    try {
      const bare = createApp({ store: opened.store, blobs: opened.blobs });
      const res = await bare.request('/');
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      await opened.store.close();
    }
  });
});
