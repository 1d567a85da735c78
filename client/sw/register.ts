/**
 * Registers the service worker with `workbox-window` and manages updates.
 *
 * A new version never takes over by itself: `updateReady` turns true when one is waiting, and
 * `applyUpdate()` asks the `updateGate` first. Today the gate lets every update through when the
 * person taps "Update"; a later step replaces it with verification of a signed release manifest
 * (ARCHITECTURE.md, boundary 11) without touching the service worker.
 * @module
 */
import { signal } from '@preact/signals';
import { Workbox } from 'workbox-window';

/** True when a new version is installed and waiting for `applyUpdate()`. */
export const updateReady = signal(false);

/** Decides whether a waiting version may take over. */
export type UpdateGate = () => Promise<boolean>;
let updateGate: UpdateGate = async () => true;
export const setUpdateGate = (gate: UpdateGate): void => {
  updateGate = gate;
};

let workbox: Workbox | undefined;

export function registerServiceWorker(): void {
  if (import.meta.env.DEV || !('serviceWorker' in navigator)) return;
  workbox = new Workbox('/sw.js', { scope: '/' });
  workbox.addEventListener('waiting', () => {
    updateReady.value = true;
  });
  workbox.register().catch(() => {
    // No service worker (private mode, unsupported): the app still works online.
  });
}

/** Lets the waiting version take over (if the gate agrees), then reloads into it. */
export async function applyUpdate(): Promise<boolean> {
  if (!workbox || !updateReady.value || !(await updateGate())) return false;
  workbox.addEventListener('controlling', () => window.location.reload());
  workbox.messageSkipWaiting();
  return true;
}
