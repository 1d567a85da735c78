/**
 * Edge errors of the relay: every failure leaves as `{ error: { code, message } }` with a
 * 4xx/5xx status, from one place (Hono's notFound and onError hooks). Routes and middleware
 * throw `RelayError` (status + code + a message safe to show); the protocol's `schema` and
 * `malformed` errors from shared/ become 400s.
 *
 * Does not: log request or response bodies, keys, signatures or messages, or echo anything the
 * client sent. A 5xx is logged as a request id and the error's name only.
 * @module
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfidantError } from '../shared/errors.ts';

/** Codes the relay answers with at its edge, each with its one status. */
export const RELAY_ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** The request did not arrive in time (Node's request timeout; relay/server.ts). */
  request_timeout: 408,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  /** The request head is over `MAX_HEADER_BYTES` (relay/limits.ts). */
  headers_too_large: 431,
  /** A mailbox is full: the sender may retry later. */
  quota: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type RelayErrorCode = keyof typeof RELAY_ERROR_STATUS;

export interface ErrorBody {
  readonly error: { readonly code: RelayErrorCode; readonly message: string };
}

export const errorBody = (code: RelayErrorCode, message: string): ErrorBody => ({
  error: { code, message },
});

/** A refusal the client may see: the message must hold nothing the client did not already know. */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly code: RelayErrorCode;
  readonly status: ContentfulStatusCode;

  constructor(code: RelayErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = RELAY_ERROR_STATUS[code];
  }
}

/** Seconds a client is asked to wait (`Retry-After`) while the store cannot be reached. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** Node's codes for a connection that could not be made or was lost, and for a full disk. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE',
]);
/**
 * PostgreSQL SQLSTATEs of a server that is not there for us right now: class 08 (connection
 * exception), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting
 * or stopping), 53300 too many connections.
 */
const PG_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
/** node-postgres's own errors for a lost or unusable connection carry no code, only these words. */
const PG_CONNECTION_MESSAGE = /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect)/;
/**
 * SQLite result codes of a database that is there but cannot be used this moment: another
 * connection holds the lock past the busy timeout, an I/O error, a full disk, a file that
 * cannot be opened.
 */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN)/;

/**
 * True when `err` says the store cannot be reached or used right now (the database is down,
 * restarting, locked or out of disk), as opposed to a bug: such a failure is a 503 the client
 * retries after `Retry-After`, not a 500. Looks through `AggregateError` (a connect that tried
 * several addresses) and `cause`.
 */
export function isStoreUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || PG_UNAVAILABLE.test(code) || SQLITE_UNAVAILABLE.test(code))) return true;
  if (typeof message === 'string' && PG_CONNECTION_MESSAGE.test(message)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isStoreUnavailable(e, depth + 1))) return true;
  return cause !== undefined && isStoreUnavailable(cause, depth + 1);
}

/** The 503 of a store that cannot be reached, with `Retry-After`. */
export const storeUnavailable = (c: Context): Response =>
  c.json(errorBody('unavailable', 'Service temporarily unavailable; retry after the Retry-After delay'), 503, {
    'Retry-After': String(STORE_RETRY_AFTER_SECONDS),
  });

/** Hono's own exceptions (e.g. from its helpers) keep their status; this picks the body's code. */
const codeForStatus = (status: number): RelayErrorCode => {
  switch (status) {
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 413: return 'too_large';
    case 415: return 'unsupported_media_type';
    case 429: return 'rate_limited';
    default: return 'bad_request';
  }
};

/** Unknown route or method: 404, same shape as every other error. */
export const notFound: NotFoundHandler = (c: Context) =>
  c.json(errorBody('not_found', 'No such route'), 404);

/** A short id tying a 5xx answer to its log line (no request data in either). */
const requestId = (c: Context): string => {
  const fromHeader = c.res.headers.get('x-request-id');
  return fromHeader ?? crypto.randomUUID();
};

/**
 * Last-resort handler. RelayError keeps its status and message; an HTTPException below 500 and
 * a shared `schema`/`malformed` error become a generic 4xx; a store that cannot be reached
 * (`isStoreUnavailable`) is 503 `unavailable` with `Retry-After`; anything else is a 500 whose
 * details stay out of the answer (the log gets the request id and the error's name only: messages may
 * carry data).
 */
export const onError: ErrorHandler = (err, c) => {
  if (err instanceof RelayError) {
    if (err.status < 500) return c.json(errorBody(err.code, err.message), err.status);
  } else if (err instanceof HTTPException && err.status < 500) {
    return c.json(errorBody(codeForStatus(err.status), 'Request refused'), err.status as ContentfulStatusCode);
  } else if (ConfidantError.is(err, 'schema') || ConfidantError.is(err, 'malformed')) {
    return c.json(errorBody('bad_request', 'Request does not match its schema'), 400);
  } else if (ConfidantError.is(err, 'too_large')) {
    return c.json(errorBody('too_large', 'Request body too large'), 413);
  }
  const id = requestId(c);
  c.header('x-request-id', id);
  if ((err instanceof RelayError && err.code === 'unavailable') || isStoreUnavailable(err)) {
    // The code only (ECONNREFUSED, 57P01, SQLITE_BUSY...): a message may carry the database URL.
    const code = (err as { code?: unknown }).code;
    console.error(`relay: request ${id} refused, store unavailable: ${err.name}${typeof code === 'string' ? ` ${code}` : ''}`);
    return storeUnavailable(c);
  }
  console.error(`relay: request ${id} failed: ${err.name}`);
  return c.json(errorBody('internal', `Internal error (request ${id})`), 500);
};
