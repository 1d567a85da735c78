/**
 * Where the relay's send path spends its time: serves the real relay (as relay.bench.ts does:
 * SQLite in a temp DATA_DIR, limits out of the way) on a loopback port and loads
 * `POST /v1/messages` with 1 KiB sealed envelopes from autocannon in a child process, so that a
 * profile of this process holds only the relay. Run it under `--cpu-prof` and read the profile
 * with Chrome DevTools or any .cpuprofile viewer; the request rate is printed on stderr.
 * Not part of `npm run bench`.
 *
 * Usage: TMPDIR=/dev/shm node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-relay.ts [seconds]
 * (a tmpfs DATA_DIR takes fsync out of the picture, leaving the CPU cost).
 *
 * `bench/profile-relay.ts serve` only serves, printing `{ url, capability, bodyFile }` as one
 * JSON line, until SIGTERM: bench/ab-relay.ts loads two checkouts' relays side by side with it.
 * @module
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toBase64url } from '../shared/encoding.ts';
import { appFixture, onRealClock } from '../relay/testing/app-fixture.ts';
import { mailboxWithCapability, seal } from '../relay/testing/mailbox-helpers.ts';
import { log } from './_harness.ts';
import { cannon, serveLoopback } from './_relay.ts';

const [mode = '10', ...rest] = process.argv.slice(2);

if (mode === 'load') {
  // The child: autocannon against the parent's relay, a fresh message id per request.
  const [url, capability, bodyFile, seconds] = rest as [string, string, string, string];
  const body = await readFile(bodyFile);
  const id = randomBytes(16);
  let n = 0;
  const headers = { 'content-type': 'application/octet-stream', 'confidant-capability': capability };
  const rate = await cannon(
    url,
    [{ method: 'POST', path: '/v1/messages', headers, body, setupRequest: (req) => {
      id.writeUInt32BE(++n, 12);
      return { ...req, headers: { ...headers, 'confidant-message-id': toBase64url(id) } };
    } }],
    Number(seconds),
  );
  log(`relay send: ${rate.toFixed(0)} req/s`);
} else {
  const seconds = mode === 'serve' ? 0 : Number(mode);
  const fx = onRealClock(await appFixture(), { mailboxQuota: { maxMessages: 1e9, maxBytes: 1e15 } });
  const served = await serveLoopback(fx.app.fetch);
  const owner = await fx.therapist();
  const mailbox = await mailboxWithCapability(fx, owner);
  const envelope = await seal(await fx.newIdentity(), owner, mailbox.id, randomBytes(900));
  const bodyFile = join(fx.dataDir, 'envelope.bin');
  await writeFile(bodyFile, envelope);
  if (mode === 'serve') {
    process.stdout.write(JSON.stringify({ url: served.url, capability: mailbox.capability, bodyFile }) + '\n');
    await new Promise((resolve) => process.once('SIGTERM', resolve));
    await served.close();
    await fx.close();
    process.exit(0);
  }
  // No --cpu-prof for the child: only this process is profiled.
  const child = fork(fileURLToPath(import.meta.url), ['load', served.url, mailbox.capability, bodyFile, String(seconds)], {
    execArgv: ['--import', 'tsx'],
  });
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load child exited ${code}`))));
  });
  await served.close();
  await fx.close();
}
