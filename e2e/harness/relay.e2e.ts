/**
 * The relay harness: a real relay child process on a free loopback port and a temp DATA_DIR,
 * its output captured to a log file, its files where the leak scanner looks, and a clean stop.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from './relay.ts';

const started: Relay[] = [];
const temps: string[] = [];
afterAll(async () => {
  for (const r of started) await r.dispose();
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

const start = async (...args: Parameters<typeof startRelay>): Promise<Relay> => {
  const r = await startRelay(...args);
  started.push(r);
  return r;
};

const healthz = async (relay: Relay): Promise<number> => {
  const res = await fetch(`${relay.base}/healthz`);
  await res.body?.cancel();
  return res.status;
};

describe('startRelay', () => {
  it('starts the real relay on a loopback port, with its SQLite database (WAL) and blob folder under DATA_DIR', async () => {
    const relay = await start();
    expect(relay.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(relay.port).toBeGreaterThan(0);
    expect(await healthz(relay)).toBe(200);
    expect(relay.sqlitePath.startsWith(relay.dataDir)).toBe(true);
    expect((await stat(relay.sqlitePath)).isFile()).toBe(true);
    expect((await stat(relay.blobDir)).isDirectory()).toBe(true);
    const files = await relay.sqliteFiles();
    expect(files).toContain(relay.sqlitePath);
    // WAL mode: the write-ahead log sits beside the database while the relay runs.
    expect(files).toContain(`${relay.sqlitePath}-wal`);
  });

  it('gives two relays running at once their own ports and data folders', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a!.port).not.toBe(b!.port);
    expect(a!.dataDir).not.toBe(b!.dataDir);
    expect(await healthz(a!)).toBe(200);
    expect(await healthz(b!)).toBe(200);
  });

  it('logs to a file, stops on SIGTERM with exit code 0 (idempotently) and keeps its files for inspection', async () => {
    const relay = await start();
    expect(await healthz(relay)).toBe(200);
    await Promise.all([relay.stop(), relay.stop()]);
    expect(relay.child.exitCode).toBe(0);
    await expect(fetch(`${relay.base}/healthz`)).rejects.toThrow();

    const log = await readFile(relay.logPath, 'utf8');
    expect(log).toContain(`relay listening on ${relay.base}`);
    expect(log).toBe(relay.output());
    const lines = relay.requestLog();
    expect(lines).toContainEqual(expect.objectContaining({ method: 'GET', route: '/healthz', status: 200 }));
    expect((await stat(relay.sqlitePath)).isFile()).toBe(true);
  });

  it('restarts on the same DATA_DIR', async () => {
    const first = await start();
    await first.stop();
    const second = await start({ dataDir: first.dataDir });
    expect(second.dataDir).toBe(first.dataDir);
    expect(second.sqlitePath).toBe(first.sqlitePath);
    expect(await healthz(second)).toBe(200);
  });

  it('rejects with the relay output when the relay cannot start', async () => {
    // A DATA_DIR that is a file: the store cannot open and the relay exits 1 before listening.
    const dir = await mkdtemp(join(tmpdir(), 'confidant-e2e-notadir-'));
    temps.push(dir);
    const file = join(dir, 'file');
    await writeFile(file, 'not a folder');
    await expect(startRelay({ dataDir: file })).rejects.toThrow(/exited before listening[\s\S]*cannot open the store/);
  });
});
