/**
 * JSON request bodies: after `bodyLimit`, require `Content-Type: application/json` (else 415
 * `unsupported_media_type`), decode the kept bytes as strict UTF-8 JSON (else 400) and validate
 * them against a valibot schema from shared/ (else 400 `bad_request` naming the field, never
 * echoing its value). The handler reads the typed result with `c.get('json')`.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { RelayVariables } from '../context.ts';
import { RelayError } from '../errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export type JsonEnv<S extends v.GenericSchema> = { Variables: RelayVariables & { json: v.InferOutput<S> } };

export function jsonBody<S extends v.GenericSchema>(schema: S): MiddlewareHandler<JsonEnv<S>> {
  return async (c, next) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') throw new RelayError('unsupported_media_type', 'Content-Type must be application/json');
    let input: unknown;
    try {
      input = JSON.parse(utf8.decode(c.get('body')));
    } catch {
      throw new RelayError('bad_request', 'Body is not valid JSON');
    }
    const result = v.safeParse(schema, input);
    if (!result.success) {
      const issue = result.issues[0];
      const path = issue.path?.map((p) => String(p.key)).join('.') || '(root)';
      // valibot's default messages quote the received value: say only what was expected.
      const expected = issue.expected === null ? '' : `, expected ${issue.expected}`;
      throw new RelayError('bad_request', `Invalid field ${path} (${issue.type}${expected})`);
    }
    c.set('json', result.output);
    await next();
  };
}
