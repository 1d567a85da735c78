/**
 * The therapist's office hours as a client reads them: in the client's own time zone and
 * language, computed on the client's device from the signed practice information
 * (shared/practice.ts does the math; this module only words it). Pure functions of the
 * practice, the time and the zone, so they are tested without a browser.
 * @module
 */
import { availability, weekInZone, zonedParts, type OfficeHours } from '../../shared/practice.ts';

/** The device's own IANA time zone (what the client's clock shows). */
export const deviceTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

const DAY_MS = 86_400_000;

/** "Monday 09:00" within the coming six days, else "Monday 4 January 2100, 09:00", in `timeZone`. */
export function formatMoment(instant: number, now: number, timeZone: string, locale?: string): string {
  const soon = instant - now < 6 * DAY_MS;
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    weekday: 'long',
    ...(soon ? {} : { day: 'numeric', month: 'long', year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
  }).format(instant);
}

/** A calendar date `YYYY-MM-DD` as "Monday 4 January 2100" (a date, in no particular zone). */
export function formatDate(date: string, locale?: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(Date.UTC(y, m - 1, d));
}

const nextDate = (date: string): string => {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
};

/**
 * What the composer says before the client writes when the therapist is not working now, or
 * nothing while they are (or when no hours are stated).
 */
export function unavailableNotice(hours: OfficeHours, now: number, timeZone: string, locale?: string): string | undefined {
  const a = availability(hours, now);
  switch (a.state) {
    case 'away':
      if (a.opensAt !== undefined) return `Your therapist is away until ${formatMoment(a.opensAt, now, timeZone, locale)} your time.`;
      if (a.lastDay !== undefined) return `Your therapist is away and back on ${formatDate(nextDate(a.lastDay), locale)}.`;
      return 'Your therapist is away for now.';
    case 'closed':
      return a.opensAt === undefined ? undefined : `Your therapist is outside office hours until ${formatMoment(a.opensAt, now, timeZone, locale)} your time.`;
    default:
      return undefined;
  }
}

/** One row of the weekly hours as the client reads them: the weekday and the span, in their zone. */
export interface HoursRow {
  readonly day: string;
  readonly span: string;
}

/**
 * This week's office hours in `timeZone`, Monday first: a span that ends on another day of the
 * client's week says which ("22:00 – Tuesday 02:00").
 */
export function hoursInZone(hours: OfficeHours, now: number, timeZone: string, locale?: string): HoursRow[] {
  const weekday = new Intl.DateTimeFormat(locale, { timeZone, weekday: 'long' });
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit' });
  return weekInZone(hours, now)
    .map(({ start, end }) => {
      const s = zonedParts(start, timeZone);
      const e = zonedParts(end - 1, timeZone);
      const sameDay = s.year === e.year && s.month === e.month && s.day === e.day;
      return { order: s.weekday * 1440 + s.hour * 60 + s.minute, day: weekday.format(start), span: `${time.format(start)} – ${sameDay ? '' : `${weekday.format(end)} `}${time.format(end)}` };
    })
    .sort((a, b) => a.order - b.order)
    .map(({ day, span }) => ({ day, span }));
}
