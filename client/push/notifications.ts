/**
 * Turning content-free notifications on and off on this device (issue 11, "Notifications
 * without content"; docs/API.md "Push"). On: ask the browser for permission to notify,
 * subscribe its push service with the relay's VAPID key (`pushManager.subscribe`), and register
 * that subscription with the relay (a signed request). Off: tell the relay to forget it and
 * unsubscribe. The browser's own subscription is the one source of truth for "on": nothing is
 * kept in the vault.
 *
 * What a push carries and shows is decided elsewhere: the relay sends a fixed marker only
 * (relay/push/sender.ts) and the service worker shows "New message", nothing else (client/sw/sw.ts).
 *
 * Every failure becomes a `PushSetupError` whose message says, in plain words, what happened
 * and what the person can do.
 * @module
 */
import type { Identity } from '../../shared/keys.ts';
import { OfflineError, RelayApiError, type RelayApi } from '../api/relay.ts';

export type PushState =
  /** This browser has no service worker, push or notifications (or the app's worker is not installed). */
  | 'unsupported'
  /** The person (or the browser's settings) blocked notifications for this site. */
  | 'blocked'
  | 'off'
  | 'on';

export class PushSetupError extends Error {
  override readonly name = 'PushSetupError';
}

const supported = (): boolean =>
  typeof navigator !== 'undefined' && 'serviceWorker' in navigator && typeof PushManager !== 'undefined' && typeof Notification !== 'undefined';

/** The app's service worker registration, if one is installed (none in development or a private window). */
const registration = async (): Promise<ServiceWorkerRegistration | undefined> =>
  supported() ? navigator.serviceWorker.getRegistration('/') : undefined;

/** Whether notifications are on for this browser, off, blocked, or not possible here. */
export async function pushState(): Promise<PushState> {
  const reg = await registration();
  if (!reg) return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  return (await reg.pushManager.getSubscription()) ? 'on' : 'off';
}

const sameKey = (a: ArrayBuffer | null, b: Uint8Array): boolean => {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((byte, i) => byte === b[i]);
};

/**
 * How long the browser's push service may take to hand out a subscription, in ms: 20 s. A
 * browser that cannot reach its push service (no network to it, or none at all, as headless
 * Chromium) may never answer; the person is told instead of waiting forever.
 */
export const SUBSCRIBE_TIMEOUT_MS = 20_000;

/**
 * `pushManager.subscribe`, or a rejection after `ms`. A subscription that arrives after that is
 * unsubscribed at once: it was never registered with the relay, and the screen said "off".
 */
function subscribeWithin(reg: ServiceWorkerRegistration, key: Uint8Array, ms: number): Promise<PushSubscription> {
  const pending = reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key as Uint8Array<ArrayBuffer> });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void pending.then((late) => late.unsubscribe(), () => false);
      reject(new Error('push service did not answer'));
    }, ms);
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}

/** Ask permission, subscribe, register with the relay. Resolves when notifications are on. */
export async function enablePush(api: RelayApi, identity: Identity): Promise<void> {
  const reg = await registration();
  if (!reg) throw new PushSetupError('This browser cannot show notifications from Confidant. Messages still arrive whenever the app is open.');
  const permission = await Notification.requestPermission();
  if (permission === 'denied') {
    throw new PushSetupError('Notifications are blocked for this site. Allow them in your browser\'s site settings, then try again.');
  }
  if (permission !== 'granted') throw new PushSetupError('Notifications were not allowed. Try again and choose "Allow".');
  let key: Uint8Array;
  try {
    key = await api.pushKey();
  } catch (e) {
    if (e instanceof OfflineError) throw new PushSetupError('The Confidant server cannot be reached. Check your connection and try again.');
    throw new PushSetupError('This Confidant server does not send notifications. Ask the person who runs it.');
  }
  const existing = await reg.pushManager.getSubscription();
  // A subscription made for another key (the server's key changed) cannot be reused.
  if (existing && !sameKey(existing.options.applicationServerKey, key)) await existing.unsubscribe();
  let subscription: PushSubscription;
  try {
    subscription = await subscribeWithin(reg, key, SUBSCRIBE_TIMEOUT_MS);
  } catch {
    throw new PushSetupError(
      'This browser could not reach its notification service, so notifications cannot be turned on here. Messages still arrive whenever the app is open.',
    );
  }
  const json = subscription.toJSON();
  try {
    await api.registerPush(identity, { endpoint: subscription.endpoint, keys: { p256dh: json.keys?.['p256dh'] ?? '', auth: json.keys?.['auth'] ?? '' } });
  } catch (e) {
    await subscription.unsubscribe().catch(() => false);
    if (e instanceof OfflineError) throw new PushSetupError('The Confidant server cannot be reached. Check your connection and try again.');
    if (e instanceof RelayApiError) throw new PushSetupError(`The Confidant server refused this browser's notification address: ${e.message}`);
    throw e;
  }
}

/**
 * Unsubscribe this browser, and tell the relay to forget the subscription. Offline, the relay
 * is not told, and that is fine: its next push is answered "gone" by the push service, and it
 * deletes the subscription then (relay/push/sender.ts).
 */
export async function disablePush(api: RelayApi, identity: Identity): Promise<void> {
  const reg = await registration();
  const subscription = await reg?.pushManager.getSubscription();
  if (!subscription) return;
  await api.unregisterPush(identity, subscription.endpoint).catch(() => undefined);
  await subscription.unsubscribe();
}
