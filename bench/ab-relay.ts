/**
 * Before/after for the send path: two checkouts' relays (each `bench/profile-relay.ts serve`, in
 * its own child process, SQLite in a temp DATA_DIR) loaded in turn by the same autocannon settings
 * as relay_send_1k, ABBA-interleaved so machine noise hits both, and the median of the per-round
 * ratios `B / A` printed. Not part of `npm run bench`.
 *
 * Usage: npx tsx bench/ab-relay.ts <checkout A> <checkout B> [rounds] [seconds]
 * (e.g. a `git worktree` of the old commit as A and this tree as B; TMPDIR=/dev/shm for CPU cost)
 * @module
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { toBase64url } from '../shared/encoding.ts';
import { log, median, round3 } from './_harness.ts';
import { cannon } from './_relay.ts';

const [a, b, roundsArg = '10', secondsArg = '3'] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: ab-relay.ts <checkout A> <checkout B> [rounds] [seconds]');
const rounds = Number(roundsArg);
const seconds = Number(secondsArg);

interface Target {
  readonly url: string;
  readonly capability: string;
  readonly body: Buffer;
  stop(): void;
}

function start(dir: string): Promise<Target> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'bench/profile-relay.ts'), 'serve'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        const { url, capability, bodyFile } = JSON.parse(line) as { url: string; capability: string; bodyFile: string };
        void readFile(bodyFile).then((body) => done({ url, capability, body, stop: () => child.kill('SIGTERM') }), reject);
      }
    });
    child.on('error', reject);
  });
}

function send(t: Target, duration: number): Promise<number> {
  const id = randomBytes(16);
  let n = 0;
  const headers = { 'content-type': 'application/octet-stream', 'confidant-capability': t.capability };
  return cannon(
    t.url,
    [{ method: 'POST', path: '/v1/messages', headers, body: t.body, setupRequest: (req) => {
      id.writeUInt32BE(++n, 12);
      return { ...req, headers: { ...headers, 'confidant-message-id': toBase64url(id) } };
    } }],
    duration,
  );
}

const [ta, tb] = await Promise.all([start(resolve(a)), start(resolve(b))]);
try {
  await send(ta, 1);
  await send(tb, 1);
  const ra: number[] = [];
  const rb: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let x: number;
    let y: number;
    if (r % 2 === 0) {
      x = await send(ta, seconds);
      y = await send(tb, seconds);
    } else {
      y = await send(tb, seconds);
      x = await send(ta, seconds);
    }
    ra.push(x);
    rb.push(y);
    ratios.push(y / x);
    log(`round ${r + 1}/${rounds}: A ${round3(x)} B ${round3(y)} req/s (B/A x${round3(y / x)})`);
  }
  process.stdout.write(JSON.stringify({ a: round3(median(ra)), b: round3(median(rb)), ratio: round3(median(ratios)), unit: 'req/s' }) + '\n');
} finally {
  ta.stop();
  tb.stop();
}
