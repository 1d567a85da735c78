/**
 * Test helpers for the relay's edge over real sockets: a real listening relay (relay/server.ts,
 * as start.ts runs it) and raw HTTP/1.1 exchanges whose bytes are exactly as written, so
 * request targets reach the server unnormalised (fetch and `app.request()` normalise URLs) and
 * a test can send the head of a request and wait for the answer before any body.
 * @module
 */
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { serveRelay } from '../server.ts';
import type { WebSocketServer } from 'ws';

export interface ListeningRelay {
  readonly port: number;
  close(): Promise<void>;
}

/** `app` (anything with Hono's `fetch`) behind `serveRelay` on a free loopback port. */
export async function listenRelay(app: { fetch: (request: Request, env?: unknown) => Response | Promise<Response> }, websocket?: { server: WebSocketServer }): Promise<ListeningRelay> {
  let server!: Server;
  await new Promise<void>((resolve) => {
    server = serveRelay({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', ...(websocket ? { websocket } : {}), onListening: () => resolve() });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The socket, still open or not: the caller may write more or wait for the close. */
  readonly socket: Socket;
  /** Resolves when the server closed the connection (or it was reset). */
  readonly closed: Promise<void>;
}

/**
 * Opens a connection, writes `head` (lines joined with CRLF, ending with the blank line) and
 * then `body` when given, without ending the connection from our side, and resolves with the
 * first final (non-1xx) response as soon as it is complete: its head plus Content-Length bytes,
 * or everything until the server closes when it gives no length. Rejects when the server closes
 * without answering.
 */
export function rawExchange(port: number, head: readonly string[] | string, body?: Uint8Array | string): Promise<RawResponse> {
  const text = typeof head === 'string' ? head : `${head.join('\r\n')}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let closedResolve!: () => void;
    const closed = new Promise<void>((r) => (closedResolve = r));
    let buffer = Buffer.alloc(0);
    let done = false;
    const finish = (ended: boolean): void => {
      if (done) return;
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        if (status >= 100 && status < 200) {
          buffer = buffer.subarray(end + 4);
          continue;
        }
        const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
        const rest = buffer.subarray(end + 4);
        if (length !== undefined ? rest.length < length : !ended) return;
        done = true;
        resolve({ status, headers, body: rest.subarray(0, length ?? rest.length).toString('utf8'), socket, closed });
        return;
      }
      if (ended) {
        done = true;
        reject(new Error(`raw-http: connection closed without an answer (${buffer.length} bytes received)`));
      }
    };
    socket.on('connect', () => {
      socket.write(text);
      if (body !== undefined) socket.write(body);
    });
    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => {
      finish(true);
      closedResolve();
    });
    // A reset after the answer is the server letting go; before it, finish(true) rejects.
    socket.on('error', () => {});
  });
}
