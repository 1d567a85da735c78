/**
 * Operator CLI: `npm run relay -- <command>`, against the store under DATA_DIR (default ./data,
 * relative to the current directory) or DATABASE_URL, the same choice `npm start` makes. Give it
 * the same DATA_DIR (or DATABASE_URL) the relay runs with.
 *
 *   mint-code [--days N]   print a fresh one-time registration code for a therapist account
 *                          (32 random bytes, base64url); only its SHA-256 is stored, valid N
 *                          days (default 7, at most 365).
 *
 * On SQLite it refuses (exit 1, nothing created) a data directory where no relay has started
 * (no relay.sqlite): a code minted there would be one the running relay calls invalid (issue 9).
 * It says on stderr which directory or database it used.
 *
 * Does not: list or recover codes (the relay never holds them), or print anything else on stdout.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { toBase64url } from '../shared/encoding.ts';
import { dataDirFromEnv } from './data-dir.ts';
import { REGISTRATION_CODE_DEFAULT_DAYS, REGISTRATION_CODE_MAX_DAYS } from './limits.ts';
import { sha256 } from './secret-hash.ts';
import { openStore } from './storage/index.ts';
import { SQLITE_FILE } from './storage/sqlite/index.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const USAGE = 'usage: npm run relay -- mint-code [--days N]';

const die = (message: string): never => {
  console.error(`relay: ${message}\n${USAGE}`);
  process.exit(2);
};

function parseDays(args: readonly string[]): number {
  if (args.length === 0) return REGISTRATION_CODE_DEFAULT_DAYS;
  if (args.length !== 2 || args[0] !== '--days') return die(`unexpected arguments: ${args.join(' ')}`);
  const raw = args[1] ?? '';
  const days = Number(raw);
  if (!/^\d+$/.test(raw) || days < 1 || days > REGISTRATION_CODE_MAX_DAYS) return die(`--days must be an integer 1..${REGISTRATION_CODE_MAX_DAYS}`);
  return days;
}

async function mintCode(args: readonly string[]): Promise<void> {
  const days = parseDays(args);
  const code = randomBytes(32);
  const hash = sha256(code);
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const dataDir = dataDirFromEnv();
  if (databaseUrl === undefined && !existsSync(join(dataDir, SQLITE_FILE))) {
    console.error(
      `relay: no relay data in ${dataDir} (no ${SQLITE_FILE}); nothing minted.\n` +
        'Run this with the DATA_DIR the relay was started with (DATA_DIR=/path npm run relay -- mint-code),\n' +
        'or start the relay once (npm start) to create it.',
    );
    process.exit(1);
  }
  const where = databaseUrl === undefined ? `the data directory ${dataDir}` : 'the PostgreSQL database of DATABASE_URL';
  const { store } = await openStore({ dataDir, databaseUrl });
  try {
    await store.migrate();
    const now = Date.now();
    await store.addRegistrationCode(hash, now, now + days * DAY_MS);
  } finally {
    await store.close();
  }
  process.stdout.write(`${toBase64url(code)}\n`);
  console.error(`relay: registration code stored in ${where}, valid for ${days} day${days === 1 ? '' : 's'}; it is shown once`);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'mint-code':
    await mintCode(rest);
    break;
  default:
    die(command === undefined ? 'missing command' : `unknown command ${command}`);
}
