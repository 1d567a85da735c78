/**
 * A Web Push receiver for tests: a node:http server on loopback that plays the push service
 * (RFC 8030), records each push, and answers with the status the test sets. Beside it, the
 * subscription's side of the protocol done independently of `web-push`, with node:crypto only:
 * a fresh P-256 key pair and auth secret per subscription, the VAPID check (RFC 8292: ES256
 * signature by the relay's public key, `aud` the receiver's origin, `exp` within 24 hours) and
 * the aes128gcm decryption of the body (RFC 8291 §3.3-3.4, RFC 8188 §2).
 * @module
 */
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';

export interface ReceivedPush {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface TestSubscription {
  readonly endpoint: string;
  /** What the browser's `PushSubscription.toJSON()` gives: the registration body. */
  readonly json: { endpoint: string; keys: { p256dh: string; auth: string } };
  readonly ecdh: ECDH;
  readonly auth: Buffer;
}

export interface PushReceiver {
  /** `http://127.0.0.1:<port>`: the VAPID audience. */
  readonly origin: string;
  readonly received: ReceivedPush[];
  /** The status the next pushes get (default 201, RFC 8030 §5). */
  status: number;
  /** When set, requests are held until `release()` (a slow push service). */
  hold: boolean;
  release(): void;
  /** Resolves when `n` pushes have arrived in all. */
  arrived(n: number): Promise<void>;
  subscription(): TestSubscription;
  close(): Promise<void>;
}

export async function startPushReceiver(): Promise<PushReceiver> {
  const held: (() => void)[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  let subscriptions = 0;
  const server = createServer((req, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      receiver.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(parts) });
      for (const w of waiting.filter((w) => receiver.received.length >= w.n)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
      const answer = (): void => {
        res.writeHead(receiver.status).end();
      };
      if (receiver.hold) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const receiver: PushReceiver = {
    origin,
    received: [],
    status: 201,
    hold: false,
    release() {
      this.hold = false;
      for (const answer of held.splice(0)) answer();
    },
    arrived(n) {
      if (receiver.received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ n, resolve }));
    },
    subscription() {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const endpoint = `${origin}/push/${(subscriptions += 1)}-${randomBytes(8).toString('hex')}`;
      return {
        endpoint,
        ecdh,
        auth,
        json: { endpoint, keys: { p256dh: toBase64url(ecdh.getPublicKey()), auth: toBase64url(auth) } },
      };
    },
    async close() {
      receiver.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

export interface VapidClaims {
  readonly aud: string;
  readonly exp: number;
  readonly sub: string;
}

/**
 * Checks `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3): `k` is the relay's public key,
 * the JWT's header says ES256 and its signature verifies under that key (JOSE form, r || s);
 * returns the claims for the caller to check `aud`, `exp` and `sub`. Throws on any mismatch.
 */
export function verifyVapid(authorization: string | undefined, relayPublicKey: string): VapidClaims {
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m) throw new Error('vapid: Authorization is not "vapid t=<jwt>, k=<key>"');
  const [, jwt, k] = m as unknown as [string, string, string];
  if (k !== relayPublicKey) throw new Error('vapid: k is not the relay\'s public key');
  const [headerPart, claimsPart, signaturePart] = jwt.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(fromBase64url(headerPart)).toString('utf8')) as { alg?: string; typ?: string };
  if (header.alg !== 'ES256') throw new Error(`vapid: alg is ${String(header.alg)}, expected ES256`);
  const point = fromBase64url(k);
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: toBase64url(point.subarray(1, 33)), y: toBase64url(point.subarray(33, 65)) },
    format: 'jwk',
  });
  const signed = Buffer.from(`${headerPart}.${claimsPart}`, 'ascii');
  if (!verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, fromBase64url(signaturePart))) {
    throw new Error('vapid: the JWT signature does not verify under the relay\'s key');
  }
  return JSON.parse(Buffer.from(fromBase64url(claimsPart)).toString('utf8')) as VapidClaims;
}

const hkdf = (salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Buffer =>
  Buffer.from(hkdfSync('sha256', ikm, salt, info, length));

/**
 * Opens an aes128gcm push body with the subscription's private key and auth secret (RFC 8291
 * §3.4: IKM from ECDH and the auth secret; RFC 8188 §2.2-2.3: CEK and nonce from the salt).
 * One record, as every push is; returns the plaintext without its padding.
 */
export function decryptPush(body: Buffer, sub: TestSubscription): Buffer {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const uaPublic = sub.ecdh.getPublicKey();
  const ecdhSecret = sub.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0', 'ascii'), uaPublic, asPublic]);
  const ikm = hkdf(sub.auth, ecdhSecret, keyInfo, 32);
  const cek = hkdf(salt, ikm, Buffer.from('Content-Encoding: aes128gcm\0', 'ascii'), 16);
  const nonce = hkdf(salt, ikm, Buffer.from('Content-Encoding: nonce\0', 'ascii'), 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // Last record: the data, then the delimiter 0x02, then zero or more zero bytes.
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end -= 1;
  if (padded[end - 1] !== 2) throw new Error('push: the record does not end with the last-record delimiter');
  return padded.subarray(0, end - 1);
}
