/**
 * A therapist's inbox: conversations, urgent and unread first, with counts; pending invites;
 * and the way to invite a new client.
 * @module
 */
import { conversations, navigate, profile } from '../state/signals.ts';
import { PendingInvites } from './pending-invites.tsx';
import { TopBar } from './topbar.tsx';

const time = (ms: number): string => {
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString();
};

export function Home() {
  const list = [...conversations.value].sort((a, b) => b.urgentUnread - a.urgentUnread || Number(b.unread > 0) - Number(a.unread > 0) || b.lastAt - a.lastAt);
  return (
    <div class="app-frame">
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
        {list.length === 0 ? (
          <p class="muted">No conversations yet. Invite a client to start.</p>
        ) : (
          <ul class="conversations" aria-label="Conversations">
            {list.map((c) => (
              <li key={c.id}>
                <a class="conversation-link" href={`#/c/${encodeURIComponent(c.id)}`}>
                  <span class="name">{c.label}</span>
                  <span class="muted">{time(c.lastAt)}</span>
                  {c.urgentUnread > 0 && (
                    <span class="badge urgent" aria-label={`${c.urgentUnread} urgent`}>
                      !{c.urgentUnread}
                    </span>
                  )}
                  {c.unread > 0 && (
                    <span class="badge" aria-label={`${c.unread} unread`}>
                      {c.unread}
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        )}
        <PendingInvites />
      </main>
    </div>
  );
}
