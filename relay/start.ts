/**
 * `npm start`: opens the store (SQLite under DATA_DIR, default ./data, created if missing; or
 * PostgreSQL when DATABASE_URL is set), applies migrations, and binds the relay to PORT
 * (default 8787) on HOST (default 127.0.0.1), serving the built client from CLIENT_DIR (default ./dist).
 * @module
 */
import { resolve } from 'node:path';
import { createApp } from './app.ts';
import { dataDirFromEnv } from './data-dir.ts';
import { SWEEP_INTERVAL_MS } from './limits.ts';
import { isClientBuilt } from './static.ts';
import { liveSocketServer } from './routes/live.ts';
import { serveRelay } from './server.ts';
import { openStore } from './storage/index.ts';
import { startSweeper } from './sweeper.ts';

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
const dataDir = dataDirFromEnv();

let opened: Awaited<ReturnType<typeof openStore>>;
try {
  opened = await openStore({ dataDir, databaseUrl: process.env.DATABASE_URL });
  await opened.store.migrate();
} catch (err) {
  // The name only: a connection error message can carry the DATABASE_URL with its password.
  console.error(`relay: cannot open the store: ${(err as Error).name} ${(err as NodeJS.ErrnoException).code ?? ''}`);
  process.exit(1);
}
const { store, blobs } = opened;

/** The built client (`npm run build`, which `npm start` runs first); CLIENT_DIR overrides. */
const clientDir = resolve(process.env.CLIENT_DIR || 'dist');
const serveClient = isClientBuilt(clientDir);
if (!serveClient) console.warn(`relay: no built client in ${clientDir} (run npm run build); serving the API only`);

/** Retention: expired messages, blobs, nonces, codes and invites go every SWEEP_INTERVAL_MS (and at start). */
const sweeper = startSweeper({ store, blobs, intervalMs: SWEEP_INTERVAL_MS });

const logSink = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
/** WebSocket upgrades (GET /v1/live) go through the app first: Origin check, then `ws`. */
const websocket = { server: liveSocketServer() };
/** Header limit and parser refusals in the relay's error shape: relay/server.ts. */
const server = serveRelay({
  fetch: createApp({ store, blobs, logSink, ...(serveClient ? { clientDir } : {}) }).fetch,
  port,
  hostname,
  websocket,
  onListening: (info) => {
    const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
    const where = store.kind === 'sqlite' ? `data in ${dataDir}` : 'data in PostgreSQL';
    console.log(`relay listening on http://${host}:${info.port} (GET /healthz), ${where}`);
  },
});

server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`relay: cannot listen on ${hostname}:${port}: ${err.code ?? err.message}`);
  process.exit(1);
});

const stop = (): void => {
  server.close(() => {
    void sweeper
      .stop()
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
  // Keep-alive connections may hold close() open; do not hang on shutdown.
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
