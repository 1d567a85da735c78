/**
 * The service worker: the app shell offline, nothing more.
 *
 * - Precaches the build (the list Workbox injects at build time) and answers navigations with
 *   the cached index.html, so the installed app opens with no network.
 * - Never touches the relay's API (`/v1/`, `/healthz`): fetching messages stays live, and no
 *   ciphertext lands in Cache Storage.
 * - A new version installs and then waits: it takes over only when the page posts
 *   `{ type: 'SKIP_WAITING' }` (client/sw/register.ts). That one message is the gate a later step
 *   uses to apply an update only after its signed release manifest verifies (ARCHITECTURE.md,
 *   boundary 11); until then the person chooses when to update.
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
