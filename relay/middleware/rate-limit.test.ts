import { Hono, type Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { defaultRateLimitKey, rateLimit, type RateLimitOptions } from './rate-limit.ts';

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

  it('keys by the authenticated account by default, else by socket address', async () => {
    const clock = { t: 0 };
    const app = new Hono<{ Variables: { account: unknown } }>();
    app.use('*', async (c, next) => {
      const who = c.req.header('x-account');
      if (who !== undefined) c.set('account', { signingKey: new Uint8Array(32).fill(Number(who)) });
      await next();
    });
    app.use('*', rateLimit({ capacity: 1, refillPerSecond: 1, now: () => clock.t }));
    app.get('/x', (c) => c.text('ok'));
    const env = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });
    const get = (headers: Record<string, string>, address: string) => app.request('/x', { headers }, env(address));

    expect((await get({ 'x-account': '1' }, '10.0.0.1')).status).toBe(200);
    expect((await get({ 'x-account': '1' }, '10.0.0.2')).status).toBe(429); // same account, other address
    expect((await get({ 'x-account': '2' }, '10.0.0.1')).status).toBe(200); // other account, same address
    expect((await get({}, '10.0.0.1')).status).toBe(200); // anonymous: by address
    expect((await get({}, '10.0.0.1')).status).toBe(429);
    expect((await get({}, '10.0.0.3')).status).toBe(200);
    // X-Forwarded-For is not trusted by default.
    expect((await get({ 'x-forwarded-for': '192.0.2.9' }, '10.0.0.3')).status).toBe(429);
  });

  it('defaultRateLimitKey prefixes accounts and addresses so they never share a bucket', async () => {
    const app = new Hono<{ Variables: { account: unknown } }>();
    const keys: string[] = [];
    app.get('/x', (c) => {
      keys.push(defaultRateLimitKey(c));
      c.set('account', new Uint8Array([0xab, 0xcd]));
      keys.push(defaultRateLimitKey(c));
      return c.text('ok');
    });
    await app.request('/x', {}, { incoming: { socket: { remoteAddress: '::1' } } });
    await app.request('/x');
    expect(keys).toEqual(['ip:::1', 'a:abcd', 'unknown', 'a:abcd']);
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
    ]) {
      expect(() => rateLimit(bad as RateLimitOptions), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(() => rateLimit({ ...ok, capacity: '3' } as unknown as RateLimitOptions)).toThrow(RangeError);
    expect(() => rateLimit({ ...ok, key: 'x' } as unknown as RateLimitOptions)).toThrow(TypeError);
    expect(() => rateLimit({ ...ok, now: 5 } as unknown as RateLimitOptions)).toThrow(TypeError);
    expect(() => rateLimit(undefined as unknown as RateLimitOptions)).toThrow(TypeError);
  });
});
