/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temp dir, `pg_ctl start` on a free
 * loopback port with its socket in the same dir, and `stop()` tears it all down. The binaries
 * come from Debian's `postgresql` package, which `.ci/system-deps` installs before `npm test`.
 *
 * The tests never skip when PostgreSQL is missing: `startPostgresCluster` fails with a message
 * naming the package (relay issue: "the whole conformance suite must run against PostgreSQL").
 *
 * Running as root (CI containers): initdb and postgres refuse to run as root, so every command
 * runs as the `postgres` user that Debian's package creates (or, when it is absent, a dedicated
 * system user this module creates), and the temp dir is handed to that user.
 *
 * Not for production use: `--auth=trust` on 127.0.0.1 and a socket in a private temp dir.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/** Debian package that provides initdb and pg_ctl (named in every "not found" error). */
const DEBIAN_PACKAGE = 'postgresql';
/** System user the commands run as when we are root; Debian's package creates it. */
const DEBIAN_USER = 'postgres';
/** Created with `useradd --system` when running as root and DEBIAN_USER does not exist. */
const FALLBACK_USER = 'confidant-pg';
/** pg_ctl gets a few tries: a "free" port can be taken by a parallel test file before we bind. */
const START_ATTEMPTS = 3;

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: the maintenance database. */
  readonly databaseUrl: string;
  readonly port: number;
  /** Server major version, e.g. 15. */
  readonly version: number;
  /** The cluster's data directory (PGDATA): what the server writes to disk, WAL included. */
  readonly dataDir: string;
  /** Creates an empty database and returns its URL. Names are `[a-z0-9_]+`. */
  createDatabase(name: string): Promise<string>;
  /**
   * Stops the server (`pg_ctl stop -m fast`: sessions are ended with 57P01) and keeps its data,
   * so a test can see the relay with its store gone; `restart()` brings it back on the same port.
   */
  pause(): Promise<void>;
  /** Starts a paused server again with the same data, port and settings. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`, then removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

interface Binaries {
  readonly dir: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly version: number;
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const versionOf = (initdb: string): number => {
  const out = spawnSync(initdb, ['--version'], { encoding: 'utf8' });
  const match = /(\d+)(?:\.\d+)?/.exec(out.stdout ?? '');
  if (out.status !== 0 || !match) throw new Error(`postgres-cluster: cannot run ${initdb} --version`);
  return Number(match[1]);
};

/**
 * initdb and pg_ctl from one directory: PATH first, then the highest /usr/lib/postgresql/N/bin
 * (where Debian puts them, off PATH). Throws, naming the package, when there are none.
 */
export const findPostgresBinaries = (
  searchPath: string = process.env.PATH ?? '',
  debianRoot: string = '/usr/lib/postgresql',
): Binaries => {
  const candidates: string[] = searchPath.split(delimiter).filter(Boolean);
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    candidates.push(...versions.map((v) => join(debianRoot, v, 'bin')));
  }
  for (const dir of candidates) {
    const initdb = join(dir, 'initdb');
    const pgCtl = join(dir, 'pg_ctl');
    if (isExecutable(initdb) && isExecutable(pgCtl)) {
      return { dir, initdb, pgCtl, version: versionOf(initdb) };
    }
  }
  throw new Error(
    'postgres-cluster: PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under ' +
      `${debianRoot}/*/bin. Install the Debian package \`${DEBIAN_PACKAGE}\` ` +
      `(apt-get install -y ${DEBIAN_PACKAGE}; \`bash .ci/system-deps\` does it when run as root).`,
  );
};

const userIds = (name: string): { uid: number; gid: number } | undefined => {
  const out = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (out.status !== 0) return undefined;
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return { uid: Number(out.stdout.trim()), gid: Number(gid.stdout.trim()) };
};

/** The unprivileged user to run as when we are root; undefined when we are not root. */
const serverUser = (): { name: string; uid: number; gid: number } | undefined => {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of [DEBIAN_USER, FALLBACK_USER]) {
    const ids = userIds(name);
    if (ids) return { name, ...ids };
  }
  // Exit code 9 means "already exists": a parallel test file created it first.
  const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', FALLBACK_USER], { encoding: 'utf8' });
  const ids = userIds(FALLBACK_USER);
  if (!ids) {
    throw new Error(
      `postgres-cluster: running as root, and neither user "${DEBIAN_USER}" exists nor could ` +
        `"${FALLBACK_USER}" be created (useradd: ${made.stderr?.trim() || made.error?.message || `exit ${made.status}`}). ` +
        'initdb refuses to run as root; install the Debian package `postgresql`, which creates "postgres".',
    );
  }
  return { name: FALLBACK_USER, ...ids };
};

interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a command (as `user` when given, via runuser) and collects its output. */
const run = (command: string, args: readonly string[], user: string | undefined, cwd: string): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const [file, argv] = user === undefined ? [command, args] : ['runuser', ['-u', user, '--', command, ...args]];
    // A clean environment: no PGDATA/PGPORT/PGHOST from the caller, C locale for initdb.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/** Every cluster this process started, stopped on exit if a test run dies before `stop()`. */
const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

export interface ClusterOptions {
  /** Default 60: enough for one test file's stores; a cluster shared by a whole run needs more. */
  readonly maxConnections?: number;
  /** More `name=value` server settings (no spaces in values). */
  readonly settings?: readonly string[];
}

/**
 * `CREATE DATABASE name` (a copy of `template` when given, which nobody may be connected to)
 * through the maintenance database at `maintenanceUrl`; returns the new database's URL.
 */
export const createDatabaseAt = async (maintenanceUrl: string, name: string, template?: string): Promise<string> => {
  const url = databaseUrlFor(maintenanceUrl, name);
  if (template !== undefined) databaseUrlFor(maintenanceUrl, template);
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`);
  } finally {
    await client.end();
  }
  return url;
};

/** `DROP DATABASE IF EXISTS name WITH (FORCE)`: connections still open to it are ended. */
export const dropDatabaseAt = async (maintenanceUrl: string, name: string): Promise<void> => {
  databaseUrlFor(maintenanceUrl, name);
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
};

/** The URL of database `name` on the server of `maintenanceUrl`. Names are `[a-z0-9_]+`. */
const databaseUrlFor = (maintenanceUrl: string, name: string): string => {
  if (!/^[a-z0-9_]+$/.test(name)) throw new RangeError(`postgres-cluster: database name must be [a-z0-9_]+, got ${JSON.stringify(name)}`);
  const url = new URL(maintenanceUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/**
 * Starts a fresh cluster: about 1–3 s (initdb dominates). Call `stop()` when done; a cluster
 * left running is stopped (`-m immediate`) when the process exits.
 */
export const startPostgresCluster = async (options: ClusterOptions = {}): Promise<PostgresCluster> => {
  const bin = findPostgresBinaries();
  const user = serverUser();
  // As root, /tmp: a TMPDIR under /root would not be reachable for the server's user. It also
  // keeps the socket path short (unix socket paths are limited to ~107 bytes).
  const root = mkdtempSync(join(user ? '/tmp' : tmpdir(), 'confidant-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const removeRoot = (): void => rmSync(root, { recursive: true, force: true });
  try {
    if (user) chownSync(root, user.uid, user.gid);
    const as = user?.name;

    // --no-sync: only initdb's own final flush of the bootstrap files is skipped (a throwaway
    // cluster); the server itself runs with fsync=on, so every commit is really flushed.
    const init = await run(bin.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], as, root);
    if (init.code !== 0) throw new Error(`postgres-cluster: initdb failed (exit ${init.code}):\n${init.output}`);

    const serverOptionsFor = (candidate: number): string =>
      [
        `-k ${root}`,
        '-c listen_addresses=127.0.0.1',
        `-p ${candidate}`,
        '-c fsync=on',
        // Small footprint: several test files run a cluster each, in parallel.
        '-c shared_buffers=16MB',
        `-c max_connections=${options.maxConnections ?? 60}`,
        ...(options.settings ?? []).map((setting) => `-c ${setting}`),
      ].join(' ');
    // -l: the server's output goes to a file, so it never holds our pipes open.
    const startOn = (candidate: number): Promise<RunResult> =>
      run(bin.pgCtl, ['-D', dataDir, '-l', logFile, '-o', serverOptionsFor(candidate), '-w', '-t', '60', 'start'], as, root);
    let port = 0;
    let lastOutput = '';
    for (let attempt = 1; attempt <= START_ATTEMPTS && port === 0; attempt += 1) {
      const candidate = await freePort();
      const start = await startOn(candidate);
      if (start.code === 0) port = candidate;
      else lastOutput = `${start.output}\n${readLog(logFile)}`;
    }
    if (port === 0) throw new Error(`postgres-cluster: pg_ctl start failed ${START_ATTEMPTS} times:\n${lastOutput}`);

    const stopNow = (): void => {
      const stop = [bin.pgCtl, '-D', dataDir, 'stop', '-m', 'immediate'];
      const [file, ...args] = user ? ['runuser', '-u', user.name, '--', ...stop] : stop;
      spawnSync(file!, args, { cwd: root, stdio: 'ignore' });
      removeRoot();
    };
    live.add(stopNow);

    let stopped: Promise<void> | undefined;
    let paused = false;
    const databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      databaseUrl,
      port,
      version: bin.version,
      dataDir,
      createDatabase: (name) => createDatabaseAt(databaseUrl, name),
      pause: async () => {
        paused = true;
        const result = await run(bin.pgCtl, ['-D', dataDir, 'stop', '-m', 'fast', '-w'], as, root);
        if (result.code !== 0) throw new Error(`postgres-cluster: pg_ctl stop failed (exit ${result.code}):\n${result.output}`);
      },
      restart: async () => {
        const result = await startOn(port);
        if (result.code !== 0) throw new Error(`postgres-cluster: pg_ctl start failed (exit ${result.code}):\n${result.output}\n${readLog(logFile)}`);
        paused = false;
      },
      stop: () => {
        stopped ??= (async () => {
          live.delete(stopNow);
          // A paused server is down already: only its files remain to go.
          const result = paused ? { code: 0, output: '' } : await run(bin.pgCtl, ['-D', dataDir, 'stop', '-m', 'fast', '-w'], as, root);
          removeRoot();
          if (result.code !== 0) throw new Error(`postgres-cluster: pg_ctl stop failed (exit ${result.code}):\n${result.output}`);
        })();
        return stopped;
      },
    };
  } catch (err) {
    removeRoot();
    throw err;
  }
};

/** The last lines of the server log, for error messages. */
const readLog = (path: string): string => {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
};
