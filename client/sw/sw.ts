/**
 * The service worker: the app shell offline, and content-free notifications.
 *
 * - Precaches the build (the list Workbox injects at build time) and answers navigations with
 *   the cached index.html, so the installed app opens with no network.
 * - Never touches the relay's API (`/v1/`, `/healthz`): fetching messages stays live, and no
 *   ciphertext lands in Cache Storage.
 * - A new version installs and then waits: it takes over only when the page posts
 *   `{ type: 'SKIP_WAITING' }` (client/sw/register.ts). That one message is the gate a later step
 *   uses to apply an update only after its signed release manifest verifies (ARCHITECTURE.md,
 *   boundary 11); until then the person chooses when to update.
 * - A push (issue 11, "Notifications without content"; relay/push/sender.ts) shows one generic
 *   notification, "New message", with no body, under one fixed tag so that several collapse
 *   into one, and puts a dot on the app's icon where the browser supports app badges. The
 *   push's data is never read: the relay sends only a fixed marker, and whatever arrives, the
 *   notification says the same. Opening it focuses the app, or opens it; the app shows its own
 *   lock screen when it is locked, so nothing readable appears without the passphrase.
 * @module
 */
/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | PrecacheEntry)[] };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/v1\//, /^\/healthz$/] }));

// The first install has no page to wait for: take control at once so the shell works offline
// from the first visit. Later versions activate only after SKIP_WAITING (above).
clientsClaim();

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

/** What every notification says, whatever the push carried: never who, what or which conversation. */
const NOTIFICATION_TITLE = 'New message';
/** One tag for all: a new notification replaces the last one instead of piling up. */
const NOTIFICATION_TAG = 'confidant-new-message';

self.addEventListener('push', (event: PushEvent) => {
  const badge = (self.navigator as WorkerNavigator & { setAppBadge?: () => Promise<void> }).setAppBadge?.().catch(() => undefined);
  event.waitUntil(
    Promise.all([
      self.registration.showNotification(NOTIFICATION_TITLE, { tag: NOTIFICATION_TAG, icon: '/icons/icon-192.png', badge: '/icons/icon-192.png' }),
      badge,
    ]),
  );
});

self.addEventListener('notificationclick', (event: NotificationEvent) => {
  event.notification.close();
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) {
        await open.focus();
        return;
      }
      await self.clients.openWindow('/');
    })(),
  );
});
