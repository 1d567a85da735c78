/**
 * Snooze presets and the custom time, in the device's time zone (the test runs in UTC unless TZ
 * says otherwise; the checks read local fields, so they hold in any zone).
 */
import { describe, expect, it } from 'vitest';
import { customSnoozeUntil, snoozeUntil, toLocalInput } from './snooze.ts';

/** Thursday 3 December 2026, 20:15 local time. */
const THURSDAY = new Date(2026, 11, 3, 20, 15).getTime();
/** Monday 7 December 2026, 8:00 local time. */
const MONDAY = new Date(2026, 11, 7, 8, 0).getTime();

describe('snooze presets', () => {
  it('"1 hour" is an hour on', () => {
    expect(snoozeUntil('hour', THURSDAY)).toBe(THURSDAY + 60 * 60 * 1000);
  });

  it('"tomorrow" is 9:00 the next day', () => {
    expect(snoozeUntil('tomorrow', THURSDAY)).toBe(new Date(2026, 11, 4, 9, 0).getTime());
  });

  it('"next Monday" is the coming Monday at 9:00, a week on from a Monday', () => {
    expect(snoozeUntil('monday', THURSDAY)).toBe(new Date(2026, 11, 7, 9, 0).getTime());
    expect(snoozeUntil('monday', MONDAY)).toBe(new Date(2026, 11, 14, 9, 0).getTime());
  });
});

describe('custom snooze', () => {
  it('reads a datetime-local value in local time', () => {
    expect(customSnoozeUntil('2026-12-04T14:30', THURSDAY)).toBe(new Date(2026, 11, 4, 14, 30).getTime());
    expect(toLocalInput(new Date(2026, 11, 4, 14, 30).getTime())).toBe('2026-12-04T14:30');
  });

  it('refuses an empty, malformed or past time', () => {
    expect(customSnoozeUntil('', THURSDAY)).toBeUndefined();
    expect(customSnoozeUntil('tomorrow', THURSDAY)).toBeUndefined();
    expect(customSnoozeUntil('2026-12-03T20:00', THURSDAY)).toBeUndefined();
  });
});
