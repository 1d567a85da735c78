/**
 * The real relay for end-to-end tests: `node --import tsx relay/start.ts` as a child process
 * (so its pid is the server itself) on a kernel-chosen loopback port (PORT=0; the port is read
 * from the `relay listening on http://…` line) with a fresh temp DATA_DIR. Everything it
 * prints goes to `relay.log` in the temp folder, which the leak scanner (leaks.ts) reads with
 * the SQLite files and the blob folder. It serves whatever `npm run build` left in dist/
 * (`requireBuiltClient()` says so clearly when there is nothing there).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForHealthz, waitForListening } from '../../relay/testing/child-relay.ts';
import { DIST_DIR, REPO_ROOT } from './paths.ts';

/** File name of the relay's database under DATA_DIR (relay/storage/sqlite/index.ts SQLITE_FILE). */
const SQLITE_FILE = 'relay.sqlite';
/** Blob folder under DATA_DIR (relay/storage/index.ts). */
const BLOB_DIR = 'blobs';
/** After SIGTERM the relay closes its server and store; past this it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;

export interface StartRelayOptions {
  /** Reuse a DATA_DIR (e.g. a restart on the same data); default: a fresh one in the temp folder. */
  readonly dataDir?: string;
  /** The built client the relay serves (CLIENT_DIR); default dist/ (`npm run build`). */
  readonly clientDir?: string;
  /** Extra environment for the relay (PORT, HOST, DATA_DIR, CLIENT_DIR and DATABASE_URL are set here). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Relay {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly base: string;
  readonly port: number;
  /** The temp folder holding `data/` (unless a dataDir was given) and `relay.log`. */
  readonly tempDir: string;
  readonly dataDir: string;
  /** Everything the relay wrote to stdout and stderr, appended as it arrives. */
  readonly logPath: string;
  /** `DATA_DIR/relay.sqlite`; the -wal and -shm files sit beside it while the relay runs. */
  readonly sqlitePath: string;
  readonly blobDir: string;
  readonly child: ChildProcess;
  /** stdout + stderr so far (the same text as the log file), for failure messages. */
  output(): string;
  /** The relay's JSON request log lines parsed (lines that are not JSON are left out). */
  requestLog(): Record<string, unknown>[];
  /** The SQLite files that exist now: relay.sqlite and any relay.sqlite-wal / -shm / -journal. */
  sqliteFiles(): Promise<string[]>;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited and the log is flushed. Idempotent. */
  stop(): Promise<void>;
  /** stop(), then delete the temp folder. */
  dispose(): Promise<void>;
}

/** Throws, saying what to run, unless `npm run build` has written the client to `dir`. */
export function requireBuiltClient(dir: string = DIST_DIR): void {
  if (!existsSync(join(dir, 'index.html')) || !existsSync(join(dir, 'sw.js'))) {
    throw new Error(`no built client in ${dir} (index.html and sw.js): run \`npm run build\` before the end-to-end tests (npm run test:e2e does)`);
  }
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));

const closeStream = (s: WriteStream): Promise<void> =>
  s.closed ? Promise.resolve() : new Promise((r) => s.end(() => r()));

/** Start the relay; resolves once it listens and GET /healthz answers 200. */
export async function startRelay(options: StartRelayOptions = {}): Promise<Relay> {
  const tempDir = await mkdtemp(join(tmpdir(), 'confidant-e2e-relay-'));
  const dataDir = options.dataDir ?? join(tempDir, 'data');
  const logPath = join(tempDir, 'relay.log');
  const log = createWriteStream(logPath, { flags: 'a' });

  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'relay', 'start.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...options.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      CLIENT_DIR: options.clientDir ?? DIST_DIR,
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const take = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    log.write(chunk);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const streamsDone = Promise.all([
    new Promise((r) => child.stdout!.once('close', r)),
    new Promise((r) => child.stderr!.once('close', r)),
  ]);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited(child);
        clearTimeout(timer);
      }
      await streamsDone;
      await closeStream(log);
    })());

  let base: string;
  try {
    base = await waitForListening(child, () => out);
    await waitForHealthz(base, () => out);
  } catch (e) {
    await stop();
    throw e;
  }

  const sqlitePath = join(dataDir, SQLITE_FILE);
  return {
    base,
    port: Number(new URL(base).port),
    tempDir,
    dataDir,
    logPath,
    sqlitePath,
    blobDir: join(dataDir, BLOB_DIR),
    child,
    output: () => out,
    requestLog: () =>
      out.split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    sqliteFiles: async () => {
      const names = await readdir(dataDir).catch(() => [] as string[]);
      const files = names.filter((n) => n === SQLITE_FILE || n.startsWith(`${SQLITE_FILE}-`)).map((n) => join(dataDir, n));
      const present: string[] = [];
      for (const f of files) if ((await stat(f).catch(() => undefined))?.isFile()) present.push(f);
      return present.sort();
    },
    stop,
    dispose: async () => {
      await stop();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
}

