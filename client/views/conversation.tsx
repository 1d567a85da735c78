/**
 * One conversation: the newest messages (older ones a page at a time, so 2,000 messages cost
 * what 50 do), each a bubble (message-bubble.tsx), the banners (a new identity,
 * identity-changed.tsx; disconnected; not for emergencies; a therapist's consent line,
 * consent-status.tsx), the composer (composer.tsx; for a client whose consent is needed, the
 * consent prompt instead, consent-prompt.tsx), and read receipts sent while the conversation is
 * on screen.
 * @module
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StoredMessage } from '../data/records.ts';
import { messagesFromNewest } from '../search/locate.ts';
import { session } from '../state/session.ts';
import { conversations, messagesVersion, navigate, profile } from '../state/signals.ts';
import { consentToAccept } from '../account/consent.ts';
import { Composer } from './composer.tsx';
import { ConsentPrompt } from './consent-prompt.tsx';
import { ConsentLine } from './consent-status.tsx';
import { IdentityChanged } from './identity-changed.tsx';
import { MessageBubble } from './message-bubble.tsx';
import { ThreadDetails } from './thread-details.tsx';
import { TopBar } from './topbar.tsx';

const PAGE = 50;

export function ConversationView({ id, focus }: { id: string; focus?: string | undefined }) {
  const conversation = conversations.value.find((c) => c.id === id);
  const [messages, setMessages] = useState<{ key: string; message: StoredMessage }[]>([]);
  const [limit, setLimit] = useState(PAGE);
  const [hasMore, setHasMore] = useState(false);
  const [announce, setAnnounce] = useState('');
  const listRef = useRef<HTMLOListElement>(null);
  const lastKey = useRef<string | undefined>(undefined);
  const version = messagesVersion.value;

  useEffect(() => {
    const s = session();
    if (!s || !conversation) return;
    let live = true;
    void s.records.messages(id, { limit: limit + 1 }).then((page) => {
      if (!live) return;
      setHasMore(page.length > limit);
      const shown = page.slice(-limit);
      const newest = shown.at(-1);
      if (newest && lastKey.current && newest.key > lastKey.current && !newest.message.mine) {
        const text = newest.message.text;
        setAnnounce(newest.message.notice ? 'A message could not be opened' : `New message: ${text === undefined ? 'an attachment' : text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
      }
      const atBottom = !lastKey.current || newest?.key !== lastKey.current;
      lastKey.current = newest?.key;
      setMessages(shown);
      // Scroll the list itself (scrollIntoView would also scroll the page and hide the top bar).
      if (atBottom)
        requestAnimationFrame(() => {
          const list = listRef.current;
          if (list) list.scrollTop = list.scrollHeight;
        });
    });
    return () => {
      live = false;
    };
  }, [id, limit, version, conversation !== undefined]);

  // A message to open at (a search result, `#/c/<id>/m/<message id>`): show enough pages to
  // include it, then scroll it to the middle of the list, mark it and give it focus.
  const focused = useRef<string | undefined>(undefined);
  useEffect(() => {
    const s = session();
    if (!s || !focus) return;
    let live = true;
    void messagesFromNewest(s.records, id, focus).then((n) => live && n !== undefined && setLimit((l) => Math.max(l, n)));
    return () => {
      live = false;
    };
  }, [id, focus]);
  useEffect(() => {
    const list = listRef.current;
    if (!focus || focused.current === focus || !list || !messages.some((m) => m.message.id === focus)) return;
    focused.current = focus;
    requestAnimationFrame(() => {
      const el = list.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(focus)}"]`);
      if (!el) return;
      el.classList.add('found');
      el.tabIndex = -1;
      el.focus({ preventScroll: true });
      const box = list.getBoundingClientRect();
      const at = el.getBoundingClientRect();
      list.scrollTop += at.top - box.top - (box.height - at.height) / 2;
    });
  }, [messages, focus]);

  // On every change this page hears of, not only when the unread count it holds changes: another
  // tab may have marked earlier messages read meanwhile, so a new one can arrive here with the
  // count this page already showed (1 before, 1 again) and would never be marked read.
  useEffect(() => {
    const s = session();
    if (s && conversation && conversation.unread > 0 && document.visibilityState === 'visible') void s.markRead(conversation);
  }, [conversation?.unread, version]);

  if (!conversation) {
    return (
      <div class="app-frame">
        <TopBar title="Conversation" back="#/" />
        <main class="screen">
          <p>This conversation is not on this device.</p>
        </main>
      </div>
    );
  }

  const isTherapist = profile.value?.role === 'therapist';
  const byId = new Map(messages.map((m) => [m.message.id, m.message]));
  // A client writes only under consent given: a new version, or consent withdrawn, replaces the composer.
  const consentWaiting = isTherapist ? undefined : consentToAccept(conversation);
  return (
    <div class="conversation">
      <TopBar title={conversation.label} {...(isTherapist ? { back: '#/' } : {})}>
        <button type="button" class="icon-button" onClick={() => navigate(`#/verify/${encodeURIComponent(id)}`)}>
          Safety number
        </button>
        {!isTherapist && (
          <button type="button" class="icon-button" onClick={() => navigate('#/settings')}>
            Settings
          </button>
        )}
      </TopBar>
      {isTherapist && <ConsentLine conversation={conversation} />}
      {isTherapist && <ThreadDetails key={conversation.id} conversation={conversation} />}
      {conversation.pendingIdentity && <IdentityChanged conversation={conversation} />}
      {conversation.disconnectedAt !== undefined && (
        <div class="banner identity-changed" role="alert">
          <p>
            {isTherapist
              ? `${conversation.label}'s device no longer accepts your messages. Invite them again to connect.`
              : 'This device is no longer connected to your therapist. Ask them for a new invite link to connect again.'}
          </p>
        </div>
      )}
      {!isTherapist && conversation.emergencyNotice && (
        <details class="banner">
          <summary>Not for emergencies</summary>
          <p>{conversation.emergencyNotice}</p>
        </details>
      )}
      <ol class="messages" ref={listRef} aria-label={`Messages with ${conversation.label}`} tabIndex={0}>
        {hasMore && (
          <li class="load-more">
            <button type="button" onClick={() => setLimit(limit + PAGE)}>
              Show earlier messages
            </button>
          </li>
        )}
        {messages.length === 0 && <li class="muted">No messages yet. Write the first one below.</li>}
        {messages.map(({ key, message }) => (
          <MessageBubble key={key} message={message} quoted={message.replyTo ? byId.get(message.replyTo) : undefined} conversation={conversation} />
        ))}
      </ol>
      <div class="visually-hidden" aria-live="polite" role="log">
        {announce}
      </div>
      {consentWaiting ? <ConsentPrompt conversation={conversation} offer={consentWaiting} /> : <Composer key={conversation.id} conversation={conversation} />}
    </div>
  );
}
