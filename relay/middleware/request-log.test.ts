import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestLog, type RequestLogOptions, type RequestLogVariables } from './request-log.ts';

const SECRETS = {
  header: 'Bearer sekrit-token-4f1c',
  signature: 'sig-9c2e77aa',
  query: 'cap-5be0d1f3',
  body: 'plaintext-body-ab12',
  fileName: 'therapy-notes.pdf',
  pathId: '0123456789abcdef0123456789abcdef',
};

function setup(options: RequestLogOptions = {}) {
  const lines: string[] = [];
  let wall = 1_750_000_000_000;
  let mono = 0;
  const app = new Hono<{ Variables: RequestLogVariables }>();
  app.use(
    '*',
    requestLog({
      sink: (l) => lines.push(l),
      now: () => wall++,
      monotonic: () => (mono += 2.5),
      ...options,
    }),
  );
  app.post('/mailboxes/:id/messages', async (c) => {
    await c.req.text();
    c.set('logIds', { mailbox: 'aabbccdd' });
    return c.body('stored', 201, { 'content-length': '6' });
  });
  app.get('/blobs/:id', (c) => c.json({ requestId: c.get('requestId') }));
  app.get('/boom', () => {
    throw new Error(`failed for ${SECRETS.fileName}`);
  });
  app.onError((_e, c) => c.json({ error: { code: 'internal', message: 'Internal error' } }, 500));
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { app, lines, parsed };
}

describe('requestLog', () => {
  it('writes one JSON line per request with every field, the route pattern and sizes', async () => {
    const { app, lines, parsed } = setup();
    const body = JSON.stringify({ text: SECRETS.body });
    const res = await app.request(`/mailboxes/${SECRETS.pathId}/messages?cap=${SECRETS.query}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    expect(res.status).toBe(201);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [line] = parsed();
    expect(line).toEqual({
      time: new Date(1_750_000_000_000).toISOString(),
      requestId: expect.stringMatching(/^[0-9a-f]{32}$/),
      method: 'POST',
      route: '/mailboxes/:id/messages',
      status: 201,
      durationMs: 2.5,
      requestBytes: body.length,
      responseBytes: 6,
      ids: { mailbox: 'aabbccdd' },
    });
    expect(res.headers.get('x-request-id')).toBe(line!.requestId);
  });

  it('never logs headers, query strings, bodies, raw paths, tokens, signatures or file names', async () => {
    const { app, lines } = setup();
    await app.request(`/mailboxes/${SECRETS.pathId}/messages?cap=${SECRETS.query}&name=${SECRETS.fileName}`, {
      method: 'POST',
      body: `${SECRETS.body} ${SECRETS.fileName}`,
      headers: {
        authorization: SECRETS.header,
        'x-signature': SECRETS.signature,
        'x-capability': SECRETS.query,
        'content-disposition': `attachment; filename="${SECRETS.fileName}"`,
        cookie: `session=${SECRETS.header}`,
        'user-agent': SECRETS.signature,
        'x-request-id': SECRETS.signature,
      },
    });
    await app.request(`/blobs/${SECRETS.pathId}?token=${SECRETS.query}`, { headers: { authorization: SECRETS.header } });
    await app.request(`/boom?x=${SECRETS.query}`);
    await app.request(`/nothing/${SECRETS.pathId}?q=${SECRETS.query}`);
    expect(lines).toHaveLength(4);
    const all = lines.join('\n');
    for (const secret of [...Object.values(SECRETS), 'sekrit', 'authorization', 'cookie', 'cap=', 'token', '?', 'therapy']) {
      expect(all).not.toContain(secret);
    }
  });

  it('uses a fresh random request id, ignoring one the client sent, and hands it to handlers', async () => {
    const { app, parsed } = setup();
    const a = await app.request(`/blobs/${SECRETS.pathId}`, { headers: { 'x-request-id': 'client-chosen' } });
    const b = await app.request(`/blobs/${SECRETS.pathId}`);
    const [la, lb] = parsed();
    expect(la!.requestId).not.toBe(lb!.requestId);
    expect(a.headers.get('x-request-id')).toBe(la!.requestId);
    expect(((await a.json()) as { requestId: string }).requestId).toBe(la!.requestId);
    expect(b.headers.get('x-request-id')).toBe(lb!.requestId);
    expect(la).toMatchObject({ method: 'GET', route: '/blobs/:id', status: 200, requestBytes: null });
    expect(la).not.toHaveProperty('ids');
  });

  it('logs a thrown error as its status, and an unmatched path with no route', async () => {
    const { app, parsed } = setup();
    expect((await app.request('/boom')).status).toBe(500);
    expect((await app.request('/nothing/here')).status).toBe(404);
    const [boom, missing] = parsed();
    expect(boom).toMatchObject({ route: '/boom', status: 500 });
    expect(missing).toMatchObject({ route: null, status: 404 });
  });

  it('shows the request id to onError (on c.res and c.get) and to the client on a 500', async () => {
    const lines: string[] = [];
    const app = new Hono<{ Variables: RequestLogVariables }>();
    app.use('*', requestLog({ sink: (l) => lines.push(l) }));
    app.get('/boom', () => {
      throw new Error('x');
    });
    app.onError((_e, c) =>
      c.json({ fromHeader: c.res.headers.get('x-request-id'), fromContext: c.get('requestId') }, 500),
    );
    const res = await app.request('/boom');
    const { requestId } = JSON.parse(lines[0]!) as { requestId: string };
    expect(await res.json()).toEqual({ fromHeader: requestId, fromContext: requestId });
    expect(res.headers.get('x-request-id')).toBe(requestId);
  });

  it('drops logIds that are not short hex or integers under identifier names', async () => {
    const lines: string[] = [];
    const app = new Hono<{ Variables: RequestLogVariables }>();
    app.use('*', requestLog({ sink: (l) => lines.push(l) }));
    app.get('/x', (c) => {
      c.set('logIds', {
        mailbox: 'aabb',
        count: 3,
        fileName: SECRETS.fileName,
        token: SECRETS.header,
        upper: 'AABB',
        long: 'a'.repeat(65),
        'bad name': 'aa',
        frac: 1.5,
      });
      return c.text('ok');
    });
    await app.request('/x');
    expect((JSON.parse(lines[0]!) as { ids: unknown }).ids).toEqual({ mailbox: 'aabb', count: 3 });
  });

  it('logs a custom method as OTHER and a malformed Content-Length as null', async () => {
    const { app, parsed } = setup();
    await app.request('/blobs/x', { method: 'PROPFIND' });
    expect(parsed()[0]).toMatchObject({ method: 'OTHER', requestBytes: null });
  });

  it('still answers when the sink throws', async () => {
    const { app } = setup({
      sink: () => {
        throw new Error('disk full');
      },
    });
    expect((await app.request('/blobs/x')).status).toBe(200);
  });

  it('throws at construction on bad options', () => {
    expect(() => requestLog({ sink: 'stdout' } as unknown as RequestLogOptions)).toThrow(TypeError);
    expect(() => requestLog({ now: 1 } as unknown as RequestLogOptions)).toThrow(TypeError);
    expect(() => requestLog(null as unknown as RequestLogOptions)).toThrow(TypeError);
    expect(() => requestLog()).not.toThrow();
  });
});
