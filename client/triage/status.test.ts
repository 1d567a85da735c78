/**
 * Triage (issue 11): status transitions, the inbox's order, filters, snooze coming due, and the
 * waiting time. Pure functions; `now` is passed in, never read from the clock.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation } from '../data/records.ts';
import {
  afterMine,
  afterTheirs,
  compareThreads,
  inFilter,
  isBackFromSnooze,
  isSnoozed,
  isUrgent,
  nextDue,
  setStatus,
  snooze,
  threadStatus,
  triage,
  unsnooze,
  waitingSinceOf,
  waitingTime,
} from './status.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 11, 1, 12);

const conv = (label: string, more: Partial<Conversation> = {}): Conversation => ({
  id: label.toLowerCase(),
  peer: new Uint8Array(129),
  label,
  unread: 0,
  urgentUnread: 0,
  lastAt: T0,
  ...more,
});
/** A client message stored at `at`, as the receiver counts it (client/messages/message.ts). */
const theirs = (c: Conversation, at: number, urgent = false): Conversation =>
  afterTheirs({ ...c, unread: c.unread + 1, urgentUnread: c.urgentUnread + (urgent ? 1 : 0), lastAt: Math.max(c.lastAt, at) }, at, urgent);
/** A reply of the therapist's, as the outbox stores it (client/outbox/outbox.ts). */
const mine = (c: Conversation, at: number): Conversation => afterMine({ ...c, lastAt: at });
const labels = (list: readonly Conversation[]) => list.map((c) => c.label);

describe('thread status', () => {
  it('a new conversation waits on the client; the client writing makes it need a reply; replying makes it wait again', () => {
    let c = conv('Robin');
    expect(threadStatus(c)).toBe('waiting');
    c = theirs(c, T0 + 1);
    expect(threadStatus(c)).toBe('needs-reply');
    c = mine(c, T0 + 2);
    expect(threadStatus(c)).toBe('waiting');
    expect(c.waitingSince).toBeUndefined();
  });

  it('the wait counts from the oldest message not yet answered', () => {
    let c = theirs(conv('Robin'), T0 + 1_000);
    c = theirs(c, T0 + 5_000);
    expect(c.waitingSince).toBe(T0 + 1_000);
    expect(waitingSinceOf(c)).toBe(T0 + 1_000);
    c = theirs(mine(c, T0 + 6_000), T0 + 9_000);
    expect(c.waitingSince).toBe(T0 + 9_000);
  });

  it('"done" by hand holds through a reply of the therapist\'s, and ends when the client writes again', () => {
    let c = setStatus(theirs(conv('Robin'), T0 + 1), 'done');
    expect(threadStatus(c)).toBe('done');
    c = mine(c, T0 + 2);
    expect(threadStatus(c)).toBe('done');
    c = theirs(c, T0 + 3);
    expect(threadStatus(c)).toBe('needs-reply');
    expect(c.statusByHand).toBeUndefined();
  });

  it('"needs reply" set by hand holds until the therapist replies; "waiting" by hand until the client writes', () => {
    let c = setStatus(conv('Robin'), 'needs-reply');
    expect(threadStatus(c)).toBe('needs-reply');
    c = mine(c, T0 + 1);
    expect(threadStatus(c)).toBe('waiting');
    c = setStatus(theirs(c, T0 + 2), 'waiting');
    expect(threadStatus(c)).toBe('waiting');
    c = theirs(c, T0 + 3);
    expect(threadStatus(c)).toBe('needs-reply');
  });

  it('setting the status the messages already give leaves no override behind (absent, not undefined)', () => {
    const c = setStatus(theirs(conv('Robin'), T0 + 1), 'needs-reply');
    expect('statusByHand' in c).toBe(false);
    const back = setStatus(setStatus(c, 'done'), 'needs-reply');
    expect('statusByHand' in back).toBe(false);
  });

  it('urgent lasts until answered, not until read; marking the thread done ends it too', () => {
    let c = theirs(conv('Robin'), T0 + 1, true);
    expect(isUrgent(c)).toBe(true);
    c = { ...c, unread: 0, urgentUnread: 0 }; // opened and read (client/state/session.ts markRead)
    expect(isUrgent(c)).toBe(true);
    expect(isUrgent(setStatus(c, 'done'))).toBe(false);
    expect(isUrgent(mine(c, T0 + 2))).toBe(false);
  });

  it('a record from before triage with urgent messages unread is urgent', () => {
    expect(isUrgent(conv('Old', { unread: 2, urgentUnread: 1 }))).toBe(true);
  });

  it('a reply answers the risk flag', () => {
    const c = mine(theirs(conv('Robin', { riskFlaggedAt: T0 + 1 }), T0 + 1), T0 + 2);
    expect(c.riskFlaggedAt).toBeUndefined();
  });
});

describe('order', () => {
  it('urgent and risk-flagged first, then needs reply by how long it waited (oldest first), then the rest (newest first)', () => {
    const now = T0 + 10 * DAY;
    const list = [
      conv('Quiet old', { lastAt: T0 + DAY }),
      theirs(conv('Waited 1 h'), now - HOUR),
      conv('Quiet new', { lastAt: T0 + 9 * DAY }),
      theirs(conv('Waited 3 d'), now - 3 * DAY),
      theirs(conv('Urgent'), now - 60_000, true),
      theirs(conv('Risk', { riskFlaggedAt: now - 30_000 }), now - 30_000),
      theirs(conv('Waited 2 d'), now - 2 * DAY),
    ];
    expect(labels([...list].sort(compareThreads(now)))).toEqual(['Risk', 'Urgent', 'Waited 3 d', 'Waited 2 d', 'Waited 1 h', 'Quiet new', 'Quiet old']);
  });

  it('a done thread leaves the top even with an urgent message in it', () => {
    const now = T0 + DAY;
    const list = [setStatus(theirs(conv('Handled'), now - HOUR, true), 'done'), theirs(conv('Plain'), now - 2 * HOUR)];
    expect(labels(triage(list, 'inbox', now))).toEqual(['Plain', 'Handled']);
  });
});

describe('snooze', () => {
  it('hides the thread until due, then brings it back above needs-reply threads until opened', () => {
    const now = T0 + DAY;
    const later = snooze(theirs(conv('Snoozed'), now - 2 * HOUR), now + HOUR);
    const other = theirs(conv('Waiting long'), now - 5 * DAY);
    const list = [later, other];

    expect(isSnoozed(later, now)).toBe(true);
    expect(labels(triage(list, 'inbox', now))).toEqual(['Waiting long']);
    expect(labels(triage(list, 'snoozed', now))).toEqual(['Snoozed']);
    expect(labels(triage(list, 'all', now))).toEqual(['Waiting long', 'Snoozed']);
    expect(nextDue(list, now)).toBe(now + HOUR);

    const due = now + HOUR;
    expect(isSnoozed(later, due)).toBe(false);
    expect(isBackFromSnooze(later, due)).toBe(true);
    expect(labels(triage(list, 'inbox', due))).toEqual(['Snoozed', 'Waiting long']);
    expect(nextDue(list, due)).toBeUndefined();

    const opened = unsnooze(later);
    expect('snoozedUntil' in opened).toBe(false);
    expect(labels(triage([opened, other], 'inbox', due))).toEqual(['Waiting long', 'Snoozed']);
  });

  it('a new message from the client ends the snooze', () => {
    const now = T0 + DAY;
    const c = theirs(snooze(conv('Robin'), now + DAY), now);
    expect(c.snoozedUntil).toBeUndefined();
    expect(inFilter(c, 'inbox', now)).toBe(true);
  });

  it('each filter shows its threads', () => {
    const now = T0 + DAY;
    const list = [
      theirs(conv('Needs'), now - HOUR),
      theirs(conv('Urgent'), now - HOUR, true),
      setStatus(conv('Done'), 'done'),
      conv('Waiting'),
      snooze(conv('Snoozed'), now + HOUR),
    ];
    expect(labels(triage(list, 'needs-reply', now))).toEqual(['Urgent', 'Needs']);
    expect(labels(triage(list, 'urgent', now))).toEqual(['Urgent']);
    expect(labels(triage(list, 'done', now))).toEqual(['Done']);
    expect(labels(triage(list, 'snoozed', now))).toEqual(['Snoozed']);
    expect(triage(list, 'inbox', now)).toHaveLength(4);
    expect(triage(list, 'all', now)).toHaveLength(5);
  });
});

describe('waiting time', () => {
  it('reads "2 d 3 h" on screen and "2 days 3 hours" to a screen reader', () => {
    expect(waitingTime(2 * DAY + 3 * HOUR + 59_000)).toEqual({ short: '2 d 3 h', long: '2 days 3 hours' });
    expect(waitingTime(HOUR + 5 * 60_000)).toEqual({ short: '1 h 5 min', long: '1 hour 5 minutes' });
    expect(waitingTime(12 * 60_000)).toEqual({ short: '12 min', long: '12 minutes' });
    expect(waitingTime(DAY)).toEqual({ short: '1 d', long: '1 day' });
    expect(waitingTime(30_000).short).toBe('under 1 min');
  });
});
