/**
 * The composer: text, urgent, reply, attachments with progress. What is written is kept as a
 * draft in the vault while the person types (client/data/drafts.ts), put back after an unlock,
 * and removed once sent. The text is never cut: near the protocol's limit a counter counts
 * down, and over it sending is refused with how much is too much (text-limit.ts). Enter adds a
 * line, Ctrl+Enter (Cmd+Enter) sends, and a hint under the field says so; a therapist can insert
 * a reply template (template-picker.tsx).
 * @module
 */
import { signal } from '@preact/signals';
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Phase } from '../attachments/attachments.ts';
import type { Conversation, StoredMessage } from '../data/records.ts';
import { session } from '../state/session.ts';
import { profile } from '../state/signals.ts';
import { FileName } from './bidi.tsx';
import { useRiskFlag } from '../triage/use-risk-flag.ts';
import { AfterHoursNotice, CrisisPanel, crisisSourceOf } from './crisis-lines.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { Progress } from './progress.tsx';
import { slashOpensTemplates, TemplatePicker } from './template-picker.tsx';
import { limitMessage, shortened, textLimit } from './text-limit.ts';

/** The message a reply answers, and in which conversation (set by a bubble, read by the composer). */
const replyTarget = signal<{ conversationId: string; message: StoredMessage } | undefined>(undefined);
export const setReply = (conversationId: string, message: StoredMessage | undefined): void => {
  replyTarget.value = message ? { conversationId, message } : undefined;
  document.getElementById('composer-text')?.focus();
};

/** The keys that send, as this device's keyboard names them. */
const SEND_KEYS = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.userAgent) ? 'Cmd+Enter' : 'Ctrl+Enter';

export function Composer({ conversation }: { conversation: Conversation }) {
  const [text, setText] = useState('');
  const [urgent, setUrgent] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [upload, setUpload] = useState<{ phase: Phase; fraction: number } | undefined>();
  const [error, setError] = useState('');
  /** The stored draft has been put back (until then, an empty composer must not overwrite it). */
  const restored = useRef(false);
  const [ready, setReady] = useState(false);
  const reply = replyTarget.value?.conversationId === conversation.id ? replyTarget.value.message : undefined;
  // A new identity waits for confirmation, or this device was replaced (client/outbox/delivery.ts).
  const blocked = conversation.pendingIdentity !== undefined || conversation.disconnectedAt !== undefined;
  const limit = textLimit(text);
  /** The text as typed now, for a send that finishes after the person typed on. */
  const latest = useRef(text);
  latest.current = text;
  const canSend = !blocked && !upload && !limit.over && (text.trim().length > 0 || files.length > 0);
  const id = conversation.id;
  const isClient = profile.value?.role === 'client';
  // On this device only, before sending; it shows the crisis lines and never blocks or reports (client/triage/risk.ts).
  const risk = useRiskFlag(isClient ? text : '');

  // Put the draft back (after an unlock, or coming back to the conversation).
  useEffect(() => {
    const s = session();
    if (!s) return;
    let live = true;
    void s.drafts.get(id).then(async (d) => {
      if (!live) return;
      if (d) {
        setText((now) => now || d.text);
        if (d.urgent) setUrgent(true);
        const quoted = d.replyTo ? await s.records.message(id, d.replyTo) : undefined;
        if (live && quoted && !replyTarget.value) replyTarget.value = { conversationId: id, message: quoted };
      }
      restored.current = true;
      setReady(true);
    }, () => {
      restored.current = true;
      setReady(true);
    });
    // Leaving the conversation or the page: write what waits now.
    const hidden = () => document.visibilityState === 'hidden' && void s.drafts.flush();
    document.addEventListener('visibilitychange', hidden);
    return () => {
      live = false;
      document.removeEventListener('visibilitychange', hidden);
      void s.drafts.flush();
    };
  }, [id]);

  /**
   * Every change the person makes is the draft (written after a quiet moment). Called from the
   * event handlers themselves, not an effect: a "Lock" pressed right after typing must find the
   * change already handed over (effects wait for the next frame).
   */
  const keep = (next: { text?: string; urgent?: boolean; replyTo?: string | undefined }): void => {
    const t = next.text ?? text;
    const u = next.urgent ?? urgent;
    const r = 'replyTo' in next ? next.replyTo : reply?.id;
    session()?.drafts.update(id, { text: t, ...(u ? { urgent: u } : {}), ...(r ? { replyTo: r } : {}) });
  };
  // A reply chosen or cancelled (from a message bubble) changes the draft too.
  useEffect(() => {
    if (restored.current) keep({ replyTo: reply?.id });
  }, [reply?.id]);

  const send = async (e?: Event) => {
    e?.preventDefault();
    const s = session();
    if (limit.over) {
      // Say it where the person looks; the text stays as it is.
      document.getElementById('composer-text')?.focus();
      return;
    }
    if (!s || !canSend) return;
    setError('');
    try {
      const sentText = text;
      await s.send(conversation, { text: text.trim(), urgent, ...(reply ? { replyTo: reply.id } : {}), files }, (phase, fraction) => setUpload({ phase, fraction }));
      setUpload(undefined);
      setFiles([]);
      // Saving can take a moment (another tab may be writing): whatever was typed meanwhile is
      // a new draft, never cleared with the message that went.
      if (latest.current !== sentText) return;
      setText('');
      setUrgent(false);
      setReply(id, undefined);
      await s.drafts.discard(id);
    } catch (err) {
      setUpload(undefined);
      setError(
        files.length > 0
          ? `The attachment could not be sent${err instanceof RangeError ? `: ${err.message}` : '. Attachments need a connection; your text is still here.'}`
          : 'The message could not be saved on this device. Try again.',
      );
    }
  };

  /** The text changed (typed, or a template inserted): shown, and kept as the draft. */
  const change = (value: string) => {
    setText(value);
    keep({ text: value });
  };
  const counter = limitMessage(limit);
  const describedBy = ['composer-hint', counter && 'composer-count', error && 'composer-error'].filter(Boolean).join(' ');
  return (
    <form class="composer" onSubmit={send} aria-label="Write a message" data-draft={ready ? 'ready' : 'loading'}>
      {conversation.pendingIdentity !== undefined && <p class="muted">Sending is paused until you confirm the new safety number above.</p>}
      {/* A client: the therapist's hours before writing; the crisis lines first when urgent or the draft sounds like a crisis (crisis-lines.tsx). */}
      {isClient &&
        (urgent || risk.flagged ? (
          <CrisisPanel source={crisisSourceOf(conversation)} reason={urgent ? 'Marked urgent' : 'It sounds like things may be hard right now'} />
        ) : (
          <AfterHoursNotice source={crisisSourceOf(conversation)} />
        ))}
      {reply && (
        <p class="reply-to">
          Replying to:{' '}
          <span class="quote" dir="auto">
            {reply.text === undefined ? 'Attachment' : shortened(reply.text)}
          </span>{' '}
          <button type="button" class="link" onClick={() => setReply(id, undefined)}>
            Cancel reply
          </button>
        </p>
      )}
      {files.length > 0 && (
        <p class="muted">
          Attached:{' '}
          {files.map((f, i) => (
            <Fragment key={i}>
              {i > 0 && ', '}
              <FileName name={f.name} />
            </Fragment>
          ))}{' '}
          <button type="button" class="link" onClick={() => setFiles([])}>
            Remove
          </button>
        </p>
      )}
      {upload && <Progress label={upload.phase === 'encrypting' ? 'Encrypting attachment' : 'Uploading attachment'} fraction={upload.fraction} />}
      <ErrorAlert id="composer-error" message={error} />
      <div class="composer-row">
        <label for="composer-text" class="visually-hidden">
          Message
        </label>
        <textarea
          id="composer-text"
          rows={2}
          dir="auto"
          // Unsent words live in the vault's encrypted draft, never in the browser's form
          // history or saved session state (THREAT-MODEL.md, "The browser's own files").
          autocomplete="off"
          value={text}
          placeholder="Write a message"
          aria-invalid={limit.over}
          aria-describedby={describedBy || undefined}
          onInput={(e) => change(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (slashOpensTemplates(e)) return;
            // Enter adds a line (the field's own behaviour); Ctrl+Enter (Cmd+Enter on a Mac) sends.
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send();
          }}
        />
        <button type="submit" class="primary" disabled={!canSend} aria-keyshortcuts="Control+Enter Meta+Enter">
          Send
        </button>
      </div>
      <p id="composer-hint" class="composer-hint">
        Enter adds a line · {SEND_KEYS} sends
      </p>
      {counter && (
        <p id="composer-count" class={`char-count${limit.over ? ' over' : ''}`}>
          {counter}
        </p>
      )}
      {/* Announced when the state changes (near, over, back under), not at every key. */}
      <p class="visually-hidden" aria-live="polite">
        {limit.over ? 'The message is too long to send.' : limit.near ? 'The message is close to the length limit.' : ''}
      </p>
      <div class="composer-options">
        <label class="checkbox">
          <input
            type="checkbox"
            checked={urgent}
            onChange={(e) => {
              setUrgent(e.currentTarget.checked);
              keep({ urgent: e.currentTarget.checked });
            }}
          />
          <span>Mark as urgent</span>
        </label>
        <TemplatePicker textareaId="composer-text" onChange={change} />
        <label class="button file-button">
          Attach a file
          <input
            type="file"
            class="visually-hidden"
            multiple
            onChange={(e) => {
              setFiles([...(e.currentTarget.files ?? [])].slice(0, 10));
              e.currentTarget.value = '';
            }}
          />
        </label>
      </div>
    </form>
  );
}
