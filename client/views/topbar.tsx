/**
 * The bar at the top of every unlocked screen: back, title, the screen's actions, a client's
 * "Get help now" (help.tsx: the crisis lines, one tap from every screen), lock. Plus the
 * status line when something needs saying (offline with messages waiting, an update ready).
 *
 * Back and the title share the first line at any width: on a narrow phone the title wraps onto
 * a second line of its own column (two lines at most, then cut with "…") and the actions move
 * to a row below, so a long practice or client name never pushes Back under it. Beside the
 * inbox (pane-context.ts 'detail') the title is an h2 and "Lock" and the status line are left
 * to the inbox's bar.
 * @module
 */
import type { ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { applyUpdate, updateReady } from '../sw/register.ts';
import { lockNow } from '../state/lock.ts';
import { browserOnline, liveState, navigate, outboxPending, profile } from '../state/signals.ts';
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
