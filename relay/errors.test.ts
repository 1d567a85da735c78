import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfidantError } from '../shared/errors.ts';
import Database from 'better-sqlite3';
import pg from 'pg';
import { isStoreUnavailable, notFound, onError, RELAY_ERROR_STATUS, RelayError, STORE_RETRY_AFTER_SECONDS, type RelayErrorCode } from './errors.ts';

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

  it('answers a store that cannot be reached with 503 unavailable and Retry-After, logging its code only (issue 9, item 5)', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const pgError = (code: string) => Object.assign(new pg.DatabaseError('terminating connection due to administrator command (postgres://u:pw@db)', 0, 'error'), { code });
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const unreachable = [
      refused,
      new AggregateError([refused], 'connect failed'),
      pgError('57P01'),
      pgError('57P02'),
      pgError('57P03'),
      pgError('08006'),
      pgError('08001'),
      pgError('53300'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Database.SqliteError('database is locked', 'SQLITE_BUSY'),
      new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'),
      new Database.SqliteError('database or disk is full', 'SQLITE_FULL'),
      Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }),
      new RelayError('unavailable', 'x'),
    ];
    for (const err of unreachable) {
      expect(isStoreUnavailable(err) || err instanceof RelayError, err.message).toBe(true);
      const res = await appThrowing(err).request('/x');
      expect(res.status, err.message).toBe(503);
      expect(res.headers.get('retry-after')).toBe(String(STORE_RETRY_AFTER_SECONDS));
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
      expect(text).not.toContain('pw');
    }
    for (const line of log.mock.calls.map((call) => String(call[0]))) {
      expect(line).not.toContain('pw');
      expect(line).not.toContain('10.0.0.5');
    }
    // Bugs and refusals stay what they are.
    for (const err of [pgError('23505'), pgError('42P01'), new Database.SqliteError('constraint', 'SQLITE_CONSTRAINT_UNIQUE'), new TypeError('x')]) {
      expect(isStoreUnavailable(err), err.message).toBe(false);
      expect((await appThrowing(err).request('/x')).status).toBe(500);
    }
  });
});
