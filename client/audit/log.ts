/**
 * The device's security log in its vault (format: PROTOCOL.md §15, shared/audit.ts). Every
 * append signs the new entry with the identity key and links it to the head, and the head
 * (count and hash of the last entry) is written in the same vault transaction, which fails if
 * another tab appended since this one read the head: then the append is redone on the new head,
 * so two tabs never write two entries with one number.
 *
 *   audit       ''   seq (number)   AuditEntry
 *   audit-head  ''   'head'         { count, head }
 *
 * Checking the log in the app is the export's check plus one more: the head record must match
 * the last entry, so entries deleted from the database (which needs no key) are noticed too.
 * Does not: decide what is an event (the callers do: client/state/lock.ts, settings, consent...),
 * or record content: details are counts, versions and ids this device made up.
 * @module
 */
import * as v from 'valibot';
import { AuditEntrySchema, auditEntryHash, exportAuditLog, signAuditEntry, verifyAuditChain, ZERO_HASH, type AuditDetails, type AuditEntry, type AuditEvent, type AuditExport } from '../../shared/audit.ts';
import type { Identity } from '../../shared/keys.ts';
import { checked } from '../data/schemas.ts';
import { encodeValue, decodeValue, type VaultValue } from '../vault/codec.ts';
import { VaultError } from '../vault/errors.ts';
import type { Vault } from '../vault/vault.ts';

const ENTRIES = 'audit';
const HEAD = 'audit-head';
const ROOT = '';
const HEAD_ID = 'head';
/** Appends redone after another tab's append, before giving up. */
const MAX_REDO = 5;

const HeadSchema = v.object({ count: v.pipe(v.number(), v.safeInteger(), v.minValue(0)), head: v.string() });
type Head = v.InferOutput<typeof HeadSchema>;

export type LogCheck = { readonly ok: true; readonly count: number } | { readonly ok: false; readonly entry?: number; readonly reason: string };

export class AuditLog {
  constructor(
    private readonly vault: Vault,
    private readonly identity: Identity,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends one event; resolves with the entry once it is stored. */
  async append(type: AuditEvent, details: AuditDetails = {}): Promise<AuditEntry> {
    for (let attempt = 0; ; attempt++) {
      const read = await this.vault.getVersioned(HEAD, ROOT, HEAD_ID);
      const head: Head = read.value ? checked(HeadSchema, HEAD, decodeValue(read.value)) : { count: 0, head: ZERO_HASH };
      const entry = await signAuditEntry(this.identity, { seq: head.count, at: this.now(), type, details, prev: head.head });
      const next: Head = { count: head.count + 1, head: await auditEntryHash(entry) };
      try {
        await this.vault.batch(
          [
            { type: 'put', collection: ENTRIES, partition: ROOT, id: entry.seq, value: encodeValue(entry as unknown as VaultValue) },
            { type: 'put', collection: HEAD, partition: ROOT, id: HEAD_ID, value: encodeValue(next) },
          ],
          { expect: [{ collection: HEAD, partition: ROOT, id: HEAD_ID, version: read.version }] },
        );
        return entry;
      } catch (e) {
        if (!(e instanceof VaultError && e.code === 'conflict') || attempt >= MAX_REDO) throw e;
      }
    }
  }

  /** Records an event without letting a failure to record it stop what the person is doing. */
  record(type: AuditEvent, details: AuditDetails = {}): Promise<void> {
    return this.append(type, details).then(
      () => undefined,
      (e: unknown) => console.warn('confidant: could not add to the security log', (e as Error).name),
    );
  }

  /** The whole log in order (newest last). */
  async entries(): Promise<AuditEntry[]> {
    const list = await this.vault.listJSON(ENTRIES, ROOT);
    return list.map((e) => checked(AuditEntrySchema, ENTRIES, e.value));
  }

  async count(): Promise<number> {
    const head = await this.vault.getJSON(HEAD, ROOT, HEAD_ID);
    return head === undefined ? 0 : checked(HeadSchema, HEAD, head).count;
  }

  /** The app's own check: the chain and signatures, and the head record against the last entry. */
  async check(): Promise<LogCheck> {
    const entries = await this.entries();
    const { head, problem } = await verifyAuditChain(this.identity.publicIdentity.signingKey, entries);
    if (problem) return { ok: false, ...problem };
    const stored = await this.vault.getJSON(HEAD, ROOT, HEAD_ID);
    const expected: Head = stored === undefined ? { count: 0, head: ZERO_HASH } : checked(HeadSchema, HEAD, stored);
    if (expected.count !== entries.length || expected.head !== head) {
      return {
        ok: false,
        entry: Math.min(entries.length, expected.count),
        reason: `the log should hold ${expected.count} entries and holds ${entries.length}: entries were removed from this device's database`,
      };
    }
    return { ok: true, count: entries.length };
  }

  /** Records the export, then exports the whole log (that entry included) with a signed checkpoint. */
  async export(): Promise<AuditExport> {
    await this.append('audit_exported', { entries: (await this.count()) + 1 });
    return exportAuditLog(this.identity, await this.entries(), this.now());
  }
}
