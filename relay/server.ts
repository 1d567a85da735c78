/**
 * The relay's HTTP server: `serve` from @hono/node-server with the limits and refusals that sit
 * below the app, where Hono never sees the request (issue 9). start.ts uses it; tests use it to
 * talk to a real listening relay over real sockets.
 *
 * - Request headers: at most `MAX_HEADER_BYTES` (relay/limits.ts: 16 KiB, request line
 *   included, Node's `maxHeaderSize`), set here rather than left to Node's default so the
 *   documented number is this one (docs/API.md).
 * - Requests Node's parser refuses before a request exists (headers over that limit, a
 *   malformed request line, a request that took too long to arrive) get the relay's one error
 *   shape (`{ error: { code, message } }`, relay/errors.ts) from the `clientError` hook, with
 *   `Cache-Control: no-store` and `Connection: close`, instead of Node's bare status line. Then
 *   the server stops reading the request but keeps draining what the client is still sending
 *   for a moment (a "lingering close"), so a client that is still writing its huge header reads
 *   the answer instead of a connection reset.
 *
 * Does not: echo anything of the refused request, or log it.
 * @module
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { WebSocketServer } from 'ws';
import { errorBody, RELAY_ERROR_STATUS, type RelayErrorCode } from './errors.ts';
import { MAX_HEADER_BYTES, REFUSAL_LINGER_MS } from './limits.ts';

const REASON: Partial<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** The refusal for a parser error: its code, and a message that holds nothing the client sent. */
const refusalFor = (code: string | undefined): { code: RelayErrorCode; message: string } => {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'headers_too_large', message: `Request headers exceed ${MAX_HEADER_BYTES} bytes` };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout', message: 'Request took too long to arrive' };
    default:
      return { code: 'bad_request', message: 'Malformed HTTP request' };
  }
};

/** The raw HTTP/1.1 answer for a refusal (there is no request or response object yet). */
export const rawErrorResponse = (code: RelayErrorCode, message: string): string => {
  const status = RELAY_ERROR_STATUS[code];
  const body = JSON.stringify(errorBody(code, message));
  return [
    `HTTP/1.1 ${status} ${REASON[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
    'Connection: close',
    '',
    body,
  ].join('\r\n');
};

/** Node's `clientError` hook: answer in the relay's shape where the socket still takes it. */
const onClientError = (err: NodeJS.ErrnoException, socket: Socket): void => {
  // A reset or an already closed socket has no one to answer.
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { code, message } = refusalFor(err.code);
  socket.end(rawErrorResponse(code, message));
  // Lingering close: discard what the client still sends, then let go.
  socket.on('data', () => {});
  socket.on('error', () => socket.destroy());
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
};

export interface RelayServerOptions {
  readonly fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  readonly port: number;
  readonly hostname: string;
  /** The live socket server (GET /v1/live upgrades), when the app has live routes. */
  readonly websocket?: { readonly server: WebSocketServer };
  readonly onListening?: (info: { address: string; family: string; port: number }) => void;
}

/** Binds the app to `hostname:port` with the limits above. */
export function serveRelay(options: RelayServerOptions): Server {
  const server: ServerType = serve(
    {
      fetch: options.fetch,
      port: options.port,
      hostname: options.hostname,
      serverOptions: { maxHeaderSize: MAX_HEADER_BYTES },
      ...(options.websocket ? { websocket: options.websocket } : {}),
    },
    options.onListening,
  );
  const http = server as Server;
  http.on('clientError', onClientError);
  return http;
}
