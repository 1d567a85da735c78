/**
 * Relay bench helpers: serve a Hono app on a loopback port, and run autocannon against it
 * (same settings for both sides), returning requests per second and failing on any non-2xx.
 * @module
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { serve } from '@hono/node-server';

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

type Fetch = (request: Request) => Response | Promise<Response>;

export function serveLoopback(fetch: Fetch): Promise<Served> {
  return new Promise((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => {
      const server = s as Server;
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

/** The slice of autocannon's options and result this bench uses (the package ships no types). */
interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  setupRequest?: (req: CannonRequest, context: Record<string, unknown>) => CannonRequest;
  /** Called with each response's status and body (autocannon reads bodies only when this is set). */
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
interface CannonOptions {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  /** Total requests, spread evenly over the connections; when set, `duration` is ignored. */
  amount?: number;
  requests: CannonRequest[];
}
interface CannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (options: CannonOptions) => Promise<CannonResult>;

/** Load settings shared by every side of every relay request bench. */
export const LOAD = { connections: 10, pipelining: 1, duration: 5 } as const;

/** One autocannon run of `duration` seconds; returns 2xx responses per second, and throws if anything else came back. */
export async function cannon(url: string, requests: CannonRequest[], duration: number = LOAD.duration): Promise<number> {
  const r = await cannonRun(url, requests, { duration });
  return r.ok / r.seconds;
}

/**
 * One autocannon run, for `duration` seconds or until `amount` requests were answered (spread
 * evenly over the connections). Returns the 2xx count and the elapsed seconds by our own clock
 * around the whole run (autocannon's own `duration` is coarse); throws if anything but 2xx came back.
 */
export async function cannonRun(
  url: string,
  requests: CannonRequest[],
  { duration = LOAD.duration, amount }: { duration?: number; amount?: number },
): Promise<{ ok: number; seconds: number }> {
  const t0 = performance.now();
  const r = await autocannon({
    url,
    connections: LOAD.connections,
    pipelining: LOAD.pipelining,
    duration,
    requests,
    ...(amount === undefined ? {} : { amount }),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.non2xx || r.errors || r.timeouts) {
    throw new Error(`bench: ${url} answered ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  }
  return { ok: r['2xx'], seconds };
}
