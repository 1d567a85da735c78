import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { appFixture, type AppFixture } from './testing/app-fixture.ts';

describe('relay app', () => {
  let fx: AppFixture;
  beforeAll(async () => {
    fx = await appFixture();
  });
  afterAll(async () => fx.close());

  it('answers GET /healthz with 200 {"ok":true} when the store is reachable', async () => {
    const res = await fx.app.request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers GET /healthz with 503 and the JSON error shape when the store is not', async () => {
    const down = Object.create(fx.store, { ping: { value: async () => false } });
    const res = await createApp({ store: down, blobs: fx.blobs }).request('/healthz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  });

  it('answers an unknown path with 404 and the JSON error shape', async () => {
    const res = await fx.app.request('/nope-secret?token=1');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toBe('not_found');
    expect(typeof body.error.message).toBe('string');
    expect(body.error.message).not.toContain('secret');
    expect(body.error.message).not.toContain('token');
  });

  it('answers a wrong method on a known path with the same 404 shape', async () => {
    const res = await fx.app.request('/healthz', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('sends a strict Content-Security-Policy and no-sniff on every response', async () => {
    for (const path of ['/healthz', '/missing']) {
      const res = await fx.app.request(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('limits each client on /v1: past the burst it answers 429 with Retry-After, /healthz stays open', async () => {
    const app = createApp({ store: fx.store, blobs: fx.blobs, now: () => 0, rateLimit: { capacity: 3, refillPerSecond: 1 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.request('/v1/prekeys/count')).status);
    expect(statuses.slice(0, 3)).not.toContain(429);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const limited = await app.request('/v1/prekeys/count');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('logs one JSON line per request with the route pattern, never the path, query, headers or body', async () => {
    const lines: string[] = [];
    const app = createApp({ store: fx.store, blobs: fx.blobs, logSink: (l) => lines.push(l) });
    await app.request('/v1/bundles/c2VjcmV0LWlkLWluLXBhdGg?cap=secret-capability', {
      headers: { 'confidant-signature': 'secret-signature', authorization: 'secret-token' },
    });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { method: string; status: number; route: string | null };
    expect(line.method).toBe('GET');
    expect(line.status).toBe(401);
    for (const secret of ['c2VjcmV0', 'secret-capability', 'secret-signature', 'secret-token', 'cap=']) expect(lines[0]).not.toContain(secret);
  });
});
