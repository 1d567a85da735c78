/**
 * The bar at the top of every unlocked screen: back, title, the screen's actions, a client's
 * "Get help now" (help.tsx: the crisis lines, one tap from every screen), search (search.tsx),
 * lock. Plus the status line when something needs saying (offline with messages waiting, an
 * update ready).
 *
 * Back and the title share the first line at any width: on a narrow phone the title wraps onto
 * a second line of its own column (two lines at most, then cut with "…") and the actions move
 * to a row below, so a long practice or client name never pushes Back under it. Beside the
 * inbox (pane-context.ts 'detail') the title is an h2 and search, "Lock" and the status line are
 * left to the inbox's bar: one of each per page.
 * @module
 */
import type { ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { applyUpdate, updateReady } from '../sw/register.ts';
import { lockNow } from '../state/lock.ts';
import { browserOnline, liveState, navigate, outboxPending, profile, route } from '../state/signals.ts';
import { Pane } from './pane-context.ts';

export function TopBar({ title, back, children }: { title: string; back?: string; children?: ComponentChildren }) {
  const detail = useContext(Pane) === 'detail';
  const Title = detail ? 'h2' : 'h1';
  return (
    <>
      <header class={`topbar${detail ? ' topbar-detail' : ''}`}>
        <div class="topbar-title">
          {back !== undefined && (
            <button type="button" class="icon-button" onClick={() => navigate(back)} aria-label="Back">
              ←
            </button>
          )}
          <Title dir="auto">{title}</Title>
        </div>
        <div class="topbar-actions">
          {profile.value?.role === 'client' && (
            <a class="button help-button" href="#/help">
              Get help now
            </a>
          )}
          {children}
          {!detail && route.value !== '#/search' && (
            <button type="button" class="icon-button" onClick={() => navigate('#/search')} aria-label="Search messages" title="Search messages">
              {/* A magnifier, not a word: the bar must fit a 360 px phone with the screen's own buttons. */}
              <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round">
                <circle cx="10.5" cy="10.5" r="6.5" />
                <path d="M15.5 15.5 21 21" />
              </svg>
            </button>
          )}
          {!detail && (
            <button type="button" class="icon-button" onClick={lockNow} aria-label="Lock Confidant">
              Lock
            </button>
          )}
        </div>
      </header>
      {!detail && <StatusLine />}
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
