/**
 * Content-free push notifications (issue 11, "Notifications without content"; RFC 8030 Web
 * Push, RFC 8292 VAPID, RFC 8291 message encryption). When the relay stores a message for a
 * mailbox, `messageStored` queues one job; a worker claims the mailbox owner's subscriptions
 * that were not pushed to within the throttle (`Store.claimPushTargets`, atomic across relay
 * instances) and sends each one push whose plaintext is `PUSH_MARKER` and nothing else: no
 * sender, practice, conversation, mailbox, count or time. `web-push` signs the request (VAPID)
 * and encrypts the body (aes128gcm); this module makes the request itself, so that the
 * connection goes through `publicLookup` (the endpoint's addresses are checked at connect time)
 * and an endpoint can never lead the relay to an internal service.
 *
 * - Never holds up or fails a send: `messageStored` returns at once and never throws. At most
 *   `PUSH_QUEUE_MAX` jobs wait and `PUSH_CONCURRENCY` run; beyond that jobs are dropped (a push
 *   is a hint, the app fetches its mailbox anyway). Each request has `PUSH_REQUEST_TIMEOUT_MS`.
 * - `TTL: PUSH_TTL_SECONDS` and `Urgency: normal` (RFC 8030 §5.2, §5.3).
 * - A 404 or 410 from the push service (the subscription is gone, RFC 8030 §7.3) deletes it.
 * - Logs are JSON lines with the push service's host name and the status or error code, never
 *   the endpoint's path (it identifies the device), keys or payload.
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import webpush from 'web-push';
import { PUSH_MARKER } from '../../shared/consts.ts';
import { toBase64url } from '../../shared/encoding.ts';
import { PUSH_CONCURRENCY, PUSH_QUEUE_MAX, PUSH_REQUEST_TIMEOUT_MS, PUSH_THROTTLE_MS, PUSH_TTL_SECONDS } from '../limits.ts';
import type { PushSubscriptionRow, Store } from '../storage/types.ts';
import { bareHost, checkEndpointUrl, publicLookup, PushEndpointError } from './endpoint.ts';
import type { VapidKeys } from './vapid.ts';

/** VAPID `sub` when the operator sets none (PUSH_SUBJECT): a contact that says it is unset. */
export const DEFAULT_PUSH_SUBJECT = 'mailto:operator@confidant.invalid';

export interface PushOptions {
  readonly store: Store;
  readonly vapid: VapidKeys;
  /** VAPID `sub` (RFC 8292 §2.1): a `mailto:` or `https:` URL where the push service can reach the operator. */
  readonly subject?: string;
  /** Development only (PUSH_ALLOW_PRIVATE_ENDPOINTS=1): endpoints on loopback and private hosts, over http (endpoint.ts). */
  readonly allowPrivateEndpoints?: boolean;
  /** At most one push per device per this many ms (default `PUSH_THROTTLE_MS`). */
  readonly throttleMs?: number;
  /** Clock in ms; tests inject one. */
  readonly now?: () => number;
  /** Where log lines go (one JSON object each); default stdout. */
  readonly log?: (line: string) => void;
}

export interface PushSender {
  /** The VAPID public key (base64url, 65 bytes uncompressed) devices subscribe with. */
  readonly publicKey: string;
  /** Whether the development setting that admits private endpoints is on. */
  readonly allowPrivateEndpoints: boolean;
  /** Queue pushes for the owner of `mailboxId` (a message was just stored). Returns at once; never throws. */
  messageStored(mailboxId: Uint8Array): void;
  /** Resolves when no job waits or runs (tests; shutdown). */
  idle(): Promise<void>;
}

const defaultLog = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A Node error's code, or its name: never its message (it may hold the URL). */
const errorCode = (err: unknown): string => {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : typeof err;
};

export function createPushSender(options: PushOptions): PushSender {
  const { store, vapid, allowPrivateEndpoints = false, throttleMs = PUSH_THROTTLE_MS, now = Date.now, log = defaultLog } = options;
  const subject = options.subject ?? DEFAULT_PUSH_SUBJECT;
  // Throws at start on a subject web-push would refuse on every send.
  webpush.setVapidDetails(subject, vapid.publicKey, vapid.privateKey);
  const vapidDetails = { subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey };
  const queue: Uint8Array[] = [];
  let running = 0;
  let dropped = 0;
  let waiters: (() => void)[] = [];

  const emit = (entry: Record<string, unknown>): void => {
    try {
      log(JSON.stringify({ event: 'push', ...entry }));
    } catch {
      // A failing log sink must not stop pushes.
    }
  };

  /** One push to one subscription: the status, or throws (connection refused, timeout, refused address). */
  const post = (sub: PushSubscriptionRow, url: URL): Promise<number> => {
    const details = webpush.generateRequestDetails(
      { endpoint: sub.endpoint, keys: { p256dh: toBase64url(sub.p256dh), auth: toBase64url(sub.auth) } },
      PUSH_MARKER,
      { vapidDetails, TTL: PUSH_TTL_SECONDS, urgency: 'normal', contentEncoding: 'aes128gcm' },
    );
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<number>((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          headers: details.headers as Record<string, string | number>,
          signal: AbortSignal.timeout(PUSH_REQUEST_TIMEOUT_MS),
          // The endpoint's addresses are checked where the connection is made (endpoint.ts).
          ...(allowPrivateEndpoints ? {} : { lookup: publicLookup }),
        },
        (res: IncomingMessage) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(details.body ?? undefined);
    });
  };

  const pushTo = async (sub: PushSubscriptionRow): Promise<void> => {
    let url: URL;
    try {
      url = checkEndpointUrl(sub.endpoint, { allowPrivate: allowPrivateEndpoints });
    } catch (err) {
      if (!(err instanceof PushEndpointError)) throw err;
      // Stored under other rules (the development setting, since turned off): never called.
      await store.dropPushSubscription(sub.endpoint);
      emit({ outcome: 'refused_endpoint' });
      return;
    }
    const host = bareHost(url);
    try {
      const status = await post(sub, url);
      if (status === 404 || status === 410) {
        await store.dropPushSubscription(sub.endpoint);
        emit({ host, status, outcome: 'subscription_gone' });
      } else if (status < 200 || status >= 300) {
        emit({ host, status, outcome: 'refused' });
      }
    } catch (err) {
      emit({ host, outcome: 'failed', error: errorCode(err) });
    }
  };

  const run = async (mailboxId: Uint8Array): Promise<void> => {
    const targets = await store.claimPushTargets(mailboxId, now(), throttleMs);
    await Promise.all(targets.map(pushTo));
  };

  const pump = (): void => {
    while (running < PUSH_CONCURRENCY && queue.length > 0) {
      const mailboxId = queue.shift()!;
      running += 1;
      run(mailboxId)
        .catch((err: unknown) => emit({ outcome: 'failed', error: errorCode(err) }))
        .finally(() => {
          running -= 1;
          pump();
        });
    }
    if (running === 0 && queue.length === 0) {
      if (dropped > 0) {
        emit({ outcome: 'dropped', count: dropped });
        dropped = 0;
      }
      const done = waiters;
      waiters = [];
      for (const w of done) w();
    }
  };

  return {
    publicKey: vapid.publicKey,
    allowPrivateEndpoints,
    messageStored(mailboxId) {
      if (queue.length >= PUSH_QUEUE_MAX) {
        dropped += 1;
        return;
      }
      queue.push(new Uint8Array(mailboxId));
      // After the caller's answer is on its way: the send path does no push work at all.
      setImmediate(pump);
    },
    idle() {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
