import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS, auditEntryHash, exportAuditLog, signAuditEntry, verifyAuditExport, ZERO_HASH, type AuditEntry, type AuditEvent, type AuditExport } from './audit.ts';
import { deriveIdentity, generateRootSecret, type Identity } from './keys.ts';

let me: Identity;
let other: Identity;

beforeAll(async () => {
  me = await deriveIdentity(generateRootSecret());
  other = await deriveIdentity(generateRootSecret());
});

async function logOf(identity: Identity, events: readonly { type: AuditEvent; details?: Record<string, string | number | boolean> }[], start = 1_700_000_000_000): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let prev = ZERO_HASH;
  for (const [seq, e] of events.entries()) {
    const entry = await signAuditEntry(identity, { seq, at: start + seq * 1000, type: e.type, ...(e.details ? { details: e.details } : {}), prev });
    out.push(entry);
    prev = await auditEntryHash(entry);
  }
  return out;
}

const SAMPLE: { type: AuditEvent; details?: Record<string, string | number | boolean> }[] = [
  { type: 'log_started' },
  { type: 'unlock' },
  { type: 'unlock_failed', details: { attempts: 3 } },
  { type: 'consent_given', details: { conversation: 'c1', version: 2 } },
  { type: 'lock', details: { auto: true } },
];

/** A deep copy to tamper with. */
const copy = (x: AuditExport): { -readonly [K in keyof AuditExport]: unknown } & { entries: Record<string, unknown>[] } => JSON.parse(JSON.stringify(x));

describe('audit log export', () => {
  it('verifies a log signed and exported by the device, with its range', async () => {
    const file = await exportAuditLog(me, await logOf(me, SAMPLE), 1_700_000_100_000);
    const verdict = await verifyAuditExport(JSON.parse(JSON.stringify(file)));
    expect(verdict).toMatchObject({ ok: true, count: 5, first: 1_700_000_000_000, last: 1_700_000_004_000 });
  });

  it('verifies an empty log', async () => {
    expect(await verifyAuditExport(await exportAuditLog(me, [], 1))).toMatchObject({ ok: true, count: 0 });
  });

  it('refuses an edited entry and names it', async () => {
    const file = copy(await exportAuditLog(me, await logOf(me, SAMPLE), 2));
    file.entries[2]!.details = { attempts: 1 };
    expect(await verifyAuditExport(file)).toMatchObject({ ok: false, entry: 2 });
  });

  it('refuses an entry whose time was moved', async () => {
    const file = copy(await exportAuditLog(me, await logOf(me, SAMPLE), 2));
    file.entries[3]!.at = (file.entries[3]!.at as number) + 1;
    expect(await verifyAuditExport(file)).toMatchObject({ ok: false, entry: 3 });
  });

  it('refuses a removed entry, naming the first one out of place', async () => {
    const file = copy(await exportAuditLog(me, await logOf(me, SAMPLE), 2));
    file.entries.splice(1, 1);
    expect(await verifyAuditExport(file)).toMatchObject({ ok: false, entry: 1 });
  });

  it('refuses reordered entries', async () => {
    const file = copy(await exportAuditLog(me, await logOf(me, SAMPLE), 2));
    [file.entries[1], file.entries[2]] = [file.entries[2]!, file.entries[1]!];
    expect(await verifyAuditExport(file)).toMatchObject({ ok: false, entry: 1 });
  });

  it('refuses a file with its newest entries cut off behind the signed checkpoint', async () => {
    const file = copy(await exportAuditLog(me, await logOf(me, SAMPLE), 2));
    file.entries.splice(3);
    const verdict = await verifyAuditExport(file);
    expect(verdict).toMatchObject({ ok: false, entry: 3 });
    expect(verdict.ok ? '' : verdict.reason).toMatch(/cut from the end/);
  });

  it('refuses a cut file whose checkpoint was rewritten without the device key', async () => {
    const full = await exportAuditLog(me, await logOf(me, SAMPLE), 2);
    const cut = await exportAuditLog(other, full.entries.slice(0, 3), 3);
    const forged = { ...copy(full), entries: cut.entries, checkpoint: cut.checkpoint };
    expect(await verifyAuditExport(forged)).toMatchObject({ ok: false, reason: expect.stringMatching(/checkpoint is not signed/) });
  });

  it('refuses entries signed by another device, and a device swapped for another', async () => {
    const mine = await exportAuditLog(me, await logOf(me, SAMPLE), 2);
    const theirs = await exportAuditLog(other, await logOf(other, SAMPLE), 2);
    expect(await verifyAuditExport({ ...copy(mine), device: theirs.device })).toMatchObject({ ok: false, entry: 0 });
    const spliced = copy(mine);
    spliced.entries[4] = copy(theirs).entries[4]!;
    expect(await verifyAuditExport(spliced)).toMatchObject({ ok: false, entry: 4 });
  });

  it('refuses what is not an export, with the path of the problem', async () => {
    expect(await verifyAuditExport({ format: 'something else' })).toMatchObject({ ok: false });
    const file = copy(await exportAuditLog(me, await logOf(me, SAMPLE), 2));
    file.entries[1]!.type = 'made_up';
    expect(await verifyAuditExport(file)).toMatchObject({ ok: false, entry: 1, reason: expect.stringMatching(/entries\.1\.type/) });
  });

  it('refuses details that could carry content: long text, nested values, many keys', async () => {
    await expect(signAuditEntry(me, { seq: 0, at: 1, type: 'export', details: { note: 'x'.repeat(129) }, prev: ZERO_HASH })).rejects.toThrow(/audit details/);
    const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, i]));
    await expect(signAuditEntry(me, { seq: 0, at: 1, type: 'export', details: many, prev: ZERO_HASH })).rejects.toThrow(/audit details/);
  });

  it('signs details independently of key order', async () => {
    const a = await signAuditEntry(me, { seq: 0, at: 1, type: 'export', details: { a: 1, b: 'x' }, prev: ZERO_HASH });
    const b = await signAuditEntry(me, { seq: 0, at: 1, type: 'export', details: { b: 'x', a: 1 }, prev: ZERO_HASH });
    expect(await auditEntryHash(a)).toBe(await auditEntryHash(b));
  });

  it('property: any one change to any entry of a log is refused at or before that entry', async () => {
    const base = await exportAuditLog(me, await logOf(me, [...SAMPLE, ...SAMPLE]), 9);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: base.entries.length - 1 }),
        fc.constantFrom('at', 'type', 'details', 'prev', 'sig', 'drop', 'duplicate'),
        fc.nat(),
        async (index, field, salt) => {
          const file = copy(base);
          const e = file.entries[index]!;
          switch (field) {
            case 'at':
              e.at = (e.at as number) + 1 + (salt % 1000);
              break;
            case 'type':
              e.type = AUDIT_EVENTS.find((t) => t !== e.type && AUDIT_EVENTS.indexOf(t) % 7 === salt % 7) ?? (e.type === 'lock' ? 'unlock' : 'lock');
              break;
            case 'details':
              e.details = { changed: salt };
              break;
            case 'prev':
              e.prev = file.entries[(index + 1) % file.entries.length]!.prev === e.prev ? ZERO_HASH.replace('A', 'B') : file.entries[(index + 1) % file.entries.length]!.prev;
              break;
            case 'sig':
              e.sig = file.entries[(index + 1) % file.entries.length]!.sig;
              break;
            case 'drop':
              file.entries.splice(index, 1);
              break;
            case 'duplicate':
              file.entries.splice(index, 0, { ...e });
              break;
          }
          const verdict = await verifyAuditExport(file);
          expect(verdict.ok).toBe(false);
          if (!verdict.ok && verdict.entry !== undefined) expect(verdict.entry).toBeLessThanOrEqual(index + 1);
        },
      ),
      { numRuns: 60 },
    );
  });
});
