/**
 * Edge errors of the relay: every failure leaves as `{ error: { code, message } }` with a
 * 4xx/5xx status, from one place (Hono's notFound and onError hooks).
 *
 * Does not: log request or response bodies, or echo anything the client sent. The relay issue
 * adds request ids and the full code list (shared/errors.ts owns the protocol codes).
 * @module
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Codes the relay answers with at its edge. */
export type RelayErrorCode = 'not_found' | 'bad_request' | 'internal';

export interface ErrorBody {
  readonly error: { readonly code: RelayErrorCode; readonly message: string };
}

export const errorBody = (code: RelayErrorCode, message: string): ErrorBody => ({
  error: { code, message },
});

/** Unknown route or method: 404, same shape as every other error. */
export const notFound: NotFoundHandler = (c: Context) =>
  c.json(errorBody('not_found', 'No such route'), 404);

/**
 * Last-resort handler. An HTTPException keeps its status; anything else is a 500 whose details
 * stay in the log (name only: messages may carry data) and never reach the client.
 */
export const onError: ErrorHandler = (err, c) => {
  if (err instanceof HTTPException && err.status < 500) {
    return c.json(errorBody('bad_request', 'Bad request'), err.status as ContentfulStatusCode);
  }
  console.error(`relay: ${c.req.method} ${c.req.path} failed: ${err.name}`);
  return c.json(errorBody('internal', 'Internal error'), 500);
};
