import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import * as v from 'valibot';
import { MessageStoredJson, PreKeyCountJson } from '../shared/schemas.ts';
import { onError } from './errors.ts';
import { reply } from './reply.ts';

describe('reply: the 2xx answer built against its shared schema', () => {
  const app = new Hono()
    .get('/ok', (c) => reply(c, MessageStoredJson, { seq: 7 }, 201))
    .get('/extra', (c) => reply(c, PreKeyCountJson, { oneTime: 3, secret: 'x' } as v.InferInput<typeof PreKeyCountJson>))
    .get('/bad', (c) => reply(c, MessageStoredJson, { seq: -1 }));
  app.onError(onError);

  it('sends a body that matches with its status, and only the keys the schema names', async () => {
    const ok = await app.request('/ok');
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ seq: 7 });
    expect(await (await app.request('/extra')).json()).toEqual({ oneTime: 3 });
  });

  it('never sends a body that fails its schema: the relay answers 500 internal instead', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await app.request('/bad');
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('internal');
    } finally {
      log.mockRestore();
    }
  });
});
