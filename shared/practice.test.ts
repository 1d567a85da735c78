import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CRISIS_LINES } from './consts.ts';
import { toHex } from './encoding.ts';
import { deriveIdentity } from './keys.ts';
import { decodePayload, encodePayload, type Payload } from './payload.ts';
import {
  availability,
  canonicalJson,
  isNewerPractice,
  practiceSigningMessage,
  signPractice,
  telHref,
  verifyPractice,
  weekInZone,
  zonedParts,
  zonedTimeToInstant,
  type OfficeHours,
  type PracticeInfo,
} from './practice.ts';
import { nobleProvider } from './provider.ts';

const weekdays = (start: string, end: string) => ([1, 2, 3, 4, 5] as const).map((day) => ({ day, start, end }));

const info: PracticeInfo = {
  revision: 3,
  issuedAt: 1_760_000_000_000,
  practiceName: 'Harbour Counselling',
  therapistName: 'Dr Ana Li',
  crisisLines: [
    { label: '988 Suicide & Crisis Lifeline', contact: '988', note: 'Call or text, 24/7' },
    { label: 'Samaritans', contact: '+44 116 123' },
    { label: 'Find a helpline', contact: 'https://findahelpline.com/' },
  ],
  officeHours: { timeZone: 'America/New_York', weekly: weekdays('09:00', '17:00') },
  responseTime: 'Within 1 working day',
};

const therapist = deriveIdentity(new Uint8Array(32).fill(0x11), nobleProvider);
const other = deriveIdentity(new Uint8Array(32).fill(0x22), nobleProvider);

describe('practice information: signature', () => {
  it('verifies what the therapist signed, against their signing key only', async () => {
    const t = await therapist;
    const signed = await signPractice(t, info, nobleProvider);
    expect(await verifyPractice(signed, t.publicIdentity.signingKey, nobleProvider)).toEqual(signed);
    await expect(verifyPractice(signed, (await other).publicIdentity.signingKey, nobleProvider)).rejects.toMatchObject({ code: 'bad_signature' });
  });

  it('refuses any field changed after signing', async () => {
    const t = await therapist;
    const signed = await signPractice(t, info, nobleProvider);
    const tampered: PracticeInfo[] = [
      { ...info, revision: 4 },
      { ...info, issuedAt: info.issuedAt + 1 },
      { ...info, practiceName: 'Harbour Counseling' },
      { ...info, therapistName: 'Dr Ana Lee' },
      { ...info, crisisLines: [{ ...info.crisisLines[0]!, contact: '911' }, ...info.crisisLines.slice(1)] },
      { ...info, crisisLines: [...info.crisisLines].reverse() },
      { ...info, crisisLines: info.crisisLines.slice(1) },
      { ...info, crisisLines: [{ ...info.crisisLines[0]!, note: undefined }, ...info.crisisLines.slice(1)] },
      { ...info, officeHours: { ...info.officeHours, timeZone: 'Europe/London' } },
      { ...info, officeHours: { ...info.officeHours, weekly: weekdays('09:00', '17:30') } },
      { ...info, officeHours: { ...info.officeHours, awayUntil: '2030-01-01' } },
      { ...info, responseTime: 'Within 2 working days' },
    ];
    for (const changed of tampered) {
      await expect(verifyPractice({ info: changed, signature: signed.signature }, t.publicIdentity.signingKey, nobleProvider)).rejects.toMatchObject({ code: 'bad_signature' });
    }
  });

  it('refuses a signature with any bit flipped', async () => {
    const t = await therapist;
    const signed = await signPractice(t, info, nobleProvider);
    const raw = Uint8Array.from(atob(signed.signature.replace(/-/g, '+').replace(/_/g, '/') + '=='), (c) => c.charCodeAt(0));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 64 * 8 - 1 }), async (bit) => {
        const flipped = raw.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const signature = btoa(String.fromCharCode(...flipped)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        await expect(verifyPractice({ ...signed, signature }, t.publicIdentity.signingKey, nobleProvider)).rejects.toMatchObject({ code: expect.stringMatching(/bad_signature|schema/) });
      }),
      { numRuns: 40 },
    );
  });

  it('signs the same bytes whatever the key order of the object (canonical JSON)', async () => {
    const shuffled = Object.fromEntries(Object.entries(info).reverse()) as PracticeInfo;
    expect(practiceSigningMessage(shuffled)).toEqual(practiceSigningMessage(info));
    expect(canonicalJson({ b: [1, { d: 'x', c: undefined, a: 'é' }], a: true })).toBe('{"a":true,"b":[1,{"a":"é","d":"x"}]}');
  });

  it('matches the frozen signing message and signature (PROTOCOL.md §9.3)', async () => {
    // Frozen: changing these is a wire change. Identity: root secret 0x11 × 32 (keys.ts).
    const t = await therapist;
    const message = practiceSigningMessage(info);
    expect(new TextDecoder().decode(message.slice(0, 33))).toBe('Confidant v1 practice information');
    expect(message[33]).toBe(0);
    expect(toHex(sha256(message))).toBe(FROZEN.messageSha256);
    expect((await signPractice(t, info, nobleProvider)).signature).toBe(FROZEN.signature);
  });

  it('never signs invalid information', async () => {
    const t = await therapist;
    await expect(signPractice(t, { ...info, revision: 0 }, nobleProvider)).rejects.toMatchObject({ code: 'schema' });
  });
});

describe('practice information: schema', () => {
  const bad = (changes: Partial<PracticeInfo>) => ({ info: { ...info, ...changes }, signature: 'A'.repeat(86) });
  const line = (contact: string) => ({ crisisLines: [{ label: 'Line', contact }] });

  it('accepts phone numbers (digits, +, spaces, dashes) and https addresses as crisis contacts', () => {
    for (const contact of ['988', '+1 800-273-8255', '116 123', '+44 116 123', 'https://988lifeline.org/chat', 'https://findahelpline.com']) {
      const payload: Payload = { v: 1, type: 'practice', id: 'AQEBAQEBAQEBAQEBAQEBAQ', sentAt: 1, info: { ...info, ...line(contact) }, signature: 'A'.repeat(86) };
      expect(decodePayload(encodePayload(payload))).toEqual(payload);
    }
  });

  it('refuses other contacts, too many lines, bad hours, zones and dates', async () => {
    const k = (await therapist).publicIdentity.signingKey;
    const cases: ReturnType<typeof bad>[] = [
      bad(line('javascript:alert(1)')),
      bad(line('http://example.org')),
      bad(line('tel:988')),
      bad(line('https://user:pw@example.org')),
      bad(line('https://exa mple.org')),
      bad(line('(555) 123')),
      bad(line('9')),
      bad(line('+')),
      bad(line('1-')),
      bad(line('1'.repeat(201))),
      bad({ crisisLines: Array.from({ length: MAX_CRISIS_LINES + 1 }, () => ({ label: 'x', contact: '112' })) }),
      bad({ crisisLines: [{ label: '', contact: '112' }] }),
      bad({ practiceName: '' }),
      bad({ responseTime: 'x'.repeat(201) }),
      bad({ officeHours: { ...info.officeHours, timeZone: 'Mars/Olympus_Mons' } }),
      bad({ officeHours: { ...info.officeHours, weekly: [{ day: 1, start: '17:00', end: '09:00' }] } }),
      bad({ officeHours: { ...info.officeHours, weekly: [{ day: 1, start: '09:00', end: '24:01' }] } }),
      bad({ officeHours: { ...info.officeHours, weekly: [{ day: 8, start: '09:00', end: '10:00' }] } as unknown as OfficeHours }),
      bad({ officeHours: { ...info.officeHours, weekly: [{ day: 1, start: '09:00', end: '10:00' }, { day: 1, start: '11:00', end: '12:00' }] } }),
      bad({ officeHours: { ...info.officeHours, awayFrom: '2030-02-30' } }),
      bad({ officeHours: { ...info.officeHours, awayFrom: '2030-03-02', awayUntil: '2030-03-01' } }),
      bad({ revision: 1.5 }),
    ];
    for (const c of cases) await expect(verifyPractice(c, k, nobleProvider)).rejects.toMatchObject({ code: 'schema' });
  });

  it('makes tel: links without spaces', () => {
    expect(telHref('+44 116 123')).toBe('tel:+44116123');
    expect(telHref('1-800-273-8255')).toBe('tel:1-800-273-8255');
  });
});

describe('practice information: freshness', () => {
  it('never lets an older or equal revision replace a newer one, whatever the arrival order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 30 }), (arrivals) => {
        let kept: { revision: number } | undefined;
        for (const revision of arrivals) if (isNewerPractice({ revision }, kept)) kept = { revision };
        expect(kept?.revision).toBe(Math.max(...arrivals));
      }),
    );
    expect(isNewerPractice({ revision: 2 }, { revision: 2 })).toBe(false);
    expect(isNewerPractice({ revision: 1 }, undefined)).toBe(true);
  });
});

const ZONES = ['America/New_York', 'Europe/Berlin', 'Europe/London', 'Asia/Tokyo', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo', 'Pacific/Chatham', 'UTC'];
const at = (iso: string) => Date.parse(iso);

describe('office hours across time zones and DST', () => {
  it('reads wall-clock time and back for any instant and zone', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('1990-01-01T00:00:00Z'), max: at('2060-01-01T00:00:00Z') }), fc.constantFrom(...ZONES), (t, zone) => {
        const p = zonedParts(t, zone);
        const back = zonedTimeToInstant(p, p.hour * 60 + p.minute, zone);
        const q = zonedParts(back, zone);
        expect([q.year, q.month, q.day, q.hour, q.minute]).toEqual([p.year, p.month, p.day, p.hour, p.minute]);
        // The earlier of two readings when clocks went back; never later than the instant itself.
        const minute = t - (((t % 60_000) + 60_000) % 60_000);
        expect(back).toBeLessThanOrEqual(minute);
        expect(minute - back).toBeLessThan(3 * 3_600_000);
      }),
    );
  });

  it('handles the hour that does not exist and the hour that happens twice', () => {
    // Berlin, 31 March 2024: 02:00 CET becomes 03:00 CEST; 02:30 is read as 03:30 CEST.
    expect(zonedTimeToInstant({ year: 2024, month: 3, day: 31 }, 150, 'Europe/Berlin')).toBe(at('2024-03-31T01:30:00Z'));
    // Berlin, 27 October 2024: 02:30 happens at 00:30Z (CEST) and 01:30Z (CET); the earlier one.
    expect(zonedTimeToInstant({ year: 2024, month: 10, day: 27 }, 150, 'Europe/Berlin')).toBe(at('2024-10-27T00:30:00Z'));
  });

  it('says open, closed until the next opening, across a DST change', () => {
    const ny: OfficeHours = { timeZone: 'America/New_York', weekly: weekdays('09:00', '17:00') };
    // Friday 8 March 2024 17:00 EST; clocks go forward on Sunday 10 March; Monday 09:00 EDT is 13:00Z.
    expect(availability(ny, at('2024-03-08T22:00:00Z'))).toEqual({ state: 'closed', opensAt: at('2024-03-11T13:00:00Z') });
    expect(availability(ny, at('2024-03-08T21:59:00Z'))).toEqual({ state: 'open', closesAt: at('2024-03-08T22:00:00Z') });
    expect(availability(ny, at('2024-03-12T14:00:00Z'))).toEqual({ state: 'open', closesAt: at('2024-03-12T21:00:00Z') });
    // Before opening on a weekday: opens the same day.
    expect(availability(ny, at('2024-03-12T12:00:00Z'))).toEqual({ state: 'closed', opensAt: at('2024-03-12T13:00:00Z') });
    // Tokyo sees Monday 09:00 New York as Monday 22:00 (EDT, UTC-4 → UTC+9).
    const p = zonedParts(at('2024-03-11T13:00:00Z'), 'Asia/Tokyo');
    expect([p.weekday, p.hour, p.minute]).toEqual([1, 22, 0]);
  });

  it('is away within the away dates, until the first hours after them', () => {
    const london: OfficeHours = { timeZone: 'Europe/London', weekly: weekdays('09:00', '17:00'), awayFrom: '2024-12-20', awayUntil: '2025-01-03' };
    // Back Monday 6 January 2025 09:00 GMT (the 4th and 5th are a weekend).
    expect(availability(london, at('2024-12-24T10:00:00Z'))).toEqual({ state: 'away', opensAt: at('2025-01-06T09:00:00Z'), lastDay: '2025-01-03' });
    // The evening before the first away day: closed, and the next opening skips the away days.
    expect(availability(london, at('2024-12-19T18:00:00Z'))).toEqual({ state: 'closed', opensAt: at('2025-01-06T09:00:00Z') });
    // Away with no end: until further notice. No hours and not away: nothing to say.
    expect(availability({ ...london, awayUntil: undefined }, at('2025-02-01T10:00:00Z'))).toEqual({ state: 'away', opensAt: undefined, lastDay: undefined });
    expect(availability({ timeZone: 'UTC', weekly: [] }, at('2025-02-01T10:00:00Z'))).toEqual({ state: 'unstated' });
    // Far-future away dates still compute at once (no day-by-day walk through them).
    const far = availability({ ...london, awayFrom: undefined, awayUntil: '2999-12-31' }, at('2025-02-01T10:00:00Z'));
    expect(far.state).toBe('away');
    expect(far.state === 'away' && zonedParts(far.opensAt!, 'Europe/London').year).toBe(3000);
  });

  it('ends a 24:00 day at the next midnight', () => {
    const h: OfficeHours = { timeZone: 'Asia/Kolkata', weekly: [{ day: 6, start: '20:00', end: '24:00' }] };
    // Saturday 1 June 2024 23:00 IST = 17:30Z.
    expect(availability(h, at('2024-06-01T17:30:00Z'))).toEqual({ state: 'open', closesAt: at('2024-06-01T18:30:00Z') });
  });

  it('never reports an opening that is not open, nor an open time outside the hours (any zone)', () => {
    const day = fc.record({ start: fc.integer({ min: 0, max: 22 * 60 }), len: fc.integer({ min: 30, max: 8 * 60 }) });
    const hhmm = (m: number) => (m >= 1440 ? '24:00' : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
        day,
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z') }),
        (timeZone, days, span, now) => {
          const hours: OfficeHours = {
            timeZone,
            weekly: days.map((d) => ({ day: d as 1, start: hhmm(span.start), end: hhmm(Math.min(1440, span.start + span.len)) })),
          };
          const a = availability(hours, now);
          if (a.state === 'open') {
            expect(a.closesAt).toBeGreaterThan(now);
          } else {
            expect(a.state).toBe('closed');
            if (a.state !== 'closed') return;
            expect(a.opensAt).toBeGreaterThan(now);
            expect(a.opensAt! - now).toBeLessThanOrEqual(8 * 86_400_000);
            expect(availability(hours, a.opensAt!).state).toBe('open');
            expect(availability(hours, a.opensAt! - 60_000).state).not.toBe('open');
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("lists this week's hours as instants a client reads in their own zone", () => {
    const ny: OfficeHours = { timeZone: 'America/New_York', weekly: [{ day: 1, start: '09:00', end: '17:00' }, { day: 5, start: '20:00', end: '23:00' }] };
    const week = weekInZone(ny, at('2024-06-05T12:00:00Z')); // a Wednesday
    expect(week).toEqual([
      { start: at('2024-06-08T00:00:00Z'), end: at('2024-06-08T03:00:00Z') },
      { start: at('2024-06-10T13:00:00Z'), end: at('2024-06-10T21:00:00Z') },
    ]);
    // Friday 20:00 in New York is Saturday 09:00 in Tokyo.
    const p = zonedParts(week[0]!.start, 'Asia/Tokyo');
    expect([p.weekday, p.hour]).toEqual([6, 9]);
  });
});

const FROZEN = {
  messageSha256: '0abd9a22ebe7dc4f527aa955fbbc89b0eb4d8a65b4d9104546e7369d918d6d4a',
  signature: '0Jc_lMrn1zM3Pz8OoG6x64nEsTHsyhjX7DrXGSAkRYNZoG71AR3_hAt37of0PkR9lAJDF50HO6FxOD_FicCiCw',
};

