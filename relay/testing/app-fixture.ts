/**
 * Test fixture: the real app over a real SQLite store and blob folder in a temp dir, a clock the
 * test controls, and helpers that sign requests with shared's `signRequest` and register
 * accounts through the real routes. `close()` removes everything.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Hono } from 'hono';
import { toBase64url } from '../../shared/encoding.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret, type Identity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import { createApp, type AppDeps } from '../app.ts';
import type { RelayEnv } from '../context.ts';
import { openStore } from '../storage/index.ts';
import { SQLITE_FILE } from '../storage/sqlite/index.ts';
import type { BlobStore, Store } from '../storage/types.ts';

export const FIXTURE_NOW = 1_800_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

export interface SendOptions {
  readonly body?: string | Uint8Array;
  readonly contentType?: string | null;
  /** Sign these bytes instead of the body sent (a body changed after signing). */
  readonly signedBody?: Uint8Array;
  /** Sign at this time instead of the fixture clock. */
  readonly time?: number;
  /** Send without signature headers. */
  readonly unsigned?: boolean;
}

export interface AppFixture {
  app: Hono<RelayEnv>;
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly dataDir: string;
  /** The fixture clock; tests may move it. */
  now: number;
  newIdentity(): Promise<Identity>;
  /** A signed request (JSON content type when a body is given). */
  send(who: Identity | undefined, method: string, path: string, options?: SendOptions): Promise<Response>;
  /** Mint a registration code straight into the store; returns the code text. */
  mintCode(expiresInMs?: number): Promise<string>;
  /** A registered therapist (through POST /v1/accounts/therapist). */
  therapist(): Promise<Identity>;
  /** A registered client invited by `therapist` (through POST /v1/invites and /v1/accounts/client). */
  client(therapist: Identity): Promise<Identity>;
  /**
   * Rows per table, read straight from the SQLite file. `nonces` is left out: a request whose
   * signature verified is remembered even when the route then refuses it (replay protection).
   */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

const enc = new TextEncoder();
export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());
export const identityB64 = (id: Identity): string => toBase64url(encodePublicIdentity(id.publicIdentity));

/**
 * With `databaseUrl` the store is PostgreSQL (`counts()` then throws: it reads the SQLite file).
 * `deps` overrides message expiry and mailbox quota.
 */
export async function appFixture(
  options: { databaseUrl?: string; deps?: Pick<AppDeps, 'messageTtlMs' | 'mailboxQuota' | 'blobMaxBytes' | 'blobTtlMs'> } = {},
): Promise<AppFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'confidant-relay-'));
  const { store, blobs } = await openStore({ dataDir, databaseUrl: options.databaseUrl });
  await store.migrate();
  const fx: AppFixture = {
    app: undefined as unknown as Hono<RelayEnv>,
    store,
    blobs,
    dataDir,
    now: FIXTURE_NOW,
    newIdentity: () => deriveIdentity(generateRootSecret()),
    async send(who, method, path, options = {}) {
      const raw = options.body === undefined ? undefined : typeof options.body === 'string' ? enc.encode(options.body) : options.body;
      const headers: Record<string, string> = {};
      if (raw !== undefined && options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
      if (who && !options.unsigned) {
        Object.assign(
          headers,
          await signRequest(who, { method, path, body: options.signedBody ?? raw ?? new Uint8Array(0) }, { now: options.time ?? fx.now }),
        );
      }
      return fx.app.request(path, { method, headers, ...(raw === undefined ? {} : { body: raw as Uint8Array<ArrayBuffer> }) });
    },
    async mintCode(expiresInMs = 7 * DAY) {
      const code = randomBytes(32);
      await store.addRegistrationCode(sha256(code), fx.now, fx.now + expiresInMs);
      return toBase64url(code);
    },
    async therapist() {
      const id = await fx.newIdentity();
      const res = await fx.send(id, 'POST', '/v1/accounts/therapist', {
        body: JSON.stringify({ identity: identityB64(id), registrationCode: await fx.mintCode() }),
      });
      if (res.status !== 201) throw new Error(`fixture: therapist registration answered ${res.status}`);
      return id;
    },
    async client(therapist) {
      const secret = randomBytes(32);
      const invited = await fx.send(therapist, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: toBase64url(sha256(secret)) }) });
      if (invited.status !== 201) throw new Error(`fixture: invite answered ${invited.status}`);
      const id = await fx.newIdentity();
      const res = await fx.send(id, 'POST', '/v1/accounts/client', {
        body: JSON.stringify({ identity: identityB64(id), invite: toBase64url(secret) }),
      });
      if (res.status !== 201) throw new Error(`fixture: client registration answered ${res.status}`);
      return id;
    },
    counts() {
      if (store.kind !== 'sqlite') throw new Error('fixture: counts() reads the SQLite file only');
      const db = new Database(join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true });
      try {
        const tables = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'nonces' ORDER BY name")
          .all() as { name: string }[];
        const out: Record<string, number> = {};
        for (const { name } of tables) out[name] = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
        // Used marks change without changing counts: include them.
        out['registration_codes_used'] = (db.prepare('SELECT count(*) AS n FROM registration_codes WHERE used_at IS NOT NULL').get() as { n: number }).n;
        out['invites_used'] = (db.prepare('SELECT count(*) AS n FROM invites WHERE used_at IS NOT NULL').get() as { n: number }).n;
        return out;
      } finally {
        db.close();
      }
    },
    async close() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  fx.app = createApp({ store, blobs, now: () => fx.now, ...options.deps });
  return fx;
}
