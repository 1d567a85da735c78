/**
 * Practice information (PROTOCOL.md §9.3): what a therapist tells every client about reaching
 * them and reaching help: the practice and therapist names, crisis lines, weekly office hours in
 * the therapist's IANA time zone with optional away dates, and the expected response time.
 *
 * - The therapist's device signs it with its identity signing key (Ed25519) over
 *   `utf8(LABEL.practiceInfo) || 0x00 || utf8(canonical JSON)`, so each client keeps a record
 *   it can verify against the identity it pinned from the invite, not only a message the session
 *   authenticated once.
 * - `revision` only goes up: a client keeps the highest revision it has verified and never lets
 *   an older one (a late or replayed copy) replace it (`isNewerPractice`).
 * - Office-hours math (`availability`, `zonedTimeToInstant`, `weekInZone`) uses only
 *   `Intl.DateTimeFormat` with `timeZone`, so it runs the same in Node and the browser, with the
 *   tz database the platform ships.
 *
 * Does not: decide what the app shows (client/views/crisis-lines.tsx), or send anything (the
 * therapist's outbox sends it inside each conversation, client/messages/practice.ts).
 * @module
 */
import * as v from 'valibot';
import { utf8 } from './_bytes.ts';
import {
  ED25519_PUBLIC_LEN,
  ED25519_SIGNATURE_LEN,
  LABEL,
  MAX_CRISIS_CONTACT,
  MAX_CRISIS_LINES,
  MAX_PRACTICE_LABEL,
  MAX_PRACTICE_NAME,
  MAX_PRACTICE_NOTE,
  MAX_TIME_ZONE,
} from './consts.ts';
import { fromBase64url, toBase64url } from './encoding.ts';
import { fail } from './errors.ts';
import type { Identity } from './keys.ts';
import { getProvider, type CryptoProvider } from './provider.ts';
import { b64, parse, Timestamp } from './schemas.ts';

/**
 * What a client is told when their therapist has listed no crisis lines: no country's number is
 * assumed, since the app cannot know where the client is.
 */
export const DEFAULT_CRISIS_TEXT =
  'Messages are not monitored around the clock. If you are in danger or thinking of harming yourself, call your local emergency number now, or go to the nearest emergency department.';

/** A phone number as people write it: an optional +, then digits with spaces or dashes between. */
const PHONE = /^\+?[0-9](?:[0-9 -]*[0-9])?$/;

/** True for a contact that is a phone number a `tel:` link can dial (at least 2 digits). */
export const isPhoneContact = (contact: string): boolean => PHONE.test(contact) && contact.replace(/\D/g, '').length >= 2;

/** True for an absolute `https:` URL with a host (no credentials, no white space). */
export function isHttpsContact(contact: string): boolean {
  if (!contact.startsWith('https://') || /\s/.test(contact)) return false;
  try {
    const url = new URL(contact);
    return url.protocol === 'https:' && url.hostname.length > 0 && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** The `tel:` URI of a phone contact (RFC 3966: spaces dropped, dashes kept as visual separators). */
export const telHref = (contact: string): string => `tel:${contact.replace(/ /g, '')}`;

const text = (max: number, min = 0) => v.pipe(v.string(), v.minLength(min), v.maxLength(max));

export const CrisisLine = v.object({
  /** Who answers ("Samaritans", "988 Suicide & Crisis Lifeline"). */
  label: text(MAX_PRACTICE_LABEL, 1),
  /** A phone number (digits, +, spaces, dashes) or an `https:` URL. */
  contact: v.pipe(
    text(MAX_CRISIS_CONTACT, 1),
    v.check((c) => isPhoneContact(c) || isHttpsContact(c), 'expected a phone number (digits, +, spaces, dashes) or an https:// address'),
  ),
  note: v.optional(text(MAX_PRACTICE_NOTE)),
});
export type CrisisLine = v.InferOutput<typeof CrisisLine>;

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;
const HHMM = /^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/;
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export const OfficeDay = v.pipe(
  v.object({
    day: v.picklist([1, 2, 3, 4, 5, 6, 7] as const),
    start: v.pipe(v.string(), v.regex(HHMM, 'expected HH:MM')),
    /** `24:00` is the end of the day. */
    end: v.pipe(v.string(), v.regex(/^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, 'expected HH:MM')),
  }),
  v.check((d) => minutesOf(d.start) < minutesOf(d.end), 'a day ends after it starts'),
);
export type OfficeDay = v.InferOutput<typeof OfficeDay>;

/** True for an IANA time zone name this platform knows. */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > MAX_TIME_ZONE || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
/** A calendar date `YYYY-MM-DD` that exists. */
export function isCalendarDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d && y >= 1970;
}
const CalendarDate = v.pipe(v.string(), v.check(isCalendarDate, 'expected a date YYYY-MM-DD'));

export const OfficeHours = v.pipe(
  v.object({
    /** IANA time zone the weekly hours and away dates are in. */
    timeZone: v.pipe(v.string(), v.check(isTimeZone, 'expected an IANA time zone')),
    /** At most one span per weekday; empty: no hours stated (no after-hours notice). */
    weekly: v.pipe(v.array(OfficeDay), v.maxLength(7)),
    /** First day away (absent with `awayUntil`: away from now). */
    awayFrom: v.optional(CalendarDate),
    /** Last day away, inclusive (absent with `awayFrom`: away until further notice). */
    awayUntil: v.optional(CalendarDate),
  }),
  v.check((h) => new Set(h.weekly.map((d) => d.day)).size === h.weekly.length, 'one span per weekday'),
  v.check((h) => h.awayFrom === undefined || h.awayUntil === undefined || h.awayFrom <= h.awayUntil, 'away ends after it starts'),
);
export type OfficeHours = v.InferOutput<typeof OfficeHours>;

export const PracticeInfo = v.object({
  /** Goes up by at least one with every change; a client keeps the highest it verified. */
  revision: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER)),
  /** When the therapist saved it (ms since epoch). */
  issuedAt: Timestamp,
  practiceName: text(MAX_PRACTICE_NAME, 1),
  therapistName: text(MAX_PRACTICE_LABEL),
  /** Empty: the client is shown DEFAULT_CRISIS_TEXT. */
  crisisLines: v.pipe(v.array(CrisisLine), v.maxLength(MAX_CRISIS_LINES)),
  officeHours: OfficeHours,
  /** "Within 1 working day"; empty: not stated. */
  responseTime: text(MAX_PRACTICE_NOTE),
});
export type PracticeInfo = v.InferOutput<typeof PracticeInfo>;

/** Practice information and the therapist's signature over it, as stored and sent. */
export const SignedPractice = v.object({
  info: PracticeInfo,
  /** Ed25519 by the therapist's identity signing key over `practiceSigningMessage(info)`. */
  signature: b64(ED25519_SIGNATURE_LEN),
});
export type SignedPractice = v.InferOutput<typeof SignedPractice>;

/**
 * Canonical JSON: object keys sorted (UTF-16 code unit order), no white space, absent optional
 * fields left out, strings escaped as `JSON.stringify` does (fully specified by ECMA-262).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw fail('invalid_argument', 'canonical JSON holds only safe integers');
  return JSON.stringify(value);
}

/** The bytes a practice signature covers: label, a zero byte, the canonical JSON of the checked info. */
export function practiceSigningMessage(info: PracticeInfo): Uint8Array {
  const checked = parse(PracticeInfo, info, 'practice');
  const label = utf8.encode(LABEL.practiceInfo);
  const body = utf8.encode(canonicalJson(checked));
  const out = new Uint8Array(label.length + 1 + body.length);
  out.set(label, 0);
  out.set(body, label.length + 1);
  return out;
}

/** Signs `info` (checked first: invalid information is never signed) with the identity's signing key. */
export async function signPractice(identity: Identity, info: PracticeInfo, provider?: CryptoProvider): Promise<SignedPractice> {
  const p = provider ?? (await getProvider());
  const checked = parse(PracticeInfo, info, 'practice');
  const signature = await p.ed25519Sign(identity.signing.secretKey, practiceSigningMessage(checked));
  return { info: checked, signature: toBase64url(signature) };
}

/**
 * Checks the schema and the signature against `signingKey` (the pinned therapist's). Returns
 * the checked information; throws `schema` or `bad_signature`.
 */
export async function verifyPractice(signed: unknown, signingKey: Uint8Array, provider?: CryptoProvider): Promise<SignedPractice> {
  if (!(signingKey instanceof Uint8Array) || signingKey.length !== ED25519_PUBLIC_LEN) throw fail('invalid_argument', 'signingKey must be 32 bytes');
  const checked = parse(SignedPractice, signed, 'practice');
  const p = provider ?? (await getProvider());
  const ok = await p.ed25519Verify(signingKey, practiceSigningMessage(checked.info), fromBase64url(checked.signature, ED25519_SIGNATURE_LEN));
  if (!ok) throw fail('bad_signature', 'practice information signature does not verify');
  return checked;
}

/** True when `candidate` should replace `current`: a strictly higher revision (or nothing yet). */
export const isNewerPractice = (candidate: Pick<PracticeInfo, 'revision'>, current: Pick<PracticeInfo, 'revision'> | undefined): boolean =>
  current === undefined || candidate.revision > current.revision;

// ---------------------------------------------------------------------------------------------
// Office-hours math. Instants are ms since the epoch; wall times are read in a time zone with
// Intl.DateTimeFormat. Calendar dates are walked as UTC dates (no zone involved in the walk).

/** A wall-clock reading of an instant in a time zone. */
export interface ZonedParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: Weekday;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, Weekday> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock date and time of `instant` in `timeZone`. */
export function zonedParts(instant: number, timeZone: string): ZonedParts {
  const out: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) out[part.type] = part.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour) % 24,
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS[out.weekday ?? ''] ?? 1,
  };
}

/** The zone's offset from UTC at `instant`, in ms (local = UTC + offset). */
function offsetAt(instant: number, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return local - (instant - (((instant % 1000) + 1000) % 1000));
}

const DAY_MS = 86_400_000;

/**
 * The instant at which the wall clock in `timeZone` reads the given date and time. A time that
 * occurs twice (clocks going back) gives the earlier instant; a time that does not exist (clocks
 * going forward) gives the instant the gap ends plus the time into it (02:30 on a 02:00→03:00
 * night is 03:30), as a person who set an alarm for it would expect.
 */
export function zonedTimeToInstant(date: { year: number; month: number; day: number }, minuteOfDay: number, timeZone: string): number {
  const local = Date.UTC(date.year, date.month - 1, date.day, 0, minuteOfDay);
  const offsets = new Set([offsetAt(local - DAY_MS, timeZone), offsetAt(local, timeZone), offsetAt(local + DAY_MS, timeZone)]);
  const candidates = [...offsets].map((o) => local - o).sort((a, b) => a - b);
  const matches = candidates.filter((t) => {
    const p = zonedParts(t, timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === local;
  });
  return matches[0] ?? candidates[candidates.length - 1]!;
}

/** A calendar date as a UTC-midnight day number, and back. */
const dayNumber = (s: string): number => {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / DAY_MS;
};
const dateOf = (n: number): { year: number; month: number; day: number } => {
  const t = new Date(n * DAY_MS);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
};
const weekdayOf = (n: number): Weekday => ((((new Date(n * DAY_MS).getUTCDay() + 6) % 7) + 1) as Weekday);

/** True when the calendar day `n` (in the practice's zone) falls in the away dates. */
function isAwayDay(hours: OfficeHours, n: number): boolean {
  if (hours.awayFrom === undefined && hours.awayUntil === undefined) return false;
  return (hours.awayFrom === undefined || n >= dayNumber(hours.awayFrom)) && (hours.awayUntil === undefined || n <= dayNumber(hours.awayUntil));
}

/** The span of weekday hours on calendar day `n` as instants, if that weekday has hours. */
function spanOn(hours: OfficeHours, n: number): { start: number; end: number } | undefined {
  const d = hours.weekly.find((x) => x.day === weekdayOf(n));
  if (!d) return undefined;
  const start = zonedTimeToInstant(dateOf(n), minutesOf(d.start), hours.timeZone);
  const end = d.end === '24:00' ? zonedTimeToInstant(dateOf(n + 1), 0, hours.timeZone) : zonedTimeToInstant(dateOf(n), minutesOf(d.end), hours.timeZone);
  return { start, end };
}

/** The first opening at or after `now` on a day that is not away, or undefined if none follows. */
function nextOpening(hours: OfficeHours, now: number, fromDay: number): number | undefined {
  if (hours.weekly.length === 0) return undefined;
  let n = fromDay;
  // Eight days after the last away day always reach every weekday once.
  for (let seen = 0; seen < 8; ) {
    if (isAwayDay(hours, n)) {
      if (hours.awayUntil === undefined) return undefined;
      n = dayNumber(hours.awayUntil) + 1;
      continue;
    }
    const span = spanOn(hours, n);
    if (span && span.start >= now) return span.start;
    n++;
    seen++;
  }
  return undefined;
}

/**
 * Whether the therapist is within office hours at `now`:
 * - `open` until `closesAt`;
 * - `closed` (outside the weekly hours) until `opensAt`;
 * - `away` (within the away dates) until `opensAt` (the first hours after them), with `lastDay`
 *   (absent: away until further notice);
 * - `unstated`: no weekly hours and not away, so nothing to say.
 */
export type Availability =
  | { readonly state: 'open'; readonly closesAt: number }
  | { readonly state: 'closed'; readonly opensAt: number | undefined }
  | { readonly state: 'away'; readonly opensAt: number | undefined; readonly lastDay: string | undefined }
  | { readonly state: 'unstated' };

export function availability(hours: OfficeHours, now: number): Availability {
  const p = zonedParts(now, hours.timeZone);
  const today = Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
  if (isAwayDay(hours, today)) {
    const after = hours.awayUntil === undefined ? undefined : dayNumber(hours.awayUntil) + 1;
    return { state: 'away', opensAt: after === undefined ? undefined : nextOpening(hours, now, after), lastDay: hours.awayUntil };
  }
  if (hours.weekly.length === 0) return { state: 'unstated' };
  // Yesterday's span may run past midnight only when it ends at 24:00, which is today's 00:00.
  const span = spanOn(hours, today);
  if (span && span.start <= now && now < span.end) return { state: 'open', closesAt: span.end };
  return { state: 'closed', opensAt: nextOpening(hours, now, today) };
}

/**
 * This week's office hours as instants: for each weekday with hours, its next occurrence from
 * the practice's today (today's included even if over), ignoring away dates, in time order. A
 * view reads them in the client's own zone (`zonedParts(start, clientZone)`).
 */
export function weekInZone(hours: OfficeHours, now: number): { start: number; end: number }[] {
  const p = zonedParts(now, hours.timeZone);
  const today = Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
  const spans: { start: number; end: number }[] = [];
  for (let n = today; n < today + 7; n++) {
    const s = spanOn(hours, n);
    if (s) spans.push(s);
  }
  return spans;
}
