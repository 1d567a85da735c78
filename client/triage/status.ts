/**
 * Triage on the therapist's device (issue 11, "Triage"): each conversation's status (needs
 * reply / waiting on client / done), the inbox's order and filters, and snoozing. Pure functions
 * of a conversation record and `now`; the record's triage fields (client/data/records.ts, the end
 * of `Conversation`) are written by the receiver and the outbox through `afterTheirs` and
 * `afterMine`, and by the therapist's own choices (client/triage/actions.ts).
 *
 * - Status: set by what happens, changeable by hand. The client wrote last: needs reply. The
 *   therapist replied: waiting on client. A status set by hand holds until the next message;
 *   "done" holds until the client writes again (a reply of the therapist's leaves it done).
 *   Events, not clocks: the relay's and the device's clocks are never compared.
 * - Urgent: an urgent message from the client not yet answered (`urgentSince`), or one still
 *   unread (`urgentUnread`, which also covers records from before triage existed). Opening the
 *   conversation does not end it; replying, or marking the thread done, does.
 * - Order: urgent or risk-flagged first (newest flag first), then threads back from a snooze
 *   (due first), then needs-reply by how long the client has waited (longest first), then the
 *   rest (newest activity first).
 * - Snooze: hidden from every view but "Snoozed" and "All" until due; then "back from snooze"
 *   at the top until the therapist opens it. A new message from the client ends a snooze.
 * Does not: send anything anywhere; every field stays on this device.
 * @module
 */
import type { Conversation } from '../data/records.ts';

export type ThreadStatus = 'needs-reply' | 'waiting' | 'done';
export type TriageFilter = 'inbox' | 'needs-reply' | 'urgent' | 'snoozed' | 'done' | 'all';

export const STATUS_NAMES: Readonly<Record<ThreadStatus, string>> = {
  'needs-reply': 'Needs reply',
  waiting: 'Waiting on client',
  done: 'Done',
};

/** A copy of `c` without the named fields (absent, not `undefined`, in the stored record). */
function without(c: Conversation, ...keys: (keyof Conversation)[]): Conversation {
  const copy: Record<string, unknown> = { ...c };
  for (const k of keys) delete copy[k];
  return copy as unknown as Conversation;
}

/** The thread's status now: a status set by hand, else what the last message says. */
export function threadStatus(c: Conversation): ThreadStatus {
  return c.statusByHand ?? (c.waitingSince !== undefined ? 'needs-reply' : 'waiting');
}

/**
 * The client wrote (a message stored at `at`, the relay's time): needs reply from the oldest
 * unanswered message on; a status set by hand (done too) and a snooze give way.
 */
export function afterTheirs(c: Conversation, at: number, urgent: boolean): Conversation {
  return {
    ...without(c, 'statusByHand', 'snoozedUntil'),
    waitingSince: c.waitingSince ?? at,
    ...(urgent ? { urgentSince: Math.max(c.urgentSince ?? at, at) } : {}),
  };
}

/** The therapist replied: waiting on client, the urgent and risk flags answered; "done" stays done. */
export function afterMine(c: Conversation): Conversation {
  const answered = without(c, 'waitingSince', 'urgentSince', 'riskFlaggedAt');
  return c.statusByHand === 'done' ? answered : without(answered, 'statusByHand');
}

/** The therapist sets the status by hand (the same as the automatic one clears the override). */
export function setStatus(c: Conversation, status: ThreadStatus): Conversation {
  const automatic = threadStatus(without(c, 'statusByHand'));
  return status === automatic ? without(c, 'statusByHand') : { ...c, statusByHand: status };
}

/** An urgent message not answered (or still unread), and the thread is not marked done. */
export const isUrgent = (c: Conversation): boolean => (c.urgentUnread > 0 || c.urgentSince !== undefined) && threadStatus(c) !== 'done';
/** The risk detector flagged a client message not yet answered, and the thread is not marked done. */
export const isRiskFlagged = (c: Conversation): boolean => c.riskFlaggedAt !== undefined && threadStatus(c) !== 'done';
/** Urgent or risk-flagged: the top of the inbox and the "Urgent" filter. */
export const needsAttention = (c: Conversation): boolean => isUrgent(c) || isRiskFlagged(c);

export const isSnoozed = (c: Conversation, now: number): boolean => c.snoozedUntil !== undefined && c.snoozedUntil > now;
/** The snooze came due and the therapist has not opened the thread since. */
export const isBackFromSnooze = (c: Conversation, now: number): boolean => c.snoozedUntil !== undefined && c.snoozedUntil <= now;

export const snooze = (c: Conversation, until: number): Conversation => ({ ...c, snoozedUntil: until });
export const unsnooze = (c: Conversation): Conversation => without(c, 'snoozedUntil');

/** The next time a snooze comes due after `now` (when the inbox must look again), if any. */
export function nextDue(list: readonly Conversation[], now: number): number | undefined {
  let next: number | undefined;
  for (const c of list) if (c.snoozedUntil !== undefined && c.snoozedUntil > now && (next === undefined || c.snoozedUntil < next)) next = c.snoozedUntil;
  return next;
}

/** Since when the thread has waited for a reply (needs reply only). */
const waitedSince = (c: Conversation): number => c.waitingSince ?? c.lastAt;

/** 0 urgent or risk-flagged, 1 back from snooze, 2 needs reply, 3 the rest. */
function rank(c: Conversation, now: number): number {
  if (needsAttention(c)) return 0;
  if (isBackFromSnooze(c, now)) return 1;
  return threadStatus(c) === 'needs-reply' ? 2 : 3;
}

/** The newest flag of an urgent or risk-flagged thread. */
const flaggedAt = (c: Conversation): number => Math.max(c.urgentSince ?? 0, c.riskFlaggedAt ?? 0, c.urgentUnread > 0 ? c.lastAt : 0);

/** The inbox's order (see the module's comment); ties by label, so the order is stable. */
export function compareThreads(now: number): (a: Conversation, b: Conversation) => number {
  return (a, b) => {
    const ra = rank(a, now);
    const rb = rank(b, now);
    if (ra !== rb) return ra - rb;
    const by =
      ra === 0 ? flaggedAt(b) - flaggedAt(a) : ra === 1 ? a.snoozedUntil! - b.snoozedUntil! : ra === 2 ? waitedSince(a) - waitedSince(b) : b.lastAt - a.lastAt;
    return by || a.label.localeCompare(b.label) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  };
}

/** Whether `c` shows under `filter`. Snoozed threads show only under "Snoozed" and "All". */
export function inFilter(c: Conversation, filter: TriageFilter, now: number): boolean {
  const snoozed = isSnoozed(c, now);
  switch (filter) {
    case 'all':
      return true;
    case 'snoozed':
      return snoozed;
    case 'inbox':
      return !snoozed;
    case 'needs-reply':
      return !snoozed && threadStatus(c) === 'needs-reply';
    case 'urgent':
      return !snoozed && needsAttention(c);
    case 'done':
      return !snoozed && threadStatus(c) === 'done';
  }
}

/** The threads of `filter`, in the inbox's order. */
export function triage(list: readonly Conversation[], filter: TriageFilter, now: number): Conversation[] {
  return list.filter((c) => inFilter(c, filter, now)).sort(compareThreads(now));
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long a thread has waited, short ("2 d 3 h") and spelled out for screen readers ("2 days 3 hours"). */
export function waitingTime(ms: number): { short: string; long: string } {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  if (ms < MINUTE) return { short: 'under 1 min', long: 'under a minute' };
  if (ms < HOUR) {
    const m = Math.floor(ms / MINUTE);
    return { short: `${m} min`, long: plural(m, 'minute') };
  }
  if (ms < DAY) {
    const h = Math.floor(ms / HOUR);
    const m = Math.floor((ms % HOUR) / MINUTE);
    return { short: m ? `${h} h ${m} min` : `${h} h`, long: m ? `${plural(h, 'hour')} ${plural(m, 'minute')}` : plural(h, 'hour') };
  }
  const d = Math.floor(ms / DAY);
  const h = Math.floor((ms % DAY) / HOUR);
  return { short: h ? `${d} d ${h} h` : `${d} d`, long: h ? `${plural(d, 'day')} ${plural(h, 'hour')}` : plural(d, 'day') };
}

/** When the thread has waited since (for "waiting 2 d 3 h"), if it needs a reply. */
export const waitingSinceOf = (c: Conversation): number | undefined => (threadStatus(c) === 'needs-reply' ? waitedSince(c) : undefined);
