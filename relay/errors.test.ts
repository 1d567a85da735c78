import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfidantError } from '../shared/errors.ts';
import { notFound, onError, RELAY_ERROR_STATUS, RelayError, type RelayErrorCode } from './errors.ts';

const appThrowing = (err: unknown): Hono => {
  const app = new Hono();
  app.get('/x', () => {
    throw err;
  });
  app.notFound(notFound);
  app.onError(onError);
  return app;
};

const bodyOf = async (res: Response) => (await res.json()) as { error: { code: string; message: string } };

describe('relay errors', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers each RelayError code with its status and the JSON shape', async () => {
    for (const code of Object.keys(RELAY_ERROR_STATUS) as RelayErrorCode[]) {
      if (RELAY_ERROR_STATUS[code] >= 500) continue;
      const res = await appThrowing(new RelayError(code, 'why')).request('/x');
      expect(res.status).toBe(RELAY_ERROR_STATUS[code]);
      expect(await bodyOf(res)).toEqual({ error: { code, message: 'why' } });
    }
  });

  it('maps HTTPException 4xx by status and shared schema/malformed errors to 400', async () => {
    expect((await appThrowing(new HTTPException(413)).request('/x')).status).toBe(413);
    expect((await appThrowing(new HTTPException(405)).request('/x')).status).toBe(405);
    const res = await appThrowing(new ConfidantError('schema', 'body: a: secret-detail')).request('/x');
    expect(res.status).toBe(400);
    const body = await bodyOf(res);
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message).not.toContain('secret-detail');
    expect((await appThrowing(new ConfidantError('malformed', 'x')).request('/x')).status).toBe(400);
  });

  it('answers anything else with a 500 without details and logs only the id and error name', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appThrowing(new TypeError('SELECT secret FROM /var/data')).request('/x');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret');
    expect(text).not.toContain('SELECT');
    expect(JSON.parse(text).error.code).toBe('internal');
    expect(log).toHaveBeenCalledTimes(1);
    const line = String(log.mock.calls[0]?.[0]);
    expect(line).toContain('TypeError');
    expect(line).not.toContain('secret');
    expect(line).not.toContain('/x');
  });
});
