/**
 * Synchronous PostgreSQL queries for tests: a worker thread holds one pg connection, and
 * `query` blocks the calling thread (Atomics.wait) until the worker has posted its answer, which
 * is then taken off the port with `receiveMessageOnPort`. `AppFixture.counts()` is synchronous
 * (it reads the SQLite file directly) and uses this to read a PostgreSQL database the same way:
 * a round trip on an open connection, instead of starting psql for every call.
 *
 * The worker's connection is its own, apart from the store's pools: it sees what the store
 * committed, which is all a route has done by the time it answered. It lives as long as the
 * process (the worker is unref'd, so it never keeps a test process alive).
 * @module
 */
import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** A query that takes longer than this is a hung server or worker, not a slow machine. */
const QUERY_TIMEOUT_MS = 60_000;

/** CommonJS, run with `eval`: the worker needs no loader for TypeScript. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { url, port, signal } = workerData;
const client = new pg.Client({ connectionString: url });
const ready = client.connect();
// A lost connection fails the next query; the 'error' event must not kill the worker first.
client.on('error', () => {});
port.on('message', async (sql) => {
  let reply;
  try {
    await ready;
    reply = { rows: (await client.query(sql)).rows };
  } catch (err) {
    reply = { error: String((err && err.message) || err) };
  }
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

type Reply = { rows: Record<string, unknown>[] } | { error: string };

export class SyncQuery {
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));

  constructor(url: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const pgPath = createRequire(import.meta.url).resolve('pg');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pgPath, url, port: port2, signal: this.signal }, transferList: [port2] });
    // Never the reason a test process stays alive: the worker and its connection end with it.
    worker.unref();
    this.port.unref();
  }

  /** Runs `sql` and returns its rows; throws the server's error message. */
  query<T extends Record<string, unknown>>(sql: string): T[] {
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(sql);
    if (Atomics.wait(this.signal, 0, 0, QUERY_TIMEOUT_MS) === 'timed-out') {
      throw new Error(`sync-query: no answer within ${QUERY_TIMEOUT_MS} ms`);
    }
    const received = receiveMessageOnPort(this.port);
    if (!received) throw new Error('sync-query: the worker signalled but posted no answer');
    const reply = received.message as Reply;
    if ('error' in reply) throw new Error(`sync-query: ${reply.error}`);
    return reply.rows as T[];
  }
}
