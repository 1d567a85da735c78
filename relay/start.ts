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
import { createPushSender } from './push/sender.ts';
import { loadVapidKeys } from './push/vapid.ts';
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

/**
 * Content-free push notifications (relay/push/; docs/OPERATING.md "Push notifications"): the
 * VAPID key pair (made at first start), PUSH_SUBJECT, and the development-only
 * PUSH_ALLOW_PRIVATE_ENDPOINTS=1, which is never for a real deployment and says so loudly.
 */
let push: ReturnType<typeof createPushSender>;
try {
  const { keys, source } = await loadVapidKeys({ store, dataDir });
  const allowPrivateEndpoints = process.env.PUSH_ALLOW_PRIVATE_ENDPOINTS === '1';
  const subject = process.env.PUSH_SUBJECT || undefined;
  push = createPushSender({ store, vapid: keys, ...(subject ? { subject } : {}), allowPrivateEndpoints, log: logSink });
  console.log(`relay: push notifications on (VAPID key pair from the ${source})`);
  if (!subject) console.warn('relay: PUSH_SUBJECT is not set; set it to a mailto: or https: contact for the push services (docs/OPERATING.md)');
  if (allowPrivateEndpoints) {
    console.warn('relay: WARNING: PUSH_ALLOW_PRIVATE_ENDPOINTS=1: push endpoints on loopback, private and internal hosts, over http, are ACCEPTED.');
    console.warn('relay: WARNING: this lets any account make the relay send requests into its own network. For tests only; never in production.');
  }
} catch (err) {
  console.error(`relay: cannot set up push notifications: ${(err as Error).message}`);
  process.exit(1);
}
/** WebSocket upgrades (GET /v1/live) go through the app first: Origin check, then `ws`. */
const websocket = { server: liveSocketServer() };
/** Header limit and parser refusals in the relay's error shape: relay/server.ts. */
const server = serveRelay({
  fetch: createApp({ store, blobs, logSink, push, ...(serveClient ? { clientDir } : {}) }).fetch,
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
