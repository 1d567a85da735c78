/**
 * The SQLite store's per-mailbox usage bound (messages.ts, `usage`): a send skips the
 * quota scan only while a remembered upper bound proves the mailbox has room, so the quota
 * decisions must stay exactly those of a scan on every send, whoever else writes the file.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account, StoredMessage } from '../types.ts';
import { openDatabase } from './database.ts';
import { openSqliteStore, type SqliteStore } from './index.ts';

const T0 = 1_750_000_000_000;
const DAY = 86_400_000;
const rnd = (n: number): Uint8Array<ArrayBuffer> => new Uint8Array(randomBytes(n));

const message = (mailboxId: Uint8Array, over: Partial<Omit<StoredMessage, 'seq'>> = {}): Omit<StoredMessage, 'seq'> => ({
  messageId: rnd(16),
  mailboxId,
  envelope: rnd(100),
  receivedAt: T0,
  expiresAt: T0 + DAY,
  ...over,
});

describe('SQLite usage bound', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;
  let mailboxId: Uint8Array;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confidant-usage-'));
    file = join(dir, 'relay.sqlite');
    store = await openSqliteStore(file);
    const code = rnd(32);
    await store.addRegistrationCode(code, T0, T0 + DAY);
    const owner: Account = { signingKey: rnd(32), agreementKey: rnd(32), identity: rnd(129), kind: 'therapist', createdAt: T0 };
    expect(await store.registerTherapist(owner, code, T0)).toBe('created');
    mailboxId = rnd(16);
    await store.createMailbox(mailboxId, owner.signingKey, T0);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts rows another connection added since the bound was taken', async () => {
    const quota = { maxMessages: 3, maxBytes: 1 << 20 };
    expect((await store.putMessage(message(mailboxId), quota)).status).toBe('stored');
    // Another connection (a second relay process by mistake, an operator tool) adds two rows.
    const other = openDatabase(file);
    try {
      const insert = other.prepare(
        'INSERT INTO messages (mailbox_id, message_id, size, received_at, expires_at, envelope) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (let i = 0; i < 2; i++) insert.run(mailboxId, rnd(16), 100, T0, T0 + DAY, rnd(100));
    } finally {
      other.close();
    }
    expect(await store.putMessage(message(mailboxId), quota)).toEqual({ status: 'quota' });
  });

  it('counts bytes another connection added since the bound was taken', async () => {
    const quota = { maxMessages: 100, maxBytes: 1000 };
    expect((await store.putMessage(message(mailboxId), quota)).status).toBe('stored');
    const other = openDatabase(file);
    try {
      other
        .prepare('INSERT INTO messages (mailbox_id, message_id, size, received_at, expires_at, envelope) VALUES (?, ?, ?, ?, ?, ?)')
        .run(mailboxId, rnd(16), 850, T0, T0 + DAY, rnd(850));
    } finally {
      other.close();
    }
    expect(await store.putMessage(message(mailboxId, { envelope: rnd(51) }), quota)).toEqual({ status: 'quota' });
    expect((await store.putMessage(message(mailboxId, { envelope: rnd(50) }), quota)).status).toBe('stored');
  });

  it('makes the same decisions as a scan through a long run of sends, acks, expiry and sweeps', async () => {
    const quota = { maxMessages: 7, maxBytes: 2000 };
    const live: { id: Uint8Array; size: number; expiresAt: number }[] = [];
    let now = T0;
    for (let step = 0; step < 300; step++) {
      now += 1000;
      const roll = step % 11;
      if (roll === 3 && live.length > 0) {
        const gone = live.splice(0, 2);
        expect(await store.ackMessages(mailboxId, gone.map((m) => m.id))).toBe(gone.length);
        continue;
      }
      if (roll === 7) {
        await store.sweep(now);
        for (let i = live.length - 1; i >= 0; i--) if (live[i]!.expiresAt <= now) live.splice(i, 1);
        continue;
      }
      const size = 50 + ((step * 37) % 300);
      const expiresAt = now + (step % 3 === 0 ? 5_000 : DAY);
      const m = message(mailboxId, { envelope: rnd(size), receivedAt: now, expiresAt });
      const unexpired = live.filter((x) => x.expiresAt > now);
      const used = unexpired.reduce((sum, x) => sum + x.size, 0);
      const fits = unexpired.length + 1 <= quota.maxMessages && used + size <= quota.maxBytes;
      const result = await store.putMessage(m, quota);
      expect(result.status).toBe(fits ? 'stored' : 'quota');
      if (fits) live.push({ id: m.messageId, size, expiresAt });
    }
  });
});
