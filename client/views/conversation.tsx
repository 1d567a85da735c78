/**
 * One conversation: the newest messages (older ones a page at a time, so 2,000 messages cost
 * what 50 do), a composer with urgent and reply, attachments with progress, and read receipts
 * sent while the conversation is on screen. Every message text is rendered as text, bidi-isolated
 * (a long one collapsed behind "Show all"); file names show their directional controls (bidi.tsx).
 * @module
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { downloadAttachment, isPreviewable, type Phase } from '../attachments/attachments.ts';
import type { AttachmentMeta, Conversation, StoredMessage } from '../data/records.ts';
import { session } from '../state/session.ts';
import { conversations, messagesVersion, navigate, profile } from '../state/signals.ts';
import { FileName, showBidiControls } from './bidi.tsx';
import { Composer, setReply } from './composer.tsx';
import { MessageText } from './message-text.tsx';
import { shortened } from './text-limit.ts';
import { Progress } from './progress.tsx';
import { TopBar } from './topbar.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { notDelivered } from '../outbox/delivery.ts';

const PAGE = 50;

const STATUS_LABEL: Record<StoredMessage['status'], string> = {
  queued: 'Waiting to send',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
};

const clock = (ms: number): string => new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });

export function ConversationView({ id }: { id: string }) {
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

  useEffect(() => {
    const s = session();
    if (s && conversation && conversation.unread > 0 && document.visibilityState === 'visible') void s.markRead(conversation);
  }, [conversation?.unread]);

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
      <ol class="messages" ref={listRef} aria-label={`Messages with ${conversation.label}`}>
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
      <Composer key={conversation.id} conversation={conversation} />
    </div>
  );
}

/** A new identity for this person: say so plainly, and hold sending until it is acknowledged. */
function IdentityChanged({ conversation }: { conversation: Conversation }) {
  return (
    <div class="banner identity-changed" role="alert">
      <p>
        <strong>{conversation.label} has a new safety number.</strong> They may have joined again on a new device, or someone may be trying to pose as them. Check the new
        safety number with them in person or on a call before you continue. Sending is paused until then.
      </p>
      <div class="actions-row">
        <button type="button" onClick={() => navigate(`#/verify/${encodeURIComponent(conversation.id)}`)}>
          Check the safety number
        </button>
        <button type="button" class="primary" onClick={() => void session()?.acceptNewIdentity(conversation)}>
          I have checked: continue
        </button>
      </div>
    </div>
  );
}

function MessageBubble({ message, quoted, conversation }: { message: StoredMessage; quoted: StoredMessage | undefined; conversation: Conversation }) {
  if (message.notice) {
    return (
      <li class="message notice" data-message-id={message.id}>
        A message from {conversation.label} could not be opened. <span class="meta">{clock(message.sentAt)}</span>
      </li>
    );
  }
  // "Not delivered": failed, or no delivered receipt within the bound (outbox/delivery.ts).
  const undelivered = message.mine && notDelivered(message, Date.now());
  const cls = `message${message.mine ? ' mine' : ''}${message.urgent ? ' urgent' : ''}`;
  return (
    <li class={cls} data-message-id={message.id}>
      {message.urgent && <strong class="urgent-label">Urgent: </strong>}
      {quoted && (
        <span class="quote" dir="auto">
          {quoted.text === undefined ? 'Attachment' : shortened(quoted.text)}
        </span>
      )}
      {message.text !== undefined && <MessageText text={message.text} id={`text-${message.id}`} />}
      {message.attachments?.map((a) => (
        <AttachmentView key={a.blobId} meta={a} />
      ))}
      <span class="meta">
        {clock(message.sentAt)}
        {message.mine ? ` · ${undelivered ? 'Not delivered' : STATUS_LABEL[message.status]}` : ''}
        {undelivered && conversation.disconnectedAt === undefined && (
          <>
            {' · '}
            <button type="button" class="link reply-button retry-button" onClick={() => void session()?.resend(conversation.id, message.id)}>
              Retry
            </button>
          </>
        )}
        {!message.mine && (
          <>
            {' · '}
            <button type="button" class="link reply-button" onClick={() => setReply(conversation.id, message)}>
              Reply
            </button>
          </>
        )}
      </span>
    </li>
  );
}

function AttachmentView({ meta }: { meta: AttachmentMeta }) {
  const [url, setUrl] = useState<string | undefined>();
  const [progress, setProgress] = useState<{ phase: Phase; fraction: number } | undefined>();
  const [error, setError] = useState('');
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const open = async () => {
    const s = session();
    if (!s) return;
    setError('');
    setProgress({ phase: 'downloading', fraction: 0 });
    try {
      const blob = await downloadAttachment(s.api, meta, (phase, fraction) => setProgress({ phase, fraction }));
      setUrl(URL.createObjectURL(blob));
    } catch {
      setError('This attachment could not be downloaded or did not verify. It may have expired.');
    } finally {
      setProgress(undefined);
    }
  };
  const name = showBidiControls(meta.name);
  const sizeText = meta.size >= 1024 * 1024 ? `${(meta.size / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(meta.size / 1024)} KB`;
  return (
    <span class="attachment">
      <span>
        📎 <FileName name={meta.name} /> ({sizeText})
      </span>
      {url ? (
        <>
          {isPreviewable(meta.mime) && <img class="preview" src={url} alt={`Picture: ${name}`} />}
          <a class="button" href={url} download={name}>
            Save <FileName name={meta.name} />
          </a>
        </>
      ) : progress ? (
        <Progress label="Downloading and decrypting" fraction={progress.fraction} />
      ) : (
        <button type="button" onClick={() => void open()}>
          Download <FileName name={meta.name} />
        </button>
      )}
      {error && <span class="error">{error}</span>}
    </span>
  );
}
