/**
 * Live delivery across relay instances with PostgreSQL LISTEN/NOTIFY (ARCHITECTURE.md,
 * "Storage and scale": live notices fanned out across instances).
 *
 * Each store holds one dedicated connection that LISTENs on one fixed channel; `publish` sends
 * `NOTIFY` with the payload `<mailbox id hex>:<seq>` through the pool, and every instance's
 * listener connection hands it to that instance's local subscribers of the mailbox.
 *
 * Delivery is best effort, as the interface says (fetching stays the source of truth): while
 * the listener connection is down, notifications are lost. A lost connection is reported once,
 * without crashing the process, and reopened with backoff; the subscriptions survive it.
 * @module
 */
import pg from 'pg';
import type { Pool } from 'pg';
import type { Notifier } from '../types.ts';

/** The one channel every relay instance listens on. Mailbox ids travel in the payload. */
export const CHANNEL = 'confidant_messages';
/** Reconnect delays of the listener connection: doubled from the first up to the last. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** `application_name` of the listener connection, so an operator can tell it apart. */
export const LISTENER_APPLICATION_NAME = 'confidant-relay-listen';

const hex = (id: Uint8Array): string => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');

export interface PostgresNotifier extends Notifier {
  /** True while the listener connection is up and LISTENing. */
  readonly listening: boolean;
  /** Resolves once the listener connection LISTENs (again); for tests after a forced drop. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the listener connection (LISTEN before resolving) and returns the notifier. */
export const openNotifier = async (databaseUrl: string, pool: Pool): Promise<PostgresNotifier> => {
  const subscribers = new Map<string, Set<(seq: number) => void>>();
  let client: pg.Client | undefined;
  let closed = false;
  let delay = RECONNECT_FIRST_MS;
  let timer: NodeJS.Timeout | undefined;
  let readyWaiters: (() => void)[] = [];

  const dispatch = (message: pg.Notification): void => {
    if (message.channel !== CHANNEL || message.payload === undefined) return;
    const [mailbox, seqText] = message.payload.split(':');
    const seq = Number(seqText);
    const listeners = mailbox === undefined ? undefined : subscribers.get(mailbox);
    if (!listeners || !Number.isSafeInteger(seq)) return;
    // A copy: a listener may unsubscribe while we iterate. One throwing listener must not
    // keep the others from hearing about the message.
    for (const listener of [...listeners]) {
      try {
        listener(seq);
      } catch (err) {
        console.error(`relay: notifier listener failed: ${(err as Error).name}`);
      }
    }
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl, application_name: LISTENER_APPLICATION_NAME });
    // Without an 'error' listener a dropped connection would crash the process.
    next.on('error', (err) => lost(next, err));
    next.on('end', () => lost(next, undefined));
    next.on('notification', dispatch);
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      next.removeAllListeners('end');
      next.end().catch(() => undefined);
      throw err;
    }
    if (closed) {
      await next.end();
      return;
    }
    client = next;
    delay = RECONNECT_FIRST_MS;
    const waiters = readyWaiters;
    readyWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const lost = (which: pg.Client, err: Error | undefined): void => {
    if (client !== which) return; // a stale or never-established connection
    client = undefined;
    which.removeAllListeners('end');
    which.end().catch(() => undefined);
    if (closed) return;
    console.error(`relay: notifier connection lost (${err?.message ?? 'closed'}); reconnecting`);
    scheduleReconnect();
  };

  const scheduleReconnect = (): void => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().catch((err: Error) => {
        console.error(`relay: notifier reconnect failed (${err.message}); retrying in ${delay} ms`);
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        scheduleReconnect();
      });
    }, delay);
    timer.unref();
  };

  await connect();

  return {
    get listening() {
      return client !== undefined;
    },
    ready: () => (client || closed ? Promise.resolve() : new Promise((resolve) => readyWaiters.push(resolve))),
    publish: async (mailboxId, seq) => {
      if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`publish: seq must be a non-negative safe integer, got ${seq}`);
      await pool.query('SELECT pg_notify($1, $2)', [CHANNEL, `${hex(mailboxId)}:${seq}`]);
    },
    subscribe: (mailboxId, listener) => {
      const key = hex(mailboxId);
      let listeners = subscribers.get(key);
      if (!listeners) subscribers.set(key, (listeners = new Set()));
      // Each subscription is its own entry, even for a listener function subscribed twice.
      const entry = (seq: number): void => listener(seq);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
        if (listeners.size === 0 && subscribers.get(key) === listeners) subscribers.delete(key);
      };
    },
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const current = client;
      client = undefined;
      for (const resolve of readyWaiters) resolve();
      readyWaiters = [];
      if (current) {
        current.removeAllListeners('end');
        await current.end().catch(() => undefined);
      }
    },
  };
};
