import { Hono, type Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../shared/request-auth.ts';
import { createApp } from '../app.ts';
import { useAppFixture } from '../testing/use-app-fixture.ts';
import { defaultRateLimitKey, rateLimit, rateLimited, type RateLimitOptions } from './rate-limit.ts';

/** An app behind the limiter; the key comes from the `x-test-key` header and the clock from `clock.t`. */
function setup(options: Partial<RateLimitOptions> = {}) {
  const clock = { t: 1_750_000_000_000 };
  const limiter = rateLimit({
    capacity: 3,
    refillPerSecond: 0.5,
    key: (c: Context) => c.req.header('x-test-key') ?? undefined,
    now: () => clock.t,
    ...options,
  });
  const app = new Hono();
  app.use('*', limiter);
  app.get('/x', (c) => c.json({ ok: true }));
  const hit = (key: string) => app.request('/x', { headers: { 'x-test-key': key } });
  return { app, clock, limiter, hit };
}

describe('rateLimit', () => {
  it('lets a burst of `capacity` through, then answers 429 with Retry-After and the JSON error shape', async () => {
    const { hit } = setup();
    for (let i = 0; i < 3; i++) expect((await hit('alice')).status).toBe(200);
    for (let i = 0; i < 20; i++) {
      const res = await hit('alice');
      expect(res.status).toBe(429);
      // One token at 0.5/s takes 2 s.
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error.code).toBe('rate_limited');
      expect(typeof body.error.message).toBe('string');
      expect(body.error.message).not.toContain('alice');
    }
  });

  it('gives Retry-After in whole seconds, at least 1, even for fast refill rates', async () => {
    const { hit } = setup({ capacity: 1, refillPerSecond: 1000 });
    expect((await hit('k')).status).toBe(200);
    const res = await hit('k');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('rounds a fractional wait up', async () => {
    const { hit } = setup({ capacity: 1, refillPerSecond: 0.3 });
    expect((await hit('k')).status).toBe(200);
    const res = await hit('k');
    expect(Number(res.headers.get('retry-after'))).toBe(Math.ceil(1 / 0.3));
  });

  it('keeps other keys unaffected by one key’s flood', async () => {
    const { hit } = setup();
    for (let i = 0; i < 50; i++) await hit('flooder');
    expect((await hit('flooder')).status).toBe(429);
    for (let i = 0; i < 3; i++) expect((await hit('bystander')).status).toBe(200);
  });

  it('refills with time: after Retry-After seconds the key is served again, up to capacity', async () => {
    const { hit, clock } = setup();
    for (let i = 0; i < 3; i++) await hit('k');
    const refused = await hit('k');
    expect(refused.status).toBe(429);
    clock.t += Number(refused.headers.get('retry-after')) * 1000;
    expect((await hit('k')).status).toBe(200);
    expect((await hit('k')).status).toBe(429);
    // A long idle time refills to capacity, not beyond.
    clock.t += 3_600_000;
    for (let i = 0; i < 3; i++) expect((await hit('k')).status).toBe(200);
    expect((await hit('k')).status).toBe(429);
  });

  it('does not refill when the clock steps back', async () => {
    const { hit, clock } = setup({ capacity: 1 });
    expect((await hit('k')).status).toBe(200);
    clock.t -= 60_000;
    expect((await hit('k')).status).toBe(429);
    clock.t += 60_000 + 1000;
    expect((await hit('k')).status).toBe(429);
    clock.t += 1000;
    expect((await hit('k')).status).toBe(200);
  });

  it('holds at most maxKeys buckets with many keys, evicting the least recently used', async () => {
    const { hit, limiter } = setup({ capacity: 1, maxKeys: 100 });
    expect((await hit('recent')).status).toBe(200);
    for (let i = 0; i < 2000; i++) {
      await hit(`k${i}`);
      if (i % 50 === 0) await hit('recent'); // keeps 'recent' fresh: it stays limited
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    expect(limiter.size).toBe(100);
    expect((await hit('recent')).status).toBe(429);
    // k0 was evicted long ago: it starts over with a fresh bucket.
    expect((await hit('k0')).status).toBe(200);
  });

  it('lets a request through unlimited when the key function returns undefined', async () => {
    const { app } = setup({ capacity: 1 });
    for (let i = 0; i < 5; i++) expect((await app.request('/x')).status).toBe(200);
  });

  it('keys by socket address by default; X-Forwarded-For is not trusted', async () => {
    const clock = { t: 0 };
    const app = new Hono();
    app.use('*', rateLimit({ capacity: 1, refillPerSecond: 1, now: () => clock.t }));
    app.get('/x', (c) => c.text('ok'));
    const get = (headers: Record<string, string>, address: string) => app.request('/x', { headers }, { incoming: { socket: { remoteAddress: address } } });
    expect((await get({}, '10.0.0.1')).status).toBe(200);
    expect((await get({}, '10.0.0.1')).status).toBe(429);
    expect((await get({}, '10.0.0.3')).status).toBe(200);
    expect((await get({ 'x-forwarded-for': '192.0.2.9' }, '10.0.0.3')).status).toBe(429);
  });

  it('defaultRateLimitKey names the socket address, else one shared unknown bucket', async () => {
    const app = new Hono();
    const keys: string[] = [];
    app.get('/x', (c) => {
      keys.push(defaultRateLimitKey(c));
      return c.text('ok');
    });
    await app.request('/x', {}, { incoming: { socket: { remoteAddress: '::1' } } });
    await app.request('/x');
    expect(keys).toEqual(['ip:::1', 'unknown']);
  });

  describe('per account after auth (the account hook)', () => {
    /** Requests from one address; `x-account` stands for an account that auth verified. */
    function accountSetup(options: Partial<RateLimitOptions> = {}) {
      const clock = { t: 1_750_000_000_000 };
      const app = new Hono();
      app.use('*', rateLimit({ capacity: 3, refillPerSecond: 0.5, now: () => clock.t, ...options }));
      app.get('/x', (c) => {
        const who = c.req.header('x-account');
        if (who !== undefined) {
          const retryAfter = c.get('rateLimit')!.account(new Uint8Array(32).fill(Number(who)));
          if (retryAfter > 0) return rateLimited(c, retryAfter);
          if (c.req.header('x-replay') !== undefined) {
            c.get('rateLimit')!.replayed();
            return c.json({ replay: true }, 401);
          }
        }
        return c.json({ ok: true });
      });
      const hit = (who?: string, replay = false) =>
        app.request('/x', who === undefined ? {} : { headers: { 'x-account': who, ...(replay ? { 'x-replay': '1' } : {}) } }, { incoming: { socket: { remoteAddress: '10.0.0.1' } } });
      return { clock, hit };
    }

    it('replayed() moves the cost of a request back from the account to the address', async () => {
      const { hit } = accountSetup();
      // Three replays found only after the account was charged (copies racing past auth's look-up).
      for (let i = 0; i < 3; i++) expect((await hit('1', true)).status).toBe(401);
      // The address paid: empty now, whatever comes from it.
      expect((await hit()).status).toBe(429);
      expect((await hit('2')).status).toBe(429);
    });

    it('replayed() leaves the account its whole burst', async () => {
      const { hit } = accountSetup({ capacity: 3, account: { capacity: 2, refillPerSecond: 0.5 } });
      for (let i = 0; i < 2; i++) expect((await hit('1', true)).status).toBe(401);
      // The address has one token left; the account still has both of its own.
      expect((await hit('1')).status).toBe(200);
      expect((await hit('1')).status).toBe(200);
      expect((await hit('1')).status).toBe(429);
    });

    it('limits a flooding account on its own: another account and anonymous requests from the same address go on', async () => {
      const { hit } = accountSetup();
      for (let i = 0; i < 3; i++) expect((await hit('1')).status).toBe(200);
      for (let i = 0; i < 10; i++) {
        const res = await hit('1');
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      }
      for (let i = 0; i < 3; i++) expect((await hit('2')).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await hit()).status).toBe(200);
      expect((await hit()).status).toBe(429);
    });

    it('uses the account numbers when given', async () => {
      const { hit, clock } = accountSetup({ account: { capacity: 5, refillPerSecond: 1 } });
      for (let i = 0; i < 5; i++) expect((await hit('1')).status).toBe(200);
      const res = await hit('1');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      clock.t += 1000;
      expect((await hit('1')).status).toBe(200);
    });

    it('refuses accounts too once the address bucket is empty (the address token is taken first)', async () => {
      const { hit } = accountSetup();
      for (let i = 0; i < 3; i++) expect((await hit()).status).toBe(200);
      expect((await hit('1')).status).toBe(429);
    });
  });

  it('throws at construction on bad options', () => {
    const ok = { capacity: 1, refillPerSecond: 1 };
    for (const bad of [
      { ...ok, capacity: 0 },
      { ...ok, capacity: 1.5 },
      { ...ok, capacity: Number.NaN },
      { ...ok, refillPerSecond: 0 },
      { ...ok, refillPerSecond: -1 },
      { ...ok, refillPerSecond: Number.POSITIVE_INFINITY },
      { ...ok, maxKeys: 0 },
      { ...ok, maxKeys: 2.5 },
      { ...ok, account: { capacity: 0, refillPerSecond: 1 } },
      { ...ok, account: { capacity: 1, refillPerSecond: 0 } },
    ]) {
      expect(() => rateLimit(bad as RateLimitOptions), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(() => rateLimit({ ...ok, capacity: '3' } as unknown as RateLimitOptions)).toThrow(RangeError);
    expect(() => rateLimit({ ...ok, key: 'x' } as unknown as RateLimitOptions)).toThrow(TypeError);
    expect(() => rateLimit({ ...ok, now: 5 } as unknown as RateLimitOptions)).toThrow(TypeError);
    expect(() => rateLimit(undefined as unknown as RateLimitOptions)).toThrow(TypeError);
    expect(() => rateLimit({ ...ok, account: null } as unknown as RateLimitOptions)).toThrow(TypeError);
  });
});

describe('rateLimit in the relay app: by account after auth, by address before', () => {
  const fx = useAppFixture({ each: true });

  /** The app with a small limit (3 a burst, 1 a second); in-process requests share one address. */
  const limited = () => {
    fx.app = createApp({ store: fx.store, blobs: fx.blobs, now: () => fx.now, rateLimit: { capacity: 3, refillPerSecond: 1 } });
  };

  it('limits a flood from one account while another account from the same address is served', async () => {
    const alice = await fx.therapist();
    const bob = await fx.therapist();
    limited();
    for (let i = 0; i < 3; i++) expect((await fx.send(alice, 'GET', '/v1/prekeys/count')).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const res = await fx.send(alice, 'GET', '/v1/prekeys/count');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    }
    for (let i = 0; i < 3; i++) expect((await fx.send(bob, 'GET', '/v1/prekeys/count')).status).toBe(200);
    // Alice again after Retry-After.
    fx.now += 1000;
    expect((await fx.send(alice, 'GET', '/v1/prekeys/count')).status).toBe(200);
  });

  it('stores no nonce for a limited request: the same signed request passes after Retry-After', async () => {
    const alice = await fx.therapist();
    limited();
    for (let i = 0; i < 3; i++) await fx.send(alice, 'GET', '/v1/prekeys/count');
    const headers = await signRequest(alice, { method: 'GET', path: '/v1/prekeys/count', body: new Uint8Array(0) }, { now: fx.now });
    const first = await fx.app.request('/v1/prekeys/count', { headers });
    expect(first.status).toBe(429);
    expect(await fx.store.hasNonce(alice.publicIdentity.signingKey, Buffer.from(headers['confidant-nonce']!, 'base64url'))).toBe(false);
    fx.now += Number(first.headers.get('retry-after')) * 1000;
    expect((await fx.app.request('/v1/prekeys/count', { headers })).status).toBe(200);
  });

  it('charges failed auth (unknown account, bad signature, unsigned) to the address', async () => {
    const alice = await fx.therapist();
    const stranger = await fx.newIdentity();
    limited();
    expect((await fx.send(stranger, 'GET', '/v1/prekeys/count')).status).toBe(401);
    expect((await fx.send(alice, 'GET', '/v1/prekeys/count', { time: fx.now - 3_600_000 })).status).toBe(401);
    expect((await fx.send(alice, 'GET', '/v1/prekeys/count', { unsigned: true })).status).toBe(401);
    const res = await fx.send(stranger, 'GET', '/v1/prekeys/count');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});

describe('a replayed request costs the address that sent it, never the account (issue 9, item 1)', () => {
  const fx = useAppFixture({ each: true });

  it('600 replays from address B leave the account served from address A; B is limited', async () => {
    const alice = await fx.therapist();
    // The default numbers (120 a burst, 20 a second); the address comes from `x-test-address`.
    fx.app = createApp({
      store: fx.store,
      blobs: fx.blobs,
      now: () => fx.now,
      rateLimit: { capacity: 120, refillPerSecond: 20, key: (c: Context) => c.req.header('x-test-address') },
    });
    const signed = await signRequest(alice, { method: 'GET', path: '/v1/prekeys/count', body: new Uint8Array(0) }, { now: fx.now });
    const from = (address: string, headers: Record<string, string>) =>
      fx.app.request('/v1/prekeys/count', { headers: { ...headers, 'x-test-address': address } });
    expect((await from('A', signed)).status).toBe(200);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const { status } = await from('B', signed);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const fresh = await signRequest(alice, { method: 'GET', path: '/v1/prekeys/count', body: new Uint8Array(0) }, { now: fx.now });
    expect((await from('A', fresh)).status).toBe(200);
    // B paid for its replays: refused as replays until its own bucket ran dry, then limited.
    expect([...statuses.keys()].sort()).toEqual([401, 429]);
    expect(statuses.get(401)).toBe(120);
  });
});
