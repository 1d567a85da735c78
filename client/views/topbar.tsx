/**
 * The bar at the top of every unlocked screen: back, title, search (client/views/search.tsx), lock. Plus the status line when
 * something needs saying (offline with messages waiting, an update ready).
 * @module
 */
import type { ComponentChildren } from 'preact';
import { applyUpdate, updateReady } from '../sw/register.ts';
import { lockNow } from '../state/lock.ts';
import { browserOnline, liveState, navigate, outboxPending, route } from '../state/signals.ts';

export function TopBar({ title, back, children }: { title: string; back?: string; children?: ComponentChildren }) {
  return (
    <>
      <header class="topbar">
        {back !== undefined && (
          <button type="button" class="icon-button" onClick={() => navigate(back)} aria-label="Back">
            ←
          </button>
        )}
        <h1>{title}</h1>
        {children}
        {route.value !== '#/search' && (
          <button type="button" class="icon-button" onClick={() => navigate('#/search')} aria-label="Search messages" title="Search messages">
            {/* A magnifier, not a word: the bar must fit a 360 px phone with the screen's own buttons. */}
            <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round">
              <circle cx="10.5" cy="10.5" r="6.5" />
              <path d="M15.5 15.5 21 21" />
            </svg>
          </button>
        )}
        <button type="button" class="icon-button" onClick={lockNow} aria-label="Lock Confidant">
          Lock
        </button>
      </header>
      <StatusLine />
    </>
  );
}

function StatusLine() {
  const offline = !browserOnline.value || liveState.value === 'offline';
  const waiting = outboxPending.value;
  return (
    <>
      {offline && (
        <div class="banner" role="status">
          <span>{waiting > 0 ? `Offline. ${waiting === 1 ? '1 message is' : `${waiting} messages are`} saved and will be sent when you are back online.` : 'Offline. New messages will arrive when you are back online.'}</span>
        </div>
      )}
      {updateReady.value && (
        <div class="banner" role="status">
          <span>A new version of Confidant is ready.</span>
          <button type="button" onClick={() => void applyUpdate()}>
            Update now
          </button>
        </div>
      )}
    </>
  );
}
