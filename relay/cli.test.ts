import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fromBase64url } from '../shared/encoding.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret } from '../shared/keys.ts';
import { toBase64url } from '../shared/encoding.ts';
import { signRequest } from '../shared/request-auth.ts';
import { createApp } from './app.ts';
import { openStore } from './storage/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);
const DAY = 24 * 60 * 60 * 1000;

const cli = (dataDir: string, ...args: string[]) =>
  run(TSX, [join(ROOT, 'relay', 'cli.ts'), ...args], { env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' } });

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A data directory as `npm start` leaves it: the store opened and migrated there, then closed. */
async function startedDataDir(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'confidant-cli-'));
  dirs.push(dataDir);
  const { store } = await openStore({ dataDir });
  await store.migrate();
  await store.close();
  return dataDir;
}

async function registerWith(dataDir: string, code: Uint8Array, now: number) {
  const { store } = await openStore({ dataDir });
  try {
    const id = await deriveIdentity(generateRootSecret());
    const p = id.publicIdentity;
    return await store.registerTherapist(
      { signingKey: p.signingKey, agreementKey: p.agreementKey, identity: encodePublicIdentity(p), kind: 'therapist', createdAt: now },
      new Uint8Array(createHash('sha256').update(code).digest()),
      now,
    );
  } finally {
    await store.close();
  }
}

describe('relay CLI mint-code', () => {
  it('prints a 32-byte base64url code whose hash is stored once, with a 7-day default expiry', async () => {
    const dataDir = await startedDataDir();
    const { stdout } = await cli(dataDir, 'mint-code');
    const text = stdout.trim();
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const code = fromBase64url(text, 32);
    expect(await registerWith(dataDir, code, Date.now() + 7 * DAY + 60_000)).toBe('code_invalid');
    expect(await registerWith(dataDir, code, Date.now())).toBe('created');
    expect(await registerWith(dataDir, code, Date.now())).toBe('code_invalid');
  }, 30_000);

  it('prints a code that registers a therapist through POST /v1/accounts/therapist once', async () => {
    const dataDir = await startedDataDir();
    const code = (await cli(dataDir, 'mint-code')).stdout.trim();
    const { store, blobs } = await openStore({ dataDir });
    try {
      const app = createApp({ store, blobs });
      const register = async () => {
        const id = await deriveIdentity(generateRootSecret());
        const body = JSON.stringify({ identity: toBase64url(encodePublicIdentity(id.publicIdentity)), registrationCode: code });
        const path = '/v1/accounts/therapist';
        const headers = await signRequest(id, { method: 'POST', path, body: new TextEncoder().encode(body) });
        return app.request(path, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } });
      };
      expect((await register()).status).toBe(201);
      expect((await register()).status).toBe(403);
    } finally {
      await store.close();
    }
  }, 30_000);

  it('honours --days and refuses bad arguments without storing anything', async () => {
    const dataDir = await startedDataDir();
    const code = fromBase64url((await cli(dataDir, 'mint-code', '--days', '1')).stdout.trim(), 32);
    expect(await registerWith(dataDir, code, Date.now() + DAY + 60_000)).toBe('code_invalid');
    await expect(cli(dataDir, 'mint-code', '--days', '0')).rejects.toMatchObject({ code: 2 });
    await expect(cli(dataDir, 'mint-code', '--days')).rejects.toMatchObject({ code: 2 });
    await expect(cli(dataDir, 'nope')).rejects.toMatchObject({ code: 2 });
  }, 30_000);

  it('refuses a data directory no relay has initialised, names the directory it looked in, and creates nothing (issue 9, item 15)', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'confidant-cli-cwd-'));
    dirs.push(cwd);
    // As a newcomer would: the relay was started with DATA_DIR elsewhere, mint-code run without it.
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '' };
    delete env['DATA_DIR'];
    const failed = await run(TSX, [join(ROOT, 'relay', 'cli.ts'), 'mint-code'], { cwd, env }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toContain(join(await realpath(cwd), 'data'));
    expect(failed?.stderr).toContain('DATA_DIR');
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    // A DATA_DIR that does not exist (a typo) is refused the same way.
    const typo = join(cwd, 'srv-confidant');
    await expect(cli(typo, 'mint-code')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(typo) });
    expect(existsSync(typo)).toBe(false);
  }, 30_000);

  it('mints into the DATA_DIR the relay was started with and says which directory it used', async () => {
    const dataDir = await startedDataDir();
    const { stdout, stderr } = await cli(dataDir, 'mint-code');
    expect(stderr).toContain(dataDir);
    const code = fromBase64url(stdout.trim(), 32);
    expect(await registerWith(dataDir, code, Date.now())).toBe('created');
  }, 30_000);
});
