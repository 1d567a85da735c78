/**
 * That something is unread, shown outside the page (issue 11): the tab's title ("(3) Confidant")
 * and the installed app's icon badge (`navigator.setAppBadge`, where the browser has it). Only
 * the number of unread messages, the sum of the conversations' `unread` counts the inbox shows
 * (signals.ts): never who wrote, what, or in which conversation.
 *
 * While the app is locked nothing decrypted is in memory, so the title says only "Confidant"
 * and the badge is left as it is (the service worker may have set a dot for a push that arrived
 * meanwhile: client/sw/sw.ts). Once unlocked, the count replaces it, or clears it at zero.
 * @module
 */
import { effect } from '@preact/signals';
import { phase, unreadTotal } from './signals.ts';

export const APP_TITLE = 'Confidant';

/** The tab's title for `unread` messages. */
export const titleFor = (unread: number): string => (unread > 0 ? `(${unread}) ${APP_TITLE}` : APP_TITLE);

/** Keeps the title and the app badge in step with `unreadTotal`; returns a stop function. */
export function startUnreadIndicator(): () => void {
  return effect(() => {
    const unread = unreadTotal.value;
    document.title = titleFor(unread);
    if (phase.value !== 'ready' || typeof navigator.setAppBadge !== 'function') return;
    void (unread > 0 ? navigator.setAppBadge(unread) : navigator.clearAppBadge()).catch(() => undefined);
  });
}
