import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../shared/encoding.ts';
import { createApp } from './app.ts';
import { useAppFixture } from './testing/use-app-fixture.ts';
import { deliver, mailboxWithCapability, seal } from './testing/mailbox-helpers.ts';

describe('relay app', () => {
  const fx = useAppFixture();

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

  describe('Cache-Control: no-store on every API answer (issue 9, item 18)', () => {
    const noStore = (res: Response, what: string) => expect(res.headers.get('cache-control'), what).toBe('no-store');

    it('on every route of the app, signed and unsigned, whatever the status', async () => {
      const alice = await fx.therapist();
      const routes = fx.app.routes.filter((r) => r.method !== 'ALL');
      const seen = new Set<string>();
      for (const route of routes) {
        // Route parameters as a well-formed id (16 bytes, base64url) that names nothing.
        const path = route.path.replace(/:[a-z]+/gi, () => toBase64url(randomBytes(16)));
        const method = route.method;
        const withBody = method === 'POST' || method === 'PUT';
        for (const who of [undefined, alice]) {
          const res = await fx.send(who, method, path, withBody ? { body: '{}' } : {});
          noStore(res, `${method} ${route.path} ${who ? 'signed' : 'unsigned'} -> ${res.status}`);
          seen.add(`${method} ${route.path}`);
        }
      }
      // The routes the relay documents, all reached (docs/API.md).
      for (const r of ['GET /healthz', 'POST /v1/accounts/therapist', 'POST /v1/accounts/client', 'POST /v1/invites', 'PUT /v1/prekeys/signed', 'PUT /v1/prekeys/kem', 'POST /v1/prekeys/one-time', 'GET /v1/prekeys/count', 'GET /v1/bundles/:key', 'POST /v1/mailboxes', 'POST /v1/mailboxes/:id/capabilities', 'DELETE /v1/mailboxes/:id/capabilities/:hash', 'POST /v1/messages', 'GET /v1/mailboxes/:id/messages', 'POST /v1/mailboxes/:id/ack', 'GET /v1/live', 'POST /v1/blobs', 'GET /v1/blobs/:id', 'DELETE /v1/blobs/:id']) {
        expect(seen, r).toContain(r);
      }
    });

    it('on the signed message fetch\'s 200, a send, /healthz\'s 200 and 503, an unknown /v1 path, a 429 and a refused live upgrade', async () => {
      // The test above spent most of this address's tokens (unsigned requests, and a blob DELETE
      // pays by address: it takes a delete token, not an account); let the bucket refill.
      fx.now += 10_000;
      const alice = await fx.therapist();
      const mailbox = await mailboxWithCapability(fx, alice);
      const sent = await deliver(fx, await seal(alice, alice, mailbox.id, new Uint8Array(32)), { capability: mailbox.capability });
      expect(sent.status).toBe(201);
      noStore(sent, 'send');
      const fetched = await fx.send(alice, 'GET', `/v1/mailboxes/${mailbox.idB64}/messages`);
      expect(fetched.status).toBe(200);
      noStore(fetched, 'message fetch');
      const health = await fx.app.request('/healthz');
      expect(health.status).toBe(200);
      noStore(health, 'healthz');
      const down = Object.create(fx.store, { ping: { value: async () => false } });
      const unhealthy = await createApp({ store: down, blobs: fx.blobs }).request('/healthz');
      expect(unhealthy.status).toBe(503);
      noStore(unhealthy, 'healthz down');
      for (const path of ['/v1/nope', '/v1', '/v1/mailboxes/x/y/z']) {
        const unknown = await fx.app.request(path);
        expect(unknown.status, path).toBe(404);
        noStore(unknown, path);
      }
      const limited = createApp({ store: fx.store, blobs: fx.blobs, now: () => 0, rateLimit: { capacity: 1, refillPerSecond: 1 } });
      await limited.request('/v1/prekeys/count');
      const refused = await limited.request('/v1/prekeys/count');
      expect(refused.status).toBe(429);
      noStore(refused, '429');
      const upgrade = await fx.app.request('/v1/live', { headers: { host: 'relay.test', origin: 'https://elsewhere.test', upgrade: 'websocket', connection: 'Upgrade' } });
      expect(upgrade.status).toBe(403);
      noStore(upgrade, 'live upgrade refusal');
    });
  });
});
