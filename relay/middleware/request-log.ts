/**
 * One structured JSON line per request (relay issue, "Logs"): time, request id, method, route
 * pattern, status, duration and sizes, plus the safe ids a handler chose to add.
 *
 * What a line never holds, by construction (only the fields below are ever read):
 * - headers (tokens, signatures, capabilities travel there), the query string, the raw path
 *   (paths carry mailbox and blob ids and may carry capabilities), bodies, file names, keys,
 *   the client address. The route is Hono's registered pattern (`/mailboxes/:id`), not the path.
 * - Content-Length is read only as a number.
 * - `logIds` entries pass only when the name is a short identifier and the value is short
 *   lowercase hex or a safe integer; handlers must still put only non-secret ids there (a
 *   mailbox id, never a capability: both are hex).
 *
 * The request id is 128 random bits, fresh for each request (a client-sent `x-request-id` is
 * ignored: it could carry anything). It is set as `c.set('requestId')` for onError and as the
 * `x-request-id` response header (before the handlers run, so onError can read it from
 * `c.res`, and again after) so an operator can match a user's report to a line.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';

/** Context variables this middleware sets or reads; merge into the app's Variables type. */
export interface RequestLogVariables {
  /** Set here before the handlers run. */
  requestId: string;
  /** Set by handlers: non-secret ids worth logging, e.g. `{ mailbox: '<hex>' }`. */
  logIds: Readonly<Record<string, string | number>>;
}

/** One log line, as JSON. `null` means unknown (no Content-Length, for instance). */
export interface RequestLogLine {
  /** ISO 8601, UTC, when the request arrived. */
  readonly time: string;
  readonly requestId: string;
  readonly method: string;
  /** Registered route pattern; `null` when no route matched. */
  readonly route: string | null;
  readonly status: number;
  /** Milliseconds, to 0.1 ms. */
  readonly durationMs: number;
  readonly requestBytes: number | null;
  readonly responseBytes: number | null;
  readonly ids?: Readonly<Record<string, string | number>>;
}

export interface RequestLogOptions {
  /** Receives each line (JSON, no newline). Default: stdout, one line each. */
  readonly sink?: (line: string) => void;
  /** Wall clock in ms for `time`; default `Date.now`. */
  readonly now?: () => number;
  /** Monotonic clock in ms for `durationMs`; default `performance.now`. */
  readonly monotonic?: () => number;
  /** Request id source; default 16 random bytes as hex. */
  readonly requestId?: () => string;
}

export const REQUEST_ID_HEADER = 'x-request-id';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const ID_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,31}$/;
const ID_HEX = /^[0-9a-f]{1,64}$/;
const MAX_IDS = 8;

const defaultSink = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A Content-Length header as a byte count, or null when absent or malformed. */
function contentLength(value: string | null | undefined): number | null {
  if (value == null || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

/** Only short identifier names with short hex or safe-integer values; anything else is dropped. */
function safeIds(raw: unknown): Record<string, string | number> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const out: Record<string, string | number> = {};
  let n = 0;
  for (const [name, value] of Object.entries(raw)) {
    if (n >= MAX_IDS || !ID_NAME.test(name)) continue;
    if ((typeof value === 'string' && ID_HEX.test(value)) || Number.isSafeInteger(value)) {
      out[name] = value as string | number;
      n++;
    }
  }
  return n > 0 ? out : undefined;
}

/**
 * The pattern of the route that answered. When nothing matched, the last route Hono ran is a
 * middleware (`use`, method ALL) and the response came from notFound: report no route.
 */
function answeredRoute(c: Context, status: number): string | null {
  try {
    const path = routePath(c);
    if (path === '') return null;
    if (status === 404) {
      const routes = matchedRoutes(c);
      const last = routes[c.req.routeIndex];
      if (last?.method === 'ALL' && routes.length - 1 === c.req.routeIndex) return null;
    }
    return path;
  } catch {
    return null;
  }
}

function check(fn: unknown, name: string): void {
  if (fn !== undefined && typeof fn !== 'function') {
    throw new TypeError(`requestLog: ${name} must be a function, got ${typeof fn}`);
  }
}

export function requestLog(options: RequestLogOptions = {}): MiddlewareHandler {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`requestLog: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  check(options.sink, 'sink');
  check(options.now, 'now');
  check(options.monotonic, 'monotonic');
  check(options.requestId, 'requestId');
  const sink = options.sink ?? defaultSink;
  const now = options.now ?? Date.now;
  const monotonic = options.monotonic ?? (() => performance.now());
  const newId = options.requestId ?? (() => randomBytes(16).toString('hex'));

  return async (c, next) => {
    const time = new Date(now()).toISOString();
    const start = monotonic();
    const requestId = newId();
    c.set('requestId', requestId);
    // Set before the handlers too, so onError (relay/errors.ts) finds it on c.res.
    c.header(REQUEST_ID_HEADER, requestId);
    let status = 500;
    try {
      await next();
      status = c.res.status;
      try {
        c.res.headers.set(REQUEST_ID_HEADER, requestId);
      } catch {
        // Immutable headers (a Response from fetch): copy it once.
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(REQUEST_ID_HEADER, requestId);
      }
    } finally {
      const line: RequestLogLine = {
        time,
        requestId,
        method: METHODS.has(c.req.method) ? c.req.method : 'OTHER',
        route: answeredRoute(c, status),
        status,
        durationMs: Math.round((monotonic() - start) * 10) / 10,
        requestBytes: contentLength(c.req.header('content-length')),
        responseBytes: contentLength(c.res.headers.get('content-length')),
      };
      const ids = safeIds(c.get('logIds'));
      try {
        sink(JSON.stringify(ids === undefined ? line : { ...line, ids }));
      } catch {
        // A failing sink must not fail the request.
      }
    }
  };
}
