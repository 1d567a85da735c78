/**
 * When a snooze ends: the presets the therapist picks from (in an hour, tomorrow at 9:00, next
 * Monday at 9:00) and a custom time, all in the device's own time zone. Pure functions of `now`,
 * so the tests pass a time instead of reading the clock. What a snooze does is in status.ts.
 * @module
 */

export type SnoozePreset = 'hour' | 'tomorrow' | 'monday';

export const SNOOZE_PRESETS: readonly { readonly id: SnoozePreset; readonly name: string }[] = [
  { id: 'hour', name: 'For 1 hour' },
  { id: 'tomorrow', name: 'Until tomorrow 9:00' },
  { id: 'monday', name: 'Until next Monday 9:00' },
];

const MORNING_HOUR = 9;

/** The end of a preset snooze started at `now`, local time. "Next Monday" from a Monday is a week on. */
export function snoozeUntil(preset: SnoozePreset, now: number): number {
  if (preset === 'hour') return now + 60 * 60 * 1000;
  const d = new Date(now);
  const days = preset === 'tomorrow' ? 1 : ((8 - d.getDay()) % 7 || 7);
  // setDate and setHours work in local time, across a daylight-saving change too.
  d.setDate(d.getDate() + days);
  d.setHours(MORNING_HOUR, 0, 0, 0);
  return d.getTime();
}

/**
 * A custom end from a `datetime-local` field's value ("2026-12-04T14:30"), local time; undefined
 * when empty, malformed or not after `now`.
 */
export function customSnoozeUntil(value: string, now: number): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const at = new Date(y, mo - 1, d, h, mi).getTime();
  return Number.isFinite(at) && at > now ? at : undefined;
}

/** `at` as a `datetime-local` value (local time, minutes), for the custom field's minimum and default. */
export function toLocalInput(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "Mon 9:00" (this week) or a date and time, for "Snoozed until …". */
export function snoozeLabel(at: number, now: number): string {
  const d = new Date(at);
  const time = d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  const sameDay = new Date(now).toDateString() === d.toDateString();
  if (sameDay) return `today ${time}`;
  if (at - now < 6 * 24 * 60 * 60 * 1000) return `${d.toLocaleDateString([], { weekday: 'long' })} ${time}`;
  return `${d.toLocaleDateString()} ${time}`;
}
