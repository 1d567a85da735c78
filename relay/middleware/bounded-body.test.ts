/**
 * `boundedBody` (bounded-body.ts) over a real socket: its shortcut exists only under @hono/node-server,
 * so these requests go through node:http (raw bytes, so every header is exactly as written),
 * not `app.request()`. The answers must be bodyLimit's: exact bytes within the limit, 413 over
 * it whether declared or chunked, an empty body when no length is given.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayEnv } from '../context.ts';
import { onError } from '../errors.ts';
import { boundedBody } from './bounded-body.ts';

const LIMIT = 1000;

/** Sends `head` + `body` as raw bytes on a fresh connection and returns everything answered. */
function raw(url: string, head: string, body: Uint8Array = new Uint8Array(0)): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(head.replace(/\n/g, '\r\n') + '\r\n');
      socket.end(body);
    });
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

const status = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
const json = (response: string): unknown => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4).split('\r\n').find((l) => l.startsWith('{')) ?? 'null');

describe('boundedBody under @hono/node-server', () => {
  let server: Server;
  let served: { url: string };
  beforeAll(async () => {
    const app = new Hono<RelayEnv>()
      .post('/echo', boundedBody(LIMIT), (c) => c.json({ length: c.get('body').length, hex: Buffer.from(c.get('body')).toString('hex') }))
      .onError(onError);
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve()) as Server;
    });
    served = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (headers: string, body?: Uint8Array): Promise<string> =>
    raw(served.url, `POST /echo HTTP/1.1\nHost: x\nConnection: close\n${headers}`, body);

  it('hands on exactly the declared bytes within the limit', async () => {
    for (const n of [0, 1, LIMIT]) {
      const body = randomBytes(n);
      const res = await post(`Content-Length: ${n}\n`, body);
      expect(status(res)).toBe(200);
      expect(json(res)).toEqual({ length: n, hex: body.toString('hex') });
    }
  });

  it('refuses a declared length over the limit with 413 too_large', async () => {
    const res = await post(`Content-Length: ${LIMIT + 1}\n`, randomBytes(LIMIT + 1));
    expect(status(res)).toBe(413);
    expect(json(res)).toMatchObject({ error: { code: 'too_large' } });
  });

  it('reads a chunked body within the limit through bodyLimit', async () => {
    const body = randomBytes(600);
    const chunked = Buffer.concat([
      Buffer.from('12c\r\n'), body.subarray(0, 300), Buffer.from('\r\n12c\r\n'), body.subarray(300), Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const res = await post('Transfer-Encoding: chunked\n', chunked);
    expect(status(res)).toBe(200);
    expect(json(res)).toEqual({ length: 600, hex: body.toString('hex') });
  });

  it('refuses a chunked body over the limit with 413 too_large', async () => {
    const chunk = randomBytes(800);
    const chunked = Buffer.concat([Buffer.from('320\r\n'), chunk, Buffer.from('\r\n320\r\n'), chunk, Buffer.from('\r\n0\r\n\r\n')]);
    const res = await post('Transfer-Encoding: chunked\n', chunked);
    expect(status(res)).toBe(413);
    expect(json(res)).toMatchObject({ error: { code: 'too_large' } });
  });

  it('treats a request without Content-Length or Transfer-Encoding as having no body', async () => {
    const res = await post('');
    expect(status(res)).toBe(200);
    expect(json(res)).toEqual({ length: 0, hex: '' });
  });

  it('never hands on more than the declared length: what follows is the next request', async () => {
    const first = randomBytes(4);
    const second = randomBytes(2);
    const res = await raw(
      served.url,
      'POST /echo HTTP/1.1\nHost: x\nContent-Length: 4\n',
      Buffer.concat([first, Buffer.from('POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n'), second]),
    );
    // Two answers back to back on the one connection.
    const bodies = [...res.matchAll(/\{"length":\d+,"hex":"[0-9a-f]*"\}/g)].map((m) => JSON.parse(m[0]) as unknown);
    expect(bodies).toEqual([
      { length: 4, hex: first.toString('hex') },
      { length: 2, hex: second.toString('hex') },
    ]);
  });
});
