/**
 * `npm start`: binds the relay to PORT (default 8787) on HOST (default 127.0.0.1) with its
 * data under DATA_DIR (default ./data, created if missing).
 * @module
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';

const DEFAULT_PORT = 8787;

const parsePort = (raw: string | undefined): number => {
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`relay: PORT must be an integer 0..65535, got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return port;
};

const port = parsePort(process.env.PORT);
const hostname = process.env.HOST || '127.0.0.1';
const dataDir = resolve(process.env.DATA_DIR || 'data');
mkdirSync(dataDir, { recursive: true });

const server = serve({ fetch: createApp().fetch, port, hostname }, (info) => {
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  console.log(
    `relay skeleton listening on http://${host}:${info.port} (GET /healthz), data in ${dataDir}; ` +
      'the full relay and the client app arrive in later issues',
  );
});

server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`relay: cannot listen on ${hostname}:${port}: ${err.code ?? err.message}`);
  process.exit(1);
});

const stop = (): void => {
  server.close(() => process.exit(0));
  // Keep-alive connections may hold close() open; do not hang on shutdown.
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
