import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfidantError } from '../../../shared/index.ts';
import { expectUploaderForgotten, therapistWithMailbox } from '../conformance/_fixture.ts';
import { storeConformance } from '../conformance/index.ts';
import { blobFileName, FileBlobStore } from './files.ts';
import { openStore } from '../index.ts';
import { blobOwnerTag } from '../_tags.ts';
import { BLOB_ID_LEN, type Account } from '../types.ts';
import { BUSY_TIMEOUT_MS, openDatabase } from './database.ts';
import { SQLITE_FILE, openSqliteStore } from './index.ts';
import { applyMigrations, MIGRATIONS } from './migrations.ts';
import { startSweeper } from '../../sweeper.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const T0 = 1_750_000_000_000;
const DAY = 86_400_000;
const rnd = (n: number): Uint8Array<ArrayBuffer> => new Uint8Array(randomBytes(n));

/** Every file under `root`, recursively, with its bytes. */
async function filesUnder(root: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    try {
      out.push({ path, bytes: await readFile(path) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return out;
}

/** Every row of every table in the file, through a read-only connection of its own (BLOBs as Uint8Array). */
function tableRows(file: string): Record<string, unknown[][]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    const out: Record<string, unknown[][]> = {};
    for (const name of names) {
      const rows = db.prepare(`SELECT * FROM "${name}"`).raw().all() as unknown[][];
      out[name] = rows.map((row) => row.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v)));
    }
    return out;
  } finally {
    db.close();
  }
}

storeConformance('sqlite', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'confidant-sqlite-'));
  const { store, blobs } = await openStore({ dataDir });
  return {
    store,
    blobs,
    tables: async () => tableRows(join(dataDir, SQLITE_FILE)),
    async cleanup() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('SQLite adapter specifics', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confidant-sqlite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A therapist with a mailbox, set up directly through the store. */
  async function seed(file: string): Promise<{ owner: Account; mailboxId: Uint8Array }> {
    const store = await openSqliteStore(file);
    const seeded = await therapistWithMailbox(store);
    await store.close();
    return seeded;
  }

  it('opens every connection with WAL, synchronous=FULL, secure_delete, foreign keys and a busy timeout', () => {
    const db = openDatabase(join(dir, 'x.sqlite'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(db.pragma('secure_delete', { simple: true })).toBe(1);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    } finally {
      db.close();
    }
    // Reopened: the per-connection settings are back (a WAL file reopens as NORMAL otherwise).
    const again = openDatabase(join(dir, 'x.sqlite'));
    expect(again.pragma('synchronous', { simple: true })).toBe(2);
    again.close();
  });

  it('puts relay.sqlite and blobs/ under DATA_DIR, creating DATA_DIR if missing', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const { store } = await openStore({ dataDir });
    await store.close();
    expect(existsSync(join(dataDir, SQLITE_FILE))).toBe(true);
    expect((await stat(join(dataDir, 'blobs'))).isDirectory()).toBe(true);
  });

  it('goes to PostgreSQL, not SQLite, when DATABASE_URL is set', async () => {
    // Port 1 on loopback: nothing listens, so the PostgreSQL adapter fails to connect.
    await expect(openStore({ dataDir: dir, databaseUrl: 'postgres://127.0.0.1:1/none' })).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  describe('migrations', () => {
    it('applies every migration to a new file and none when reopened; the data stays', async () => {
      const file = join(dir, SQLITE_FILE);
      const db = openDatabase(file);
      expect(applyMigrations(db)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      db.close();

      const { owner } = await seed(file); // openSqliteStore migrates again: must be a no-op

      const reopened = openDatabase(file);
      expect(applyMigrations(reopened)).toEqual([]);
      expect(reopened.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      reopened.close();
      const store = await openSqliteStore(file);
      expect(await store.getAccount(owner.signingKey)).toEqual(owner);
      await store.close();
    });

    it('v4 and v5 convert a v2 file: blob rows keep nothing of the uploader (such a row can only expire), limit rows naming two accounts are dropped', async () => {
      const file = join(dir, SQLITE_FILE);
      const db = openDatabase(file);
      applyMigrations(db, MIGRATIONS.slice(0, 2));
      const owner = rnd(32);
      const requester = rnd(32);
      const blobId = rnd(BLOB_ID_LEN);
      db.prepare("INSERT INTO accounts VALUES (?, ?, ?, 'therapist', ?)").run(owner, rnd(32), rnd(129), T0);
      db.prepare('INSERT INTO blobs (blob_id, owner, size, complete, created_at, expires_at) VALUES (?, ?, 7, 1, ?, ?)').run(blobId, owner, T0, T0 + DAY);
      db.prepare('INSERT INTO prekey_grants VALUES (?, ?, 1, ?)').run(requester, owner, T0 + DAY);
      db.close();

      const store = await openSqliteStore(file);
      try {
        // v5: no delete token was ever handed out for the blob, so nothing deletes it early.
        await expectUploaderForgotten(store, tableRows(file), { owner, requester, blobId });
      } finally {
        await store.close();
      }
      // The rewrite was checkpointed: the old rows' keys are in no file (secure_delete zeroed them).
      for (const f of await filesUnder(dir)) expect(f.bytes.includes(Buffer.from(requester)), f.path).toBe(false);
      // Nor is the v4 uploader tag that v5 dropped.
      const tag = Buffer.from(blobOwnerTag(blobId, owner));
      for (const f of await filesUnder(dir)) expect(f.bytes.includes(tag), f.path).toBe(false);
    });

    it('applies only the migrations newer than the file, in order', () => {
      const db = openDatabase(join(dir, 'm.sqlite'));
      const steps = [
        { version: 1, sql: 'CREATE TABLE a (x INTEGER)' },
        { version: 2, sql: 'CREATE TABLE b (x INTEGER)' },
      ];
      expect(applyMigrations(db, steps.slice(0, 1))).toEqual([1]);
      // A re-run of migration 1 would fail (table a exists): it must be skipped.
      expect(applyMigrations(db, steps)).toEqual([2]);
      expect(applyMigrations(db, steps)).toEqual([]);
      db.close();
    });

    it('rolls back a failing migration whole, leaving the version where it was', () => {
      const db = openDatabase(join(dir, 'm.sqlite'));
      const steps = [
        { version: 1, sql: 'CREATE TABLE a (x INTEGER)' },
        { version: 2, sql: 'CREATE TABLE b (x INTEGER); CREATE TABLE a (y INTEGER)' },
      ];
      expect(() => applyMigrations(db, steps)).toThrow(/already exists/);
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0);
      db.close();
    });

    it('refuses a database from a newer release, and a mis-numbered migration list', () => {
      const db = openDatabase(join(dir, 'm.sqlite'));
      db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
      expect(() => applyMigrations(db)).toThrow(/schema version/);
      expect(() => applyMigrations(db, [{ version: 2, sql: '' }])).toThrow(/expected 1/);
      db.close();
    });
  });

  it('overwrites acknowledged ciphertext in the file (secure_delete)', async () => {
    const file = join(dir, SQLITE_FILE);
    const { mailboxId } = await seed(file);
    const envelope = rnd(3000); // spills onto an overflow page as well
    const probe = Buffer.from(envelope.subarray(1000, 1064));
    const messageId = rnd(16);

    let store = await openSqliteStore(file);
    await store.putMessage({ mailboxId, messageId, envelope, receivedAt: T0, expiresAt: T0 + DAY }, { maxMessages: 10, maxBytes: 1 << 20 });
    await store.close(); // the last close checkpoints the WAL into the file and removes it
    expect((await readFile(file)).includes(probe)).toBe(true);

    store = await openSqliteStore(file);
    expect(await store.ackMessages(mailboxId, [messageId])).toBe(1);
    await store.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect((await readFile(file)).includes(probe)).toBe(false);
  });

  describe('deleted ciphertext leaves every file under DATA_DIR (issue 9 item 3)', () => {
    /** A store under its own DATA_DIR with a therapist's mailbox, and an envelope carrying a random 64-byte marker. */
    async function setup(envelopeLen: number) {
      const dataDir = join(dir, 'data');
      const { store, blobs } = await openStore({ dataDir });
      const code = rnd(32);
      await store.addRegistrationCode(code, T0, T0 + DAY);
      const owner: Account = { signingKey: rnd(32), agreementKey: rnd(32), identity: rnd(129), kind: 'therapist', createdAt: T0 };
      await store.registerTherapist(owner, code, T0);
      const mailboxId = rnd(16);
      await store.createMailbox(mailboxId, owner.signingKey, T0);
      const marker = Buffer.from(rnd(64));
      const envelope = rnd(envelopeLen);
      envelope.set(marker, envelopeLen - 100);
      const messageId = rnd(16);
      await store.putMessage({ mailboxId, messageId, envelope, receivedAt: T0, expiresAt: T0 + DAY }, { maxMessages: 10, maxBytes: 1 << 20 });
      const holding = async () => (await filesUnder(dataDir)).filter((f) => f.bytes.includes(marker)).map((f) => f.path);
      return { dataDir, store, blobs, owner, mailboxId, messageId, marker, holding };
    }

    // 300 bytes sits in the table's page; 3000 spills onto an overflow page as well.
    for (const len of [300, 3000]) {
      it(`an acknowledged ${len}-byte envelope is in no file once the ack returned`, async () => {
        const { store, mailboxId, messageId, holding } = await setup(len);
        try {
          expect(await holding()).toEqual([join(dir, 'data', `${SQLITE_FILE}-wal`)]);
          expect(await store.ackMessages(mailboxId, [messageId])).toBe(1);
          expect(await holding()).toEqual([]);
        } finally {
          await store.close();
        }
      });
    }

    it('when another connection blocks the checkpoint at the ack, the next sweep removes the bytes', async () => {
      const { dataDir, store, blobs, mailboxId, messageId, holding } = await setup(3000);
      // A reader holding its snapshot (a backup, an operator's sqlite3 shell) keeps the WAL alive.
      const reader = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
      const sweeper = startSweeper({ store, blobs, intervalMs: 2 ** 31 - 1, now: () => T0, log: () => {} });
      try {
        await sweeper.sweepNow();
        reader.prepare('BEGIN').run();
        reader.prepare('SELECT count(*) FROM messages').get();
        expect(await store.ackMessages(mailboxId, [messageId])).toBe(1); // returns at once: no wait on the reader
        expect((await holding()).length).toBeGreaterThan(0);
        reader.prepare('COMMIT').run();
        await sweeper.sweepNow();
        expect(await holding()).toEqual([]);
      } finally {
        await sweeper.stop();
        reader.close();
        await store.close();
      }
    });

    it('an expired envelope is in no file after the sweep that deletes it', async () => {
      const { dataDir, store, blobs, holding } = await setup(3000);
      const sweeper = startSweeper({ store, blobs, intervalMs: 2 ** 31 - 1, now: () => T0 + DAY, log: () => {} });
      try {
        await sweeper.sweepNow();
        expect(await holding()).toEqual([]);
        expect(existsSync(join(dataDir, `${SQLITE_FILE}-wal`)) ? (await stat(join(dataDir, `${SQLITE_FILE}-wal`))).size : 0).toBe(0);
      } finally {
        await sweeper.stop();
        await store.close();
      }
    });

    it("a deleted blob's bytes are in no file: the blob file is unlinked", async () => {
      const { dataDir, store, blobs } = await setup(300);
      try {
        const marker = Buffer.from(rnd(64));
        const blobId = rnd(BLOB_ID_LEN);
        const bytes = rnd(200_000);
        bytes.set(marker, 150_000);
        const deleteTokenHash = rnd(32);
        await store.createBlob({ blobId, deleteTokenHash, createdAt: T0, expiresAt: T0 + DAY });
        await blobs.write(blobId, new Blob([bytes]).stream(), 1 << 20);
        const hold = async () => (await filesUnder(dataDir)).filter((f) => f.bytes.includes(marker)).map((f) => f.path);
        expect(await hold()).toContain(join(dataDir, 'blobs', blobFileName(blobId)));
        expect(await store.deleteBlob(blobId, deleteTokenHash)).toBe(true);
        await blobs.delete(blobId);
        expect(await hold()).toEqual([]);
      } finally {
        await store.close();
      }
    });
  });

  it('keeps an acknowledged send through kill -9 of the process right after the ack', async () => {
    const file = join(dir, SQLITE_FILE);
    const { mailboxId } = await seed(file);
    const messageId = rnd(16);
    const envelope = rnd(1024);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./_durability-child.ts', import.meta.url)), dir, hex(mailboxId), hex(messageId), hex(envelope)],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const seq = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /acked (\d+)\n/.exec(out);
        if (m) {
          child.kill('SIGKILL'); // at once: no close, no checkpoint, no exit handlers
          resolve(Number(m[1]));
        }
      });
      child.on('exit', () => reject(new Error(`child exited before acking: ${stderr}`)));
    });
    expect((await exited).signal).toBe('SIGKILL');
    // The child died holding the database: its committed write lives only in the WAL.
    expect(existsSync(`${file}-wal`)).toBe(true);

    const store = await openSqliteStore(file);
    const listed = await store.listMessages(mailboxId, { after: 0, limit: 10, now: 0 });
    expect(listed.map((m) => ({ seq: m.seq, id: hex(m.messageId), envelope: hex(m.envelope) }))).toEqual([
      { seq, id: hex(messageId), envelope: hex(envelope) },
    ]);
    await store.close();
  });

  describe('blob files', () => {
    it('names a blob file by the hex of its 16 id bytes only, even when those bytes spell a path', async () => {
      const blobs = await FileBlobStore.open(join(dir, 'blobs'));
      const hostile = new TextEncoder().encode('../../etc/passwd');
      expect(hostile.length).toBe(BLOB_ID_LEN);
      expect(blobFileName(hostile)).toBe(Buffer.from(hostile).toString('hex'));
      expect(blobFileName(hostile)).toMatch(/^[0-9a-f]{32}$/);
      await blobs.write(hostile, new Blob([new Uint8Array([1, 2, 3])]).stream(), 10);
      expect(await readdir(join(dir, 'blobs'))).toEqual([Buffer.from(hostile).toString('hex')]);
      expect((await readdir(dir)).sort()).toEqual(['blobs']);
      for (let i = 0; i < 20; i++) expect(blobFileName(rnd(BLOB_ID_LEN))).toMatch(/^[0-9a-f]{32}$/);
    });

    it('refuses ids that are not exactly 16 bytes, and strings', async () => {
      const blobs = await FileBlobStore.open(join(dir, 'blobs'));
      for (const bad of [rnd(15), rnd(17), new Uint8Array(0)]) {
        await expect(blobs.read(bad)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
        await expect(blobs.write(bad, new Blob([]).stream(), 10)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
        await expect(blobs.delete(bad)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
      }
      const asString = '../../etc/passwd' as unknown as Uint8Array;
      await expect(blobs.read(asString)).rejects.toSatisfy((e) => ConfidantError.is(e, 'invalid_argument'));
      expect(await readdir(join(dir, 'blobs'))).toEqual([]);
    });

    it('leaves no file behind, temporary or final, when an upload goes over maxBytes', async () => {
      const blobs = await FileBlobStore.open(join(dir, 'blobs'));
      const big = new Blob([rnd(200_000)]).stream();
      await expect(blobs.write(rnd(BLOB_ID_LEN), big, 100_000)).rejects.toSatisfy((e) => ConfidantError.is(e, 'too_large'));
      expect(await readdir(join(dir, 'blobs'))).toEqual([]);
    });

    it('writes blob files readable by the relay user only', async () => {
      const blobs = await FileBlobStore.open(join(dir, 'blobs'));
      const id = rnd(BLOB_ID_LEN);
      await blobs.write(id, new Blob([rnd(10)]).stream(), 10);
      expect((await stat(join(dir, 'blobs', blobFileName(id)))).mode & 0o077).toBe(0);
    });

    it('removes temporary files a crash left behind when it opens, keeping finished blobs', async () => {
      const folder = join(dir, 'blobs');
      const blobs = await FileBlobStore.open(folder);
      const id = rnd(BLOB_ID_LEN);
      await blobs.write(id, new Blob([rnd(10)]).stream(), 10);
      await writeFile(join(folder, `${blobFileName(rnd(BLOB_ID_LEN))}.0011223344556677.tmp`), rnd(100));
      await FileBlobStore.open(folder);
      expect(await readdir(folder)).toEqual([blobFileName(id)]);
    });
  });
});
