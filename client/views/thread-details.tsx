/**
 * A conversation's details on the therapist's device (issue 11, "Triage"): its status, changed
 * by hand; snoozing it (1 hour, tomorrow 9:00, next Monday 9:00, or a time of the therapist's
 * choosing); and the client's labels and private note. Folded under one summary line so the
 * messages keep the screen. Everything here stays in this device's vault; nothing is sent.
 * @module
 */
import { signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import type { Conversation } from '../data/records.ts';
import { changeConversation, MAX_LABEL_LENGTH, MAX_LABELS, MAX_NOTE_LENGTH, withLabel } from '../triage/actions.ts';
import { customSnoozeUntil, SNOOZE_PRESETS, snoozeLabel, snoozeUntil, toLocalInput } from '../triage/snooze.ts';
import { isBackFromSnooze, isSnoozed, setStatus, snooze, STATUS_NAMES, threadStatus, unsnooze, type ThreadStatus } from '../triage/status.ts';
import { navigate } from '../state/signals.ts';

const STATUSES: readonly ThreadStatus[] = ['needs-reply', 'waiting', 'done'];

/** Unfolded or not, kept while the view is drawn again (a resize across 1024 px changes the layout). */
const unfolded = signal(false);

export function ThreadDetails({ conversation: c }: { conversation: Conversation }) {
  const status = threadStatus(c);
  const now = Date.now();
  const [announce, setAnnounce] = useState('');
  const [label, setLabel] = useState('');
  const [note, setNote] = useState(c.privateNote ?? '');
  const [custom, setCustom] = useState('');
  const [customError, setCustomError] = useState('');
  const change = (f: (c: Conversation) => Conversation, said: string) => void changeConversation(c.id, f).then(() => setAnnounce(said));

  // Opened after its snooze came due: it takes its ordinary place in the inbox again.
  useEffect(() => {
    if (isBackFromSnooze(c, Date.now())) void changeConversation(c.id, unsnooze);
  }, [c.id, c.snoozedUntil]);

  const snoozeTo = (until: number) =>
    void changeConversation(c.id, (x) => snooze(x, until)).then(() => {
      // Out of sight until then: back to the inbox, where "Snoozed" lists it.
      unfolded.value = false;
      navigate('#/');
    });

  const customSubmit = (e: Event) => {
    e.preventDefault();
    const until = customSnoozeUntil(custom, Date.now());
    if (until === undefined) return setCustomError('Choose a date and time in the future.');
    setCustomError('');
    snoozeTo(until);
  };

  const addLabel = (e: Event) => {
    e.preventDefault();
    if (!label.trim()) return;
    const l = label;
    setLabel('');
    change((x) => ({ ...x, labels: withLabel(x.labels, l) }), `Label ${l.trim()} added.`);
  };

  return (
    <details class="thread-details" open={unfolded.value} onToggle={(e) => (unfolded.value = e.currentTarget.open)}>
      <summary>
        <span>
          Status: <strong>{STATUS_NAMES[status]}</strong>
          {isSnoozed(c, now) && <> · snoozed until {snoozeLabel(c.snoozedUntil!, now)}</>}
        </span>
        {c.labels?.map((l) => (
          <bdi key={l} class="label-chip" dir="auto">
            {l}
          </bdi>
        ))}
        <span class="muted">Snooze, labels, private note</span>
      </summary>
      <div class="panel">
        <fieldset>
          <legend>Status</legend>
          {STATUSES.map((st) => (
            <label key={st} class="radio">
              <input type="radio" name={`status-${c.id}`} value={st} checked={st === status} onChange={() => change((x) => setStatus(x, st), `Marked ${STATUS_NAMES[st].toLowerCase()}.`)} />
              {STATUS_NAMES[st]}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Snooze</legend>
          {isSnoozed(c, now) ? (
            <button type="button" onClick={() => change(unsnooze, 'Snooze ended.')}>
              End snooze (until {snoozeLabel(c.snoozedUntil!, now)})
            </button>
          ) : (
            SNOOZE_PRESETS.map((p) => (
              <button key={p.id} type="button" onClick={() => snoozeTo(snoozeUntil(p.id, Date.now()))}>
                Snooze {p.name.charAt(0).toLowerCase()}
                {p.name.slice(1)}
              </button>
            ))
          )}
        </fieldset>
        {!isSnoozed(c, now) && (
          <form class="inline-form" onSubmit={customSubmit} aria-label="Snooze until a time you choose">
            <div class="field">
              <label for="snooze-custom">Snooze until</label>
              <input
                id="snooze-custom"
                type="datetime-local"
                value={custom}
                min={toLocalInput(now)}
                aria-invalid={customError ? true : undefined}
                aria-describedby={customError ? 'snooze-custom-error' : undefined}
                onInput={(e) => setCustom(e.currentTarget.value)}
              />
            </div>
            <button type="submit">Snooze</button>
            {customError && (
              <p id="snooze-custom-error" class="error" role="alert">
                {customError}
              </p>
            )}
          </form>
        )}
        <section aria-labelledby="labels-title">
          <h3 id="labels-title">Labels</h3>
          <p class="muted">Only on this device; never sent.</p>
          {c.labels && c.labels.length > 0 && (
            <ul class="thread-labels" aria-label="Labels">
              {c.labels.map((l) => (
                <li key={l} class="label-chip">
                  <bdi dir="auto">{l}</bdi>
                  <button type="button" class="link" aria-label={`Remove label ${l}`} onClick={() => change((x) => ({ ...x, labels: (x.labels ?? []).filter((y) => y !== l) }), `Label ${l} removed.`)}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          {(c.labels?.length ?? 0) < MAX_LABELS && (
            <form class="inline-form" onSubmit={addLabel}>
              <div class="field">
                <label for="label-new">New label</label>
                <input id="label-new" autocomplete="off" maxLength={MAX_LABEL_LENGTH} value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
              </div>
              <button type="submit">Add label</button>
            </form>
          )}
        </section>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const text = note.trim();
            change((x) => (text ? { ...x, privateNote: text } : (({ privateNote: _, ...rest }) => rest)(x)), 'Private note saved.');
          }}
        >
          <div class="field">
            <label for="private-note">Private note</label>
            <p id="private-note-hint" class="muted">
              For you alone: kept encrypted on this device, never sent to {c.label} or anyone.
            </p>
            {/* Like the composer: in the vault only, never in the browser's form history. */}
            <textarea id="private-note" rows={4} dir="auto" autocomplete="off" maxLength={MAX_NOTE_LENGTH} aria-describedby="private-note-hint" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </div>
          <button type="submit">Save note</button>
        </form>
        <p class="visually-hidden" aria-live="polite">
          {announce}
        </p>
      </div>
    </details>
  );
}
