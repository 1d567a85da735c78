import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { RelayEnv } from '../context.ts';
import { notFound, onError } from '../errors.ts';
import { bodyLimit } from './body-limit.ts';

const makeApp = (max: number) => {
  const app = new Hono<RelayEnv>();
  let handled = 0;
  app.post('/x', bodyLimit(max), (c) => {
    handled++;
    return c.json({ size: c.get('body').byteLength });
  });
  app.notFound(notFound);
  app.onError(onError);
  return { app, handled: () => handled };
};

/** A body stream without a length: the request goes out chunked. */
const chunked = (chunkSize: number, chunks: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } => {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === chunks) return controller.close();
      sent++;
      controller.enqueue(new Uint8Array(chunkSize).fill(7));
    },
  });
  return { stream, pulled: () => sent };
};

const post = (app: Hono<RelayEnv>, body: BodyInit, headers: Record<string, string> = {}) =>
  app.request('/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

describe('bodyLimit', () => {
  it('passes a body within the limit and keeps its bytes', async () => {
    const { app } = makeApp(10);
    const res = await post(app, new Uint8Array(10));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ size: 10 });
  });

  it('gives an empty body when there is none', async () => {
    const { app } = makeApp(10);
    expect(await (await app.request('/x', { method: 'POST' })).json()).toEqual({ size: 0 });
  });

  it('refuses a declared Content-Length over the limit with 413 before the handler', async () => {
    const { app, handled } = makeApp(10);
    const res = await post(app, new Uint8Array(11));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('too_large');
    expect(handled()).toBe(0);
  });

  it('refuses a chunked body without Content-Length once it passes the limit, without reading it all', async () => {
    const { app, handled } = makeApp(1000);
    const { stream, pulled } = chunked(100, 1000);
    const res = await post(app, stream);
    expect(res.status).toBe(413);
    expect(handled()).toBe(0);
    expect(pulled()).toBeLessThan(50);
  });

  it('accepts a chunked body within the limit', async () => {
    const { app } = makeApp(1000);
    const res = await post(app, chunked(100, 10).stream);
    expect(await res.json()).toEqual({ size: 1000 });
  });

  it('refuses a body larger than its lying Content-Length says', async () => {
    const { app, handled } = makeApp(100);
    const { stream } = chunked(64, 20);
    const res = await post(app, stream, { 'content-length': '10' });
    expect(res.status).toBe(413);
    expect(handled()).toBe(0);
  });

  it('refuses a malformed Content-Length with 400', async () => {
    const { app } = makeApp(100);
    const res = await post(app, chunked(1, 1).stream, { 'content-length': '-5' });
    expect(res.status).toBe(400);
  });

  it('refuses a bad limit when built', () => {
    expect(() => bodyLimit(-1)).toThrow(RangeError);
    expect(() => bodyLimit(1.5)).toThrow(RangeError);
  });
});
