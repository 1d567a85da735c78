/**
 * Every 2xx JSON answer of the relay goes through `reply`, with its schema from
 * shared/schemas.ts, the same one the device parses it with (client/api/relay.ts): the body
 * must have the schema's type to compile, and is checked against it before it is sent, so the
 * wire format has one definition for both sides. A body that fails its own schema is a relay
 * bug: it throws, and the error handler answers 500 `internal` (relay/errors.ts) rather than
 * sending it.
 * @module
 */
import type { Context } from 'hono';
import * as v from 'valibot';

export function reply<S extends v.GenericSchema>(c: Context, schema: S, body: v.InferInput<S>, status: 200 | 201 = 200): Response {
  const checked = v.safeParse(schema, body);
  if (!checked.success) throw new Error(`reply: the answer does not match its schema at ${checked.issues[0].path?.map((p) => String(p.key)).join('.') || '(root)'}`);
  return c.json(checked.output as object, status);
}
