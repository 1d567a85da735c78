/**
 * Operator CLI: `npm run relay -- <command>`, against the store under DATA_DIR (default ./data)
 * or DATABASE_URL, the same choice `npm start` makes.
 *
 *   mint-code [--days N]   print a fresh one-time registration code for a therapist account
 *                          (32 random bytes, base64url); only its SHA-256 is stored, valid N
 *                          days (default 7, at most 365).
 *
 * Does not: list or recover codes (the relay never holds them), or print anything else on stdout.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { toBase64url } from '../shared/encoding.ts';
import { openStore } from './storage/index.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_DAYS = 7;
const MAX_DAYS = 365;
const USAGE = 'usage: npm run relay -- mint-code [--days N]';

const die = (message: string): never => {
  console.error(`relay: ${message}\n${USAGE}`);
  process.exit(2);
};

function parseDays(args: readonly string[]): number {
  if (args.length === 0) return DEFAULT_DAYS;
  if (args.length !== 2 || args[0] !== '--days') return die(`unexpected arguments: ${args.join(' ')}`);
  const raw = args[1] ?? '';
  const days = Number(raw);
  if (!/^\d+$/.test(raw) || days < 1 || days > MAX_DAYS) return die(`--days must be an integer 1..${MAX_DAYS}`);
  return days;
}

async function mintCode(args: readonly string[]): Promise<void> {
  const days = parseDays(args);
  const code = randomBytes(32);
  const hash = new Uint8Array(createHash('sha256').update(code).digest());
  const { store } = await openStore({ dataDir: resolve(process.env.DATA_DIR || 'data'), databaseUrl: process.env.DATABASE_URL });
  try {
    await store.migrate();
    const now = Date.now();
    await store.addRegistrationCode(hash, now, now + days * DAY_MS);
  } finally {
    await store.close();
  }
  process.stdout.write(`${toBase64url(code)}\n`);
  console.error(`relay: registration code valid for ${days} day${days === 1 ? '' : 's'}; it is shown once`);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'mint-code':
    await mintCode(rest);
    break;
  default:
    die(command === undefined ? 'missing command' : `unknown command ${command}`);
}
