import { describe, expect, it } from 'vitest';
import type { OfficeHours } from '../../shared/practice.ts';
import { formatDate, hoursInZone, unavailableNotice } from './practice-format.ts';

const at = (iso: string) => Date.parse(iso);
const ny: OfficeHours = { timeZone: 'America/New_York', weekly: [1, 2, 3, 4, 5].map((day) => ({ day: day as 1, start: '09:00', end: '17:00' })) };

describe("office hours in the client's own words and time zone", () => {
  it('says when the therapist is back, in the client zone, across a DST change', () => {
    // Friday 8 March 2024 17:30 EST; Monday 09:00 EDT is 13:00Z, 14:00 in Berlin (still CET).
    expect(unavailableNotice(ny, at('2024-03-08T22:30:00Z'), 'Europe/Berlin', 'en-GB')).toBe('Your therapist is outside office hours until Monday 14:00 your time.');
    expect(unavailableNotice(ny, at('2024-03-11T14:00:00Z'), 'Europe/Berlin', 'en-GB')).toBeUndefined();
    expect(unavailableNotice({ timeZone: 'UTC', weekly: [] }, at('2024-03-11T14:00:00Z'), 'UTC', 'en-GB')).toBeUndefined();
  });

  it('says away until the first hours after the away dates (a full date when far off), or the day back', () => {
    const away = { ...ny, awayFrom: '2024-03-01', awayUntil: '2024-03-15' };
    expect(unavailableNotice(away, at('2024-03-05T14:00:00Z'), 'America/Los_Angeles', 'en-GB')).toBe('Your therapist is away until Monday, 18 March 2024 at 06:00 your time.');
    expect(unavailableNotice(away, at('2024-03-14T14:00:00Z'), 'America/New_York', 'en-GB')).toBe('Your therapist is away until Monday 09:00 your time.');
    expect(unavailableNotice({ ...away, weekly: [] }, at('2024-03-12T14:00:00Z'), 'UTC', 'en-GB')).toBe('Your therapist is away and back on Saturday, 16 March 2024.');
    expect(unavailableNotice({ ...ny, awayFrom: '2024-03-01' }, at('2024-03-12T14:00:00Z'), 'UTC', 'en-GB')).toBe('Your therapist is away for now.');
  });

  it("lists the week's hours Monday first in the client's zone, naming the day a span ends on", () => {
    // New York 20:00-23:00 Friday is Saturday 09:00-12:00 in Tokyo; 22:00 Monday is 11:00 Tuesday.
    const h: OfficeHours = { timeZone: 'America/New_York', weekly: [{ day: 5, start: '20:00', end: '23:00' }, { day: 1, start: '09:00', end: '17:00' }] };
    expect(hoursInZone(h, at('2024-06-05T12:00:00Z'), 'Asia/Tokyo', 'en-GB')).toEqual([
      { day: 'Monday', span: '22:00 – Tuesday 06:00' },
      { day: 'Saturday', span: '09:00 – 12:00' },
    ]);
    expect(hoursInZone(h, at('2024-06-05T12:00:00Z'), 'America/New_York', 'en-GB')).toEqual([
      { day: 'Monday', span: '09:00 – 17:00' },
      { day: 'Friday', span: '20:00 – 23:00' },
    ]);
    expect(formatDate('2100-01-04', 'en-GB')).toBe('Monday, 4 January 2100');
  });
});
