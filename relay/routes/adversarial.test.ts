/**
 * Refusals at the edge of every signed route: signatures (missing, forged, replayed, stale, by
 * another key, body changed after signing), content types, malformed JSON and oversize bodies
 * (declared and chunked). Each gets its 4xx and leaves every stored row as it was.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REQUEST_MAX_SKEW_MS } from '../../shared/consts.ts';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import { errorCode as code, expectRefused, useAppFixture } from '../testing/use-app-fixture.ts';

let therapist: Identity;
let client: Identity;
const fx = useAppFixture({}, async (fx) => {
  therapist = await fx.therapist();
  client = await fx.client(therapist);
});

const enc = new TextEncoder();
const invite = () => JSON.stringify({ inviteHash: toBase64url(randomBytes(32)) });

/** Run `attempt`, expect `status` and `errorCode`, and no stored row changed. */
const refused = (attempt: () => Response | Promise<Response>, status: number, errorCode: string) => expectRefused(fx, attempt, status, errorCode);

describe('signatures', () => {
  it('refuses a request without signature headers', async () => {
    await refused(() => fx.send(therapist, 'POST', '/v1/invites', { body: invite(), unsigned: true }), 401, 'unauthorized');
    await refused(() => fx.send(therapist, 'GET', '/v1/prekeys/count', { unsigned: true }), 401, 'unauthorized');
  });

  it('refuses a forged signature', async () => {
    const body = invite();
    const headers = await signRequest(therapist, { method: 'POST', path: '/v1/invites', body: enc.encode(body) }, { now: fx.now });
    headers['confidant-signature'] = toBase64url(randomBytes(64));
    await refused(() => fx.app.request('/v1/invites', { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } }), 401, 'unauthorized');
  });

  it('refuses a replayed request, even one that succeeded', async () => {
    const body = invite();
    const headers = { ...(await signRequest(therapist, { method: 'POST', path: '/v1/invites', body: enc.encode(body) }, { now: fx.now })), 'content-type': 'application/json' };
    expect((await fx.app.request('/v1/invites', { method: 'POST', body, headers })).status).toBe(201);
    await refused(() => fx.app.request('/v1/invites', { method: 'POST', body, headers }), 401, 'unauthorized');
  });

  it('refuses a stale or future-dated request', async () => {
    await refused(() => fx.send(therapist, 'POST', '/v1/invites', { body: invite(), time: fx.now - REQUEST_MAX_SKEW_MS - 1 }), 401, 'unauthorized');
    await refused(() => fx.send(therapist, 'POST', '/v1/invites', { body: invite(), time: fx.now + REQUEST_MAX_SKEW_MS + 1 }), 401, 'unauthorized');
  });

  it('refuses a signature by another key under the account key', async () => {
    const body = invite();
    const bySomeone = await signRequest(client, { method: 'POST', path: '/v1/invites', body: enc.encode(body) }, { now: fx.now });
    bySomeone['confidant-key'] = toBase64url(therapist.publicIdentity.signingKey);
    await refused(() => fx.app.request('/v1/invites', { method: 'POST', body, headers: { ...bySomeone, 'content-type': 'application/json' } }), 401, 'unauthorized');
  });

  it('refuses a body changed after signing', async () => {
    await refused(() => fx.send(therapist, 'POST', '/v1/invites', { body: invite(), signedBody: enc.encode(invite()) }), 401, 'unauthorized');
  });

  it('refuses a signature for another route', async () => {
    const body = invite();
    const headers = await signRequest(therapist, { method: 'POST', path: '/v1/prekeys/one-time', body: enc.encode(body) }, { now: fx.now });
    await refused(() => fx.app.request('/v1/invites', { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } }), 401, 'unauthorized');
  });

  it('refuses a signed request from a key without an account', async () => {
    const stranger = await fx.newIdentity();
    await refused(() => fx.send(stranger, 'GET', '/v1/prekeys/count'), 401, 'unauthorized');
    await refused(() => fx.send(stranger, 'GET', `/v1/bundles/${toBase64url(therapist.publicIdentity.signingKey)}`), 401, 'unauthorized');
  });
});

describe('roles', () => {
  it('refuses a client on therapist-only routes', async () => {
    await refused(() => fx.send(client, 'POST', '/v1/invites', { body: invite() }), 403, 'forbidden');
  });
});

describe('bodies', () => {
  const routes: [string, string][] = [
    ['POST', '/v1/accounts/therapist'],
    ['POST', '/v1/accounts/client'],
    ['POST', '/v1/invites'],
    ['PUT', '/v1/prekeys/signed'],
    ['PUT', '/v1/prekeys/kem'],
    ['POST', '/v1/prekeys/one-time'],
  ];

  it('refuses a JSON body without application/json (415)', async () => {
    for (const [method, path] of routes) {
      await refused(() => fx.send(therapist, method, path, { body: '{}', contentType: 'text/plain' }), 415, 'unsupported_media_type');
      await refused(() => fx.send(therapist, method, path, { body: '{}', contentType: null }), 415, 'unsupported_media_type');
    }
  });

  it('refuses malformed JSON and invalid UTF-8 (400)', async () => {
    for (const [method, path] of routes) {
      await refused(() => fx.send(therapist, method, path, { body: '{"a":' }), 400, 'bad_request');
      await refused(() => fx.send(therapist, method, path, { body: Uint8Array.of(0x7b, 0xff, 0x7d) }), 400, 'bad_request');
      await refused(() => fx.send(therapist, method, path, { body: '[]' }), 400, 'bad_request');
    }
  });

  it('refuses an oversize body with a Content-Length (413); the largest route limit here is 24 KiB (an invite with its body)', async () => {
    for (const [method, path] of routes) {
      await refused(() => fx.send(therapist, method, path, { body: `{"x":"${'a'.repeat(30_000)}"}` }), 413, 'too_large');
    }
  });

  it('refuses an oversize chunked body without a Content-Length (413)', async () => {
    for (const [method, path] of routes) {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ === 1000) return controller.close();
          controller.enqueue(enc.encode(' '.repeat(1024)));
        },
      });
      const headers = { ...(await signRequest(therapist, { method, path, body: new Uint8Array(0) }, { now: fx.now })), 'content-type': 'application/json' };
      await refused(() => fx.app.request(path, { method, body: stream, headers, duplex: 'half' } as RequestInit), 413, 'too_large');
      expect(sent).toBeLessThan(100);
    }
  });
});
