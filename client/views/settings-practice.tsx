/**
 * Settings, therapist: "Your practice information", what every client sees one tap away (their
 * "Get help now" screen, help.tsx) and what their composer says outside office hours: practice
 * and display names, crisis lines (added, removed and reordered with buttons), weekly office
 * hours with a time zone, away dates, and the expected response time. Saving signs a new
 * revision and sends it to every client (`Session.savePractice`, client/messages/practice.ts).
 * @module
 */
import * as v from 'valibot';
import { useState } from 'preact/hooks';
import { isHttpsContact, isPhoneContact, PracticeInfo, type CrisisLine, type OfficeDay, type Weekday } from '../../shared/practice.ts';
import { MAX_CRISIS_LINES } from '../../shared/consts.ts';
import type { PracticeEdit } from '../messages/practice.ts';
import { session } from '../state/session.ts';
import { conversations, profile } from '../state/signals.ts';
import { ErrorAlert } from './error-alert.tsx';
import { deviceTimeZone } from './practice-format.ts';

const DAYS: readonly [Weekday, string][] = [
  [1, 'Monday'],
  [2, 'Tuesday'],
  [3, 'Wednesday'],
  [4, 'Thursday'],
  [5, 'Friday'],
  [6, 'Saturday'],
  [7, 'Sunday'],
];

interface DayRow {
  readonly on: boolean;
  readonly start: string;
  readonly end: string;
}

interface Form {
  readonly practiceName: string;
  readonly therapistName: string;
  readonly lines: readonly { label: string; contact: string; note: string }[];
  readonly days: Readonly<Record<Weekday, DayRow>>;
  readonly timeZone: string;
  readonly awayFrom: string;
  readonly awayUntil: string;
  readonly responseTime: string;
}

/** The saved information as a form, or a first draft: weekdays 9 to 5 in this device's zone. */
function formOf(edit: PracticeEdit | undefined, practiceName: string): Form {
  const days = Object.fromEntries(
    DAYS.map(([d]) => {
      const saved = edit?.officeHours.weekly.find((x) => x.day === d);
      return [d, saved ? { on: true, start: saved.start, end: saved.end === '24:00' ? '00:00' : saved.end } : { on: !edit && d <= 5, start: '09:00', end: '17:00' }];
    }),
  ) as Record<Weekday, DayRow>;
  return {
    practiceName: edit?.practiceName ?? practiceName,
    therapistName: edit?.therapistName ?? '',
    lines: edit?.crisisLines.map((l) => ({ label: l.label, contact: l.contact, note: l.note ?? '' })) ?? [],
    days,
    timeZone: edit?.officeHours.timeZone ?? deviceTimeZone(),
    awayFrom: edit?.officeHours.awayFrom ?? '',
    awayUntil: edit?.officeHours.awayUntil ?? '',
    responseTime: edit?.responseTime ?? 'Within 2 working days',
  };
}

/** The form as practice information, with `24:00` for an end of "00:00" (midnight). */
function editOf(f: Form): PracticeEdit {
  const weekly: OfficeDay[] = DAYS.filter(([d]) => f.days[d].on).map(([d]) => ({ day: d, start: f.days[d].start, end: f.days[d].end === '00:00' ? '24:00' : f.days[d].end }));
  const crisisLines: CrisisLine[] = f.lines.map((l) => ({ label: l.label.trim(), contact: l.contact.trim(), ...(l.note.trim() ? { note: l.note.trim() } : {}) }));
  return {
    practiceName: f.practiceName.trim(),
    therapistName: f.therapistName.trim(),
    crisisLines,
    officeHours: { timeZone: f.timeZone, weekly, ...(f.awayFrom ? { awayFrom: f.awayFrom } : {}), ...(f.awayUntil ? { awayUntil: f.awayUntil } : {}) },
    responseTime: f.responseTime.trim(),
  };
}

/** What is wrong with the form, in plain words, or nothing. */
function problemOf(f: Form): string | undefined {
  if (!f.practiceName.trim()) return 'The practice name cannot be empty.';
  for (const [i, l] of f.lines.entries()) {
    if (!l.label.trim()) return `Crisis line ${i + 1} needs a name.`;
    const c = l.contact.trim();
    if (!isPhoneContact(c) && !isHttpsContact(c)) return `Crisis line ${i + 1}: enter a phone number (digits, +, spaces and dashes only) or a web address starting with https://.`;
  }
  for (const [d, name] of DAYS) {
    const row = f.days[d];
    if (row.on && row.end !== '00:00' && row.end <= row.start) return `${name}: the end time must be after the start time.`;
  }
  if (f.awayFrom && f.awayUntil && f.awayUntil < f.awayFrom) return 'The last day away must be on or after the first day away.';
  const checked = v.safeParse(PracticeInfo, { ...editOf(f), revision: 1, issuedAt: 0 });
  return checked.success ? undefined : `Something is not valid: ${v.getDotPath(checked.issues[0]) ?? 'the form'}: ${checked.issues[0].message}.`;
}

/** Every zone this browser knows, with the current one present even if the list lacks it. */
function timeZones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return all.includes(current) ? all : [current, ...all];
}

export function PracticeSettings() {
  const p = profile.value;
  const [form, setForm] = useState<Form>(() => formOf(p?.practice?.info, p?.practiceName ?? ''));
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [saving, setSaving] = useState(false);
  if (!p || p.role !== 'therapist') return null;

  const change = (next: Partial<Form>) => {
    setForm({ ...form, ...next });
    setSaved('');
  };
  const setLine = (i: number, next: Partial<Form['lines'][number]>) => change({ lines: form.lines.map((l, j) => (j === i ? { ...l, ...next } : l)) });
  const move = (i: number, by: -1 | 1) => {
    const lines = [...form.lines];
    [lines[i], lines[i + by]] = [lines[i + by]!, lines[i]!];
    change({ lines });
    // Keep the focus with the line that moved, on the same button when it still exists.
    requestAnimationFrame(() => document.getElementById(`line-${i + by}-${by < 0 ? 'up' : 'down'}`)?.focus() ?? document.getElementById(`line-${i + by}-label`)?.focus());
  };
  const setDay = (d: Weekday, next: Partial<DayRow>) => change({ days: { ...form.days, [d]: { ...form.days[d], ...next } } });

  const save = async (e: Event) => {
    e.preventDefault();
    const problem = problemOf(form);
    setError(problem ?? '');
    setSaved('');
    const s = session();
    if (problem || !s) return;
    setSaving(true);
    try {
      await s.savePractice(editOf(form));
      const n = conversations.value.filter((c) => c.disconnectedAt === undefined).length;
      setSaved(`Saved. ${n === 0 ? 'Clients who join will receive it.' : `Sent to ${n === 1 ? 'your client' : `your ${n} clients`}; they see it once their app is next online.`}`);
    } catch {
      setError('Your practice information could not be saved on this device. Try again.');
    } finally {
      setSaving(false);
    }
  };

  return (
    <section class="card" aria-labelledby="practice-title">
      <h2 id="practice-title">Your practice information</h2>
      <p class="muted">Every client sees this from the "Get help now" button on each screen of their app. Saving sends it to all of them, signed by you.</p>
      <form class="practice-form" onSubmit={save} noValidate>
        <div class="field">
          <label for="practice-name">Practice name</label>
          <input id="practice-name" value={form.practiceName} maxLength={80} onInput={(e) => change({ practiceName: e.currentTarget.value })} />
        </div>
        <div class="field">
          <label for="therapist-name">Your name as clients see it</label>
          <input id="therapist-name" value={form.therapistName} maxLength={80} autocomplete="name" onInput={(e) => change({ therapistName: e.currentTarget.value })} />
        </div>

        <fieldset class="field-group">
          <legend>Crisis lines</legend>
          <p class="muted" id="crisis-help">
            A phone number (digits, +, spaces, dashes) or a web address starting with https://. With none, clients are told to call their local emergency number.
          </p>
          <ol class="line-editor">
            {form.lines.map((l, i) => (
              <li key={i} class="line-row">
                <div class="field">
                  <label for={`line-${i}-label`}>Name of line {i + 1}</label>
                  <input id={`line-${i}-label`} value={l.label} maxLength={80} onInput={(e) => setLine(i, { label: e.currentTarget.value })} />
                </div>
                <div class="field">
                  <label for={`line-${i}-contact`}>Number or address of line {i + 1}</label>
                  <input
                    id={`line-${i}-contact`}
                    value={l.contact}
                    maxLength={200}
                    inputMode="tel"
                    aria-describedby="crisis-help"
                    onInput={(e) => setLine(i, { contact: e.currentTarget.value })}
                  />
                </div>
                <div class="field">
                  <label for={`line-${i}-note`}>Note for line {i + 1} (optional)</label>
                  <input id={`line-${i}-note`} value={l.note} maxLength={200} placeholder="For example: free, 24 hours" onInput={(e) => setLine(i, { note: e.currentTarget.value })} />
                </div>
                <div class="actions-row">
                  <button type="button" id={`line-${i}-up`} disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move up line ${i + 1}`}>
                    Move up
                  </button>
                  <button type="button" id={`line-${i}-down`} disabled={i === form.lines.length - 1} onClick={() => move(i, 1)} aria-label={`Move down line ${i + 1}`}>
                    Move down
                  </button>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => {
                      change({ lines: form.lines.filter((_, j) => j !== i) });
                      requestAnimationFrame(() => document.getElementById('add-line')?.focus());
                    }}
                    aria-label={`Remove line ${i + 1}`}
                  >
                    Remove
                  </button>
                </div>
              </li>
            ))}
          </ol>
          <button
            type="button"
            id="add-line"
            disabled={form.lines.length >= MAX_CRISIS_LINES}
            onClick={() => {
              change({ lines: [...form.lines, { label: '', contact: '', note: '' }] });
              requestAnimationFrame(() => document.getElementById(`line-${form.lines.length}-label`)?.focus());
            }}
          >
            Add a crisis line
          </button>
        </fieldset>

        <fieldset class="field-group">
          <legend>Office hours</legend>
          <div class="field">
            <label for="time-zone">Time zone</label>
            <select id="time-zone" value={form.timeZone} onChange={(e) => change({ timeZone: e.currentTarget.value })}>
              {timeZones(form.timeZone).map((z) => (
                <option key={z} value={z}>
                  {z.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </div>
          <p class="muted">Clients see these hours in their own time zone. Tick the days you read messages.</p>
          <ul class="hours-editor">
            {DAYS.map(([d, name]) => (
              <li key={d} class="day-row">
                <label class="checkbox">
                  <input type="checkbox" checked={form.days[d].on} onChange={(e) => setDay(d, { on: e.currentTarget.checked })} />
                  <span>{name}</span>
                </label>
                <label for={`day-${d}-start`} class="visually-hidden">
                  {name} from
                </label>
                <input id={`day-${d}-start`} type="time" value={form.days[d].start} disabled={!form.days[d].on} onInput={(e) => setDay(d, { start: e.currentTarget.value })} />
                <span aria-hidden="true">to</span>
                <label for={`day-${d}-end`} class="visually-hidden">
                  {name} until
                </label>
                <input id={`day-${d}-end`} type="time" value={form.days[d].end} disabled={!form.days[d].on} onInput={(e) => setDay(d, { end: e.currentTarget.value })} />
              </li>
            ))}
          </ul>
          <div class="field">
            <label for="away-from">First day away (optional)</label>
            <input id="away-from" type="date" value={form.awayFrom} onInput={(e) => change({ awayFrom: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="away-until">Last day away (optional)</label>
            <input id="away-until" type="date" value={form.awayUntil} onInput={(e) => change({ awayUntil: e.currentTarget.value })} />
          </div>
          <p class="muted">While you are away, clients are told when you are back before they write.</p>
        </fieldset>

        <div class="field">
          <label for="response-time">When clients can expect a reply</label>
          <input id="response-time" value={form.responseTime} maxLength={200} placeholder="For example: within 1 working day" onInput={(e) => change({ responseTime: e.currentTarget.value })} />
        </div>

        <ErrorAlert id="practice-error" message={error} />
        <button type="submit" class="primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save and send to clients'}
        </button>
        <p role="status" class="muted">
          {saved}
        </p>
      </form>
    </section>
  );
}
