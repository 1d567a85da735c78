/**
 * A therapist's inbox: conversations in triage order (client/triage/status.ts: urgent and
 * risk-flagged first, then threads back from a snooze, then those needing a reply by how long
 * they waited), filtered by a tab list with counts; pending invites; the way to invite a new
 * client. A timer looks again every 30 s (the waiting times) and when the next snooze is due,
 * so a snoozed thread comes back by itself. On a wide screen it is the left pane
 * (client/views/panes.tsx) and marks the open conversation (`selected`).
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import type { Conversation } from '../data/records.ts';
import { changeConversation } from '../triage/actions.ts';
import { snoozeLabel } from '../triage/snooze.ts';
import { inFilter, isBackFromSnooze, isRiskFlagged, isSnoozed, isUrgent, nextDue, STATUS_NAMES, threadStatus, triage, unsnooze, waitingSinceOf, waitingTime, type TriageFilter } from '../triage/status.ts';
import { conversations, navigate, profile } from '../state/signals.ts';
import { ConsentMarker } from './consent-status.tsx';
import { PendingInvites } from './pending-invites.tsx';
import { TopBar } from './topbar.tsx';
import { FILTERS, PANEL_ID, tabId, TriageTabs } from './triage-tabs.tsx';

/** How often the inbox looks again without a change (waiting times). */
const TICK_MS = 30_000;
/** The longest single timeout (setTimeout's limit is about 24.8 days; the tick covers the rest). */
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const time = (ms: number, now: number): string => {
  const d = new Date(ms);
  return d.toDateString() === new Date(now).toDateString() ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString();
};

/** `Date.now()` at each render, with a render every `TICK_MS` and one when the next snooze is due. */
function useTriageClock(list: readonly Conversation[]): number {
  const [, setTick] = useState(0);
  const now = Date.now();
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), TICK_MS);
    return () => clearInterval(t);
  }, []);
  const due = nextDue(list, now);
  useEffect(() => {
    if (due === undefined) return;
    const t = setTimeout(() => setTick((n) => n + 1), Math.min(MAX_TIMEOUT_MS, Math.max(0, due - Date.now())));
    return () => clearTimeout(t);
  }, [due]);
  return now;
}

export function Home({ selected }: { selected?: string }) {
  const [filter, setFilter] = useState<TriageFilter>('inbox');
  const all = conversations.value;
  const now = useTriageClock(all);
  const list = triage(all, filter, now);
  const counts = Object.fromEntries(FILTERS.map((f) => [f.id, all.filter((c) => inFilter(c, f.id, now)).length])) as Record<TriageFilter, number>;
  const empty = all.length === 0 ? 'No conversations yet. Invite a client to start.' : `Nothing here. ${filter === 'snoozed' ? 'No conversation is snoozed.' : 'Other tabs may have conversations.'}`;
  return (
    <div class="app-frame inbox">
      <TopBar title={profile.value?.practiceName ?? 'Confidant'}>
        <button type="button" class="icon-button" onClick={() => navigate('#/settings')}>
          Settings
        </button>
      </TopBar>
      <main class="screen" id="main" aria-labelledby="inbox-title">
        <div class="row-between">
          <h2 id="inbox-title">Conversations</h2>
          <button type="button" class="primary" onClick={() => navigate('#/invite')}>
            Invite a client
          </button>
        </div>
        {all.length > 0 && <TriageTabs current={filter} counts={counts} onChange={setFilter} />}
        <div id={PANEL_ID} role={all.length > 0 ? 'tabpanel' : undefined} aria-labelledby={all.length > 0 ? tabId(filter) : undefined}>
          {list.length === 0 ? (
            <p class="muted">{empty}</p>
          ) : (
            <ul class="conversations" aria-label="Conversations">
              {list.map((c) => (
                <Row key={c.id} c={c} now={now} selected={c.id === selected} />
              ))}
            </ul>
          )}
        </div>
        <PendingInvites />
      </main>
    </div>
  );
}

/** One conversation: name, status and how long it waited, labels, time, and its flags. */
function Row({ c, now, selected }: { c: Conversation; now: number; selected: boolean }) {
  const status = threadStatus(c);
  const since = waitingSinceOf(c);
  const waited = since === undefined ? undefined : waitingTime(Math.max(0, now - since));
  const back = isBackFromSnooze(c, now);
  return (
    <li>
      <a
        class={`conversation-link${selected ? ' selected' : ''}`}
        href={`#/c/${encodeURIComponent(c.id)}`}
        aria-current={selected ? 'page' : undefined}
        // Opened: a thread back from a snooze takes its ordinary place again.
        onClick={() => back && void changeConversation(c.id, unsnooze)}
      >
        <span class="thread-main">
          <bdi class="name" dir="auto">
            {c.label}
          </bdi>
          <span class="thread-meta">
            {isSnoozed(c, now) ? (
              <span>Snoozed until {snoozeLabel(c.snoozedUntil!, now)}</span>
            ) : (
              <>
                {back && <span class="back-from-snooze">Back from snooze · </span>}
                <span class={`status status-${status}`}>{STATUS_NAMES[status]}</span>
                {waited && (
                  <>
                    <span aria-hidden="true"> · waiting {waited.short}</span>
                    <span class="visually-hidden">, waiting {waited.long}</span>
                  </>
                )}
              </>
            )}
            <ConsentMarker conversation={c} />
          </span>
          {c.labels && c.labels.length > 0 && (
            <span class="thread-labels">
              <span class="visually-hidden">Labels: </span>
              {c.labels.map((l) => (
                <bdi key={l} class="label-chip" dir="auto">
                  {l}
                </bdi>
              ))}
            </span>
          )}
        </span>
        <span class="muted thread-time">{time(c.lastAt, now)}</span>
        {isRiskFlagged(c) && <span class="badge risk">Risk flagged</span>}
        {isUrgent(c) && (
          <span class="badge urgent" aria-label={c.urgentUnread > 0 ? `${c.urgentUnread} urgent` : 'Urgent'}>
            {c.urgentUnread > 0 ? `!${c.urgentUnread}` : '!'}
          </span>
        )}
        {c.unread > 0 && (
          <span class="badge" aria-label={`${c.unread} unread`}>
            {c.unread}
          </span>
        )}
      </a>
    </li>
  );
}
