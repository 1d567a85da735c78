/**
 * One message in a conversation: its text rendered as text (message-text.tsx), the message it
 * replies to, its attachments, when it was sent and, for ours, how far it got ("Not delivered"
 * with Retry past the delivery bound, client/outbox/delivery.ts). A message that could not be
 * opened is a notice in the app's words, never the peer's. A client's message the therapist's
 * device flagged for risk language shows its label and highlighted words (risk-marks.tsx).
 * @module
 */
import type { Conversation, StoredMessage } from '../data/records.ts';
import { notDelivered } from '../outbox/delivery.ts';
import { session } from '../state/session.ts';
import { AttachmentView } from './attachment.tsx';
import { setReply } from './composer.tsx';
import { detectRisk } from '../triage/risk.ts';
import { MessageText } from './message-text.tsx';
import { RiskLabel } from './risk-marks.tsx';
import { shortened } from './text-limit.ts';

const STATUS_LABEL: Record<StoredMessage['status'], string> = {
  queued: 'Waiting to send',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
};

const clock = (ms: number): string => new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });

export function MessageBubble({ message, quoted, conversation }: { message: StoredMessage; quoted: StoredMessage | undefined; conversation: Conversation }) {
  if (message.notice === 'restored') {
    return (
      <li class="message notice" data-message-id={message.id}>
        This device was restored from a backup made {clock(message.sentAt)}. Messages sent or received on the old device after that are not on this device.
      </li>
    );
  }
  if (message.notice) {
    return (
      <li class="message notice" data-message-id={message.id}>
        A message from {conversation.label} could not be opened. <span class="meta">{clock(message.sentAt)}</span>
      </li>
    );
  }
  // "Not delivered": failed, or no delivered receipt within the bound (outbox/delivery.ts).
  const undelivered = message.mine && notDelivered(message, Date.now());
  const cls = `message${message.mine ? ' mine' : ''}${message.urgent ? ' urgent' : ''}${message.risk ? ' risk' : ''}`;
  // Flagged on receipt (client/triage/risk-flag.ts); the words are found again to highlight them.
  const flagged = !message.mine && message.text !== undefined && message.risk?.length ? message.risk : undefined;
  const risk = flagged && message.text !== undefined ? { matches: detectRisk(message.text).matches, labelId: `risk-${message.id}` } : undefined;
  return (
    <li class={cls} data-message-id={message.id}>
      {message.urgent && <strong class="urgent-label">Urgent: </strong>}
      {quoted && (
        <span class="quote" dir="auto">
          {quoted.text === undefined ? 'Attachment' : shortened(quoted.text)}
        </span>
      )}
      {flagged && risk && <RiskLabel id={risk.labelId} categories={flagged} matches={risk.matches} />}
      {message.text !== undefined && <MessageText text={message.text} id={`text-${message.id}`} {...(risk ? { risk } : {})} />}
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
