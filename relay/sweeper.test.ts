import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toHex } from '../shared/index.ts';
import { therapistWithMailbox } from './storage/conformance/_fixture.ts';
import { openStore, type OpenedStore } from './storage/index.ts';
import type { BlobStore, Store, SweepResult } from './storage/types.ts';
import { startSweeper, type Sweeper, type SweeperOptions } from './sweeper.ts';

const T0 = 1_750_000_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const streamOf = (bytes: Uint8Array): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });

const EMPTY: SweepResult & { expiredBlobIds: Uint8Array[] } = {
  messages: 0,
  blobs: 0,
  nonces: 0,
  registrationCodes: 0,
  invites: 0,
  expiredBlobIds: [],
};

/** A Store stand-in with only `sweep`, for scheduling tests. */
const fakeStore = (sweep: Store['sweep']): Store => ({ sweep }) as unknown as Store;
const fakeBlobs = (del: BlobStore['delete'] = async () => {}): BlobStore => ({ delete: del }) as unknown as BlobStore;

describe('startSweeper with a real SQLite store', () => {
  let dataDir: string;
  let opened: OpenedStore;
  let sweeper: Sweeper | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'confidant-sweeper-'));
    opened = await openStore({ dataDir });
  });
  afterEach(async () => {
    await sweeper?.stop();
    sweeper = undefined;
    await opened.store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function seed() {
    const { store, blobs } = opened;
    const { mailboxId } = await therapistWithMailbox(store);
    const quota = { maxMessages: 100, maxBytes: 1 << 20 };
    const expiredMsg = rnd(16);
    const liveMsg = rnd(16);
    await store.putMessage({ messageId: expiredMsg, mailboxId, envelope: rnd(200), receivedAt: T0, expiresAt: T0 + HOUR }, quota);
    await store.putMessage({ messageId: liveMsg, mailboxId, envelope: rnd(200), receivedAt: T0, expiresAt: T0 + 30 * DAY }, quota);

    const blob = async (expiresAt: number, complete: boolean, createdAt = T0) => {
      const blobId = rnd(16);
      await store.createBlob({ blobId, createdAt, expiresAt, deleteTokenHash: rnd(32) });
      const size = await blobs.write(blobId, streamOf(rnd(1000)), 1 << 20);
      if (complete) expect(await store.completeBlob(blobId, size)).toBe(true);
      return blobId;
    };
    return {
      mailboxId,
      expiredMsg,
      liveMsg,
      expiredBlob: await blob(T0 + HOUR, true),
      liveBlob: await blob(T0 + 30 * DAY, true),
      abandonedBlob: await blob(T0 + 30 * DAY, false, T0),
      uploadingBlob: await blob(T0 + 30 * DAY, false, T0 + 2 * HOUR),
    };
  }

  const blobFile = (blobId: Uint8Array) => join(dataDir, 'blobs', toHex(blobId));

  it('deletes expired messages, blob rows and blob files at start, keeps unexpired ones, logs counts only', async () => {
    const s = await seed();
    for (const id of [s.expiredBlob, s.liveBlob, s.abandonedBlob, s.uploadingBlob]) expect(existsSync(blobFile(id))).toBe(true);
    const lines: string[] = [];
    sweeper = startSweeper({
      ...opened,
      intervalMs: 60_000,
      incompleteBlobMaxAgeMs: 2 * HOUR,
      now: () => T0 + 2 * HOUR + 1,
      log: (l) => lines.push(l),
    });
    await sweeper.sweepNow(); // joins the run started at once

    // Read "as of T0" so only deletion, not the expiry filter, can hide a row.
    const left = await opened.store.listMessages(s.mailboxId, { after: 0, limit: 10, now: T0 });
    expect(left.map((m) => toHex(m.messageId))).toEqual([toHex(s.liveMsg)]);

    expect(await opened.store.getBlob(s.expiredBlob)).toBeUndefined();
    expect(existsSync(blobFile(s.expiredBlob))).toBe(false);
    expect(await opened.store.getBlob(s.abandonedBlob)).toBeUndefined();
    expect(existsSync(blobFile(s.abandonedBlob))).toBe(false);
    expect(await opened.store.getBlob(s.liveBlob)).toMatchObject({ complete: true, size: 1000 });
    expect(existsSync(blobFile(s.liveBlob))).toBe(true);
    expect(await opened.store.getBlob(s.uploadingBlob)).toMatchObject({ complete: false });
    expect(existsSync(blobFile(s.uploadingBlob))).toBe(true);

    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ event: 'sweep', ok: true, messages: 1, blobs: 2, blobFilesDeleted: 2, registrationCodes: 1 });
    for (const id of [s.mailboxId, s.expiredMsg, s.liveMsg, s.expiredBlob, s.abandonedBlob]) {
      expect(lines[0]).not.toContain(toHex(id));
    }
  });

  it('sweeps again on the interval as time passes, and not after stop()', async () => {
    const s = await seed();
    let t = T0; // nothing expired yet
    const lines: string[] = [];
    sweeper = startSweeper({ ...opened, intervalMs: 5, now: () => t, log: (l) => lines.push(l) });
    await sweeper.sweepNow();
    expect(await opened.store.getBlob(s.expiredBlob)).toBeDefined();

    t = T0 + 2 * HOUR;
    await vi.waitFor(async () => expect(await opened.store.getBlob(s.expiredBlob)).toBeUndefined(), { timeout: 5000 });
    // The row goes first, the file just after, in the same run: wait for that run to end.
    await sweeper.sweepNow();
    expect(existsSync(blobFile(s.expiredBlob))).toBe(false);

    await sweeper.stop();
    const runs = lines.length;
    t = T0 + 365 * DAY; // everything would expire now
    await new Promise((r) => setTimeout(r, 50));
    await sweeper.sweepNow();
    expect(lines.length).toBe(runs);
    expect(await opened.store.getBlob(s.liveBlob)).toBeDefined();
    expect(existsSync(blobFile(s.liveBlob))).toBe(true);
  });
});

/** A sweeper every `intervalMs` over a store whose sweep finds nothing, counting its rounds. */
function countingSweeper(intervalMs: number, log: SweeperOptions['log']): { sweeper: Sweeper; calls: () => number } {
  let calls = 0;
  const sweeper = startSweeper({
    store: fakeStore(async () => {
      calls++;
      return EMPTY;
    }),
    blobs: fakeBlobs(),
    intervalMs,
    log,
  });
  return { sweeper, calls: () => calls };
}

describe('startSweeper scheduling', () => {
  it('runs once at start, then periodically, and stop() stops it', async () => {
    const { sweeper, calls } = countingSweeper(2, () => {});
    expect(calls()).toBe(1);
    await vi.waitFor(() => expect(calls()).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    await sweeper.stop();
    const after = calls();
    await new Promise((r) => setTimeout(r, 30));
    expect(calls()).toBe(after);
  });

  it('never overlaps runs, however slow a sweep is', async () => {
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const sweeper = startSweeper({
      store: fakeStore(async () => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 15));
        active--;
        return EMPTY;
      }),
      blobs: fakeBlobs(),
      intervalMs: 1,
      log: () => {},
    });
    await Promise.all([sweeper.sweepNow(), sweeper.sweepNow(), sweeper.sweepNow()]);
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    await sweeper.stop();
    expect(active).toBe(0);
    expect(maxActive).toBe(1);
  });

  it('survives a failing sweep and a failing blob delete, logging error names only', async () => {
    const lines: string[] = [];
    let calls = 0;
    const secretPath = '/data/blobs/0123abcd-secret';
    const sweeper = startSweeper({
      store: fakeStore(async () => {
        calls++;
        if (calls === 1) {
          const e = new Error(`SQLITE_BUSY at ${secretPath}`);
          e.name = 'SqliteError';
          throw e;
        }
        return { ...EMPTY, blobs: 2, expiredBlobIds: [rnd(16), rnd(16)] };
      }),
      blobs: fakeBlobs(async () => {
        throw Object.assign(new Error(`EACCES ${secretPath}`), { name: 'PermissionError' });
      }),
      intervalMs: 1,
      log: (l) => lines.push(l),
    });
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    await sweeper.stop();
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ event: 'sweep', ok: false, error: 'SqliteError' });
    expect(second).toMatchObject({ ok: false, blobs: 2, blobFilesDeleted: 0, blobDeleteFailures: 2, error: 'PermissionError' });
    expect(lines.join('\n')).not.toContain(secretPath);
    expect(lines.join('\n')).not.toContain('SQLITE_BUSY');
  });

  it('keeps going when the log itself throws', async () => {
    const { sweeper, calls } = countingSweeper(1, () => {
      throw new Error('stdout closed');
    });
    await vi.waitFor(() => expect(calls()).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    await sweeper.stop();
  });

  it('throws at start on bad options', () => {
    const ok: SweeperOptions = { store: fakeStore(async () => EMPTY), blobs: fakeBlobs(), intervalMs: 1000, log: () => {} };
    for (const intervalMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => startSweeper({ ...ok, intervalMs }), String(intervalMs)).toThrow(RangeError);
    }
    expect(() => startSweeper({ ...ok, incompleteBlobMaxAgeMs: -1 })).toThrow(RangeError);
    expect(() => startSweeper({ ...ok, store: {} as Store })).toThrow(TypeError);
    expect(() => startSweeper({ ...ok, blobs: {} as BlobStore })).toThrow(TypeError);
    expect(() => startSweeper({ ...ok, now: 5 } as unknown as SweeperOptions)).toThrow(TypeError);
    expect(() => startSweeper({ ...ok, log: 'stdout' } as unknown as SweeperOptions)).toThrow(TypeError);
  });
});
