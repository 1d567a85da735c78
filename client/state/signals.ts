/**
 * What the screens show, as signals: the phase of the app, the route, and the decrypted lists
 * of the open session. Only this module holds them; the session (session.ts) and locking
 * (lock.ts) write them, the views read them. Locking empties every one that holds something
 * decrypted, so nothing readable is left in memory that the UI could show.
 *
 * Phases: `starting` (looking for a vault) → `welcome` (none on this device; set up or join) or
 * `locked` → `ready` (unlocked: records, identity, protocol store, outbox, receiver and live
 * channel exist).
 * @module
 */
import { computed, signal } from '@preact/signals';
import type { Conversation, LocalInvite, Profile } from '../data/records.ts';
import type { LiveState } from '../sync/live.ts';

export type Phase = 'starting' | 'welcome' | 'locked' | 'ready';

export const phase = signal<Phase>('starting');
/** The URL fragment route (`#/join/...`, `#/c/<id>`, ...). */
export const route = signal<string>(typeof location === 'undefined' ? '' : location.hash);
export const profile = signal<Profile | undefined>(undefined);
export const conversations = signal<readonly Conversation[]>([]);
export const invites = signal<readonly LocalInvite[]>([]);
/** Bumped when a conversation's messages change; views re-read their page. */
export const messagesVersion = signal(0);
export const liveState = signal<LiveState>('offline');
export const outboxPending = signal(0);
export const browserOnline = signal(typeof navigator === 'undefined' ? true : navigator.onLine);
/** Unread messages across the open session's conversations (the inbox's counts, summed); 0 unless unlocked. Shown by unread.ts. */
export const unreadTotal = computed(() => (phase.value === 'ready' ? conversations.value.reduce((n, c) => n + c.unread, 0) : 0));

export const navigate = (hash: string): void => {
  if (location.hash !== hash) location.hash = hash;
  route.value = hash;
};
