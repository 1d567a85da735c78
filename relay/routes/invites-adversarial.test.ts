/**
 * Refusals around short invites (POST /v1/invites with a body, GET /v1/invites/:id,
 * POST /v1/invites/revoke): malformed and guessed ids, bodies too large or too small or half
 * given, a taken id, someone else's invite, a client account, unsigned requests. Each gets its
 * 4xx with the relay's error shape and leaves every row as it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INVITE_BODY } from '../../shared/consts.ts';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { appFixture, type AppFixture } from '../testing/app-fixture.ts';

let fx: AppFixture;
let owner: Identity;
let stored: { id: string; hash: string };
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const b64 = (n: number) => toBase64url(new Uint8Array(randomBytes(n)));
const newHash = () => toBase64url(sha256(new Uint8Array(randomBytes(32))));

beforeAll(async () => {
  fx = await appFixture();
  owner = await fx.therapist();
  stored = { id: b64(16), hash: newHash() };
  const res = await fx.send(owner, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: stored.hash, id: stored.id, body: b64(1040) }) });
  if (res.status !== 201) throw new Error(`setup: invite answered ${res.status}`);
});
afterAll(async () => fx.close());

const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

/** Run `attempt`, expect `status` and `errorCode`, and no row changed. */
async function refused(attempt: () => Promise<Response>, status: number, errorCode: string) {
  const rows = fx.counts();
  const res = await attempt();
  expect(res.status).toBe(status);
  expect(await code(res)).toBe(errorCode);
  expect(fx.counts()).toEqual(rows);
}

const post = (who: Identity | undefined, json: unknown) => fx.send(who, 'POST', '/v1/invites', { body: JSON.stringify(json) });

describe('GET /v1/invites/:id', () => {
  it.each([
    ['too short', b64(15)],
    ['too long', b64(17)],
    ['not base64url', '!'.repeat(22)],
    ['a traversal', '..%2F..%2Fetc%2Fpasswd'],
    ['padded', `${b64(16)}==`],
    ['with a non-canonical last character', `${'A'.repeat(21)}B`],
  ])('refuses an id %s with 400 bad_request', async (_, id) => {
    await refused(() => fx.send(undefined, 'GET', `/v1/invites/${id}`), 400, 'bad_request');
  });

  it('answers a guessed id 404 not_found, and the stored one 200', async () => {
    await refused(() => fx.send(undefined, 'GET', `/v1/invites/${b64(16)}`), 404, 'not_found');
    expect((await fx.send(undefined, 'GET', `/v1/invites/${stored.id}`)).status).toBe(200);
  });

  it('does not serve a body by its invite hash', async () => {
    await refused(() => fx.send(undefined, 'GET', `/v1/invites/${stored.hash}`), 400, 'bad_request');
  });
});

describe('POST /v1/invites with a body', () => {
  it('refuses a body over MAX_INVITE_BODY with 400, and one over the byte limit with 413', async () => {
    await refused(() => post(owner, { inviteHash: newHash(), id: b64(16), body: b64(MAX_INVITE_BODY + 1) }), 400, 'bad_request');
    await refused(() => post(owner, { inviteHash: newHash(), id: b64(16), body: b64(MAX_INVITE_BODY), pad: 'x'.repeat(2000) }), 413, 'too_large');
    expect((await post(owner, { inviteHash: newHash(), id: b64(16), body: b64(MAX_INVITE_BODY) })).status).toBe(201);
  });

  it.each([
    ['a body shorter than one padded bucket and its tag', () => ({ inviteHash: newHash(), id: b64(16), body: b64(100) })],
    ['an id without a body', () => ({ inviteHash: newHash(), id: b64(16) })],
    ['a body without an id', () => ({ inviteHash: newHash(), body: b64(1040) })],
    ['a short id', () => ({ inviteHash: newHash(), id: b64(15), body: b64(1040) })],
    ['a body that is not base64url', () => ({ inviteHash: newHash(), id: b64(16), body: '+'.repeat(1400) })],
    ['a body of impossible base64url length', () => ({ inviteHash: newHash(), id: b64(16), body: 'A'.repeat(1401) })],
  ])('refuses %s with 400 bad_request', async (_, json) => {
    await refused(() => post(owner, json()), 400, 'bad_request');
  });

  it('refuses a taken id (even with a new hash, from another therapist) with 409', async () => {
    const other = await fx.therapist();
    await refused(() => post(other, { inviteHash: newHash(), id: stored.id, body: b64(1040) }), 409, 'conflict');
  });

  it('refuses a client account with 403 and an unsigned request with 401', async () => {
    const client = await fx.client(owner);
    await refused(() => post(client, { inviteHash: newHash(), id: b64(16), body: b64(1040) }), 403, 'forbidden');
    await refused(() => fx.send(owner, 'POST', '/v1/invites', { body: JSON.stringify({ inviteHash: newHash(), id: b64(16), body: b64(1040) }), unsigned: true }), 401, 'unauthorized');
  });
});

describe('POST /v1/invites/revoke', () => {
  const revoke = (who: Identity | undefined, hash: string, unsigned = false) =>
    fx.send(who, 'POST', '/v1/invites/revoke', { body: JSON.stringify({ inviteHash: hash }), unsigned });

  it("refuses someone else's invite with 404, as if it did not exist, and leaves it usable", async () => {
    const other = await fx.therapist();
    await refused(() => revoke(other, stored.hash), 404, 'not_found');
    expect((await fx.send(undefined, 'GET', `/v1/invites/${stored.id}`)).status).toBe(200);
  });

  it('refuses an unknown hash with 404, a client with 403, unsigned with 401, a malformed hash with 400', async () => {
    await refused(() => revoke(owner, newHash()), 404, 'not_found');
    const client = await fx.client(owner);
    await refused(() => revoke(client, stored.hash), 403, 'forbidden');
    await refused(() => revoke(owner, stored.hash, true), 401, 'unauthorized');
    await refused(() => revoke(owner, b64(31)), 400, 'bad_request');
  });
});
