import { Hono } from 'hono';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { notFound, onError } from '../errors.ts';
import { bodyLimit } from './body-limit.ts';
import { jsonBody } from './json-body.ts';

const Schema = v.object({ n: v.number() });
const app = new Hono();
app.post('/x', bodyLimit(100), jsonBody(Schema), (c) => c.json({ got: c.get('json').n }));
app.notFound(notFound);
app.onError(onError);

const post = (body: string, type?: string) =>
  app.request('/x', { method: 'POST', body, headers: type === undefined ? {} : { 'content-type': type } });
const err = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe('jsonBody', () => {
  it('hands the parsed, validated body to the handler (charset parameter allowed)', async () => {
    expect(await (await post('{"n":3,"extra":1}', 'application/json')).json()).toEqual({ got: 3 });
    expect(await (await post('{"n":4}', 'Application/JSON; charset=utf-8')).json()).toEqual({ got: 4 });
  });

  it('refuses other or missing content types with 415', async () => {
    for (const type of [undefined, 'text/plain', 'application/jsonx', 'multipart/form-data']) {
      const res = await post('{"n":1}', type);
      expect(res.status).toBe(415);
      expect((await err(res)).code).toBe('unsupported_media_type');
    }
  });

  it('refuses malformed JSON and schema mismatches with 400 without echoing values', async () => {
    expect((await post('{"n":', 'application/json')).status).toBe(400);
    const res = await post('{"n":"secret-value"}', 'application/json');
    expect(res.status).toBe(400);
    const e = await err(res);
    expect(e.code).toBe('bad_request');
    expect(e.message).toContain('n');
    expect(e.message).not.toContain('secret-value');
  });
});
