/**
 * Durability (issue 4, Storage): an acknowledged send survives `kill -9` of the relay right
 * after the response. The relay runs as a real child process (node with tsx, so the pid is the
 * server itself), on a temp DATA_DIR, over real HTTP; each round sends one sealed envelope,
 * SIGKILLs the relay the moment the 201 arrives, restarts it on the same DATA_DIR and checks
 * that every acknowledged envelope is there with its exact bytes.
 * @module
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64url } from '../shared/encoding.ts';
import { deriveIdentity, encodePublicIdentity, generateRootSecret, type Identity } from '../shared/keys.ts';
import { signRequest } from '../shared/request-auth.ts';
import { waitForHealthz, waitForListening } from './testing/child-relay.ts';
import { seal } from './testing/mailbox-helpers.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);
const ROUNDS = 5;

interface Relay {
  readonly child: ChildProcess;
  readonly base: string;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
}

const children = new Set<ChildProcess>();
let dataDir: string;

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));

/** Start `node --import tsx relay/start.ts` on a kernel-chosen loopback port; resolves once /healthz answers 200. */
async function startRelay(): Promise<Relay> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'relay', 'start.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const output = () => out;

  const base = await waitForListening(child, output);
  await waitForHealthz(base, output);
  return { child, base, output };
}

async function kill9(relay: Relay): Promise<void> {
  relay.child.kill('SIGKILL');
  await exited(relay.child);
}

const enc = new TextEncoder();
const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

/** A request signed by `who` (JSON body when given) over real HTTP. */
async function signed(relay: Relay, who: Identity, method: string, path: string, json?: unknown): Promise<Response> {
  const body = json === undefined ? undefined : enc.encode(JSON.stringify(json));
  const headers: Record<string, string> = await signRequest(who, { method, path, body: body ?? new Uint8Array(0) });
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${relay.base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

async function expectStatus(res: Response, status: number, what: string, relay: Relay): Promise<void> {
  if (res.status !== status) throw new Error(`${what} answered ${res.status} ${await res.text()}:\n${relay.output()}`);
}

interface Page {
  messages: { seq: number; messageId: string; envelope: string; receivedAt: number }[];
  more: boolean;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'confidant-durability-'));
});

afterAll(async () => {
  for (const child of [...children]) {
    child.kill('SIGKILL');
    await exited(child);
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('relay durability', () => {
  it(
    `keeps every acknowledged envelope across ${ROUNDS} kill -9s right after the 201`,
    async () => {
      // The operator mints a code against the DATA_DIR of the running relay (the CLI refuses a
      // directory no relay has set up).
      let relay = await startRelay();
      const minted = await run(TSX, [join(ROOT, 'relay', 'cli.ts'), 'mint-code'], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
      });
      const code = minted.stdout.trim();
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const therapist = await deriveIdentity(generateRootSecret());
      await expectStatus(
        await signed(relay, therapist, 'POST', '/v1/accounts/therapist', {
          identity: toBase64url(encodePublicIdentity(therapist.publicIdentity)),
          registrationCode: code,
        }),
        201,
        'therapist registration',
        relay,
      );
      const mailboxId = randomBytes(16);
      const box = toBase64url(mailboxId);
      await expectStatus(await signed(relay, therapist, 'POST', '/v1/mailboxes', { mailboxId: box }), 201, 'mailbox', relay);
      const capability = randomBytes(32);
      await expectStatus(
        await signed(relay, therapist, 'POST', `/v1/mailboxes/${box}/capabilities`, { capabilityHash: toBase64url(sha256(capability)) }),
        201,
        'capability',
        relay,
      );

      const sent: { messageId: string; envelope: string }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const envelope = await seal(therapist, therapist, mailboxId, enc.encode(`round ${round} ${toBase64url(randomBytes(12))}`));
        const messageId = toBase64url(randomBytes(16));
        const res = await fetch(`${relay.base}/v1/messages`, {
          method: 'POST',
          headers: {
            'content-type': 'application/octet-stream',
            'confidant-message-id': messageId,
            'confidant-capability': toBase64url(capability),
          },
          body: envelope as Uint8Array<ArrayBuffer>,
        });
        // The moment the status line arrives: no graceful shutdown, no chance to flush anything.
        if (res.status === 201) relay.child.kill('SIGKILL');
        await expectStatus(res, 201, `send in round ${round}`, relay);
        await exited(relay.child);
        expect(relay.child.signalCode).toBe('SIGKILL');
        sent.push({ messageId, envelope: toBase64url(envelope) });

        relay = await startRelay();
        const fetched = await signed(relay, therapist, 'GET', `/v1/mailboxes/${box}/messages`);
        await expectStatus(fetched, 200, `fetch after round ${round}`, relay);
        const page = (await fetched.json()) as Page;
        expect(page.more).toBe(false);
        expect(page.messages.map(({ messageId: id, envelope: e }) => ({ messageId: id, envelope: e }))).toEqual(sent);
      }
      await kill9(relay);
    },
    // Six relay starts and a CLI run, each a tsx startup of several seconds on a slow machine.
    600_000,
  );
});
