import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import { appFixture, FIXTURE_NOW, type AppFixture } from '../testing/app-fixture.ts';
import { INVITE_TTL_MS } from './invites.ts';

let fx: AppFixture;
beforeEach(async () => {
  fx = await appFixture();
});
afterEach(async () => fx.close());

const inviteBody = () => JSON.stringify({ inviteHash: toBase64url(randomBytes(32)) });

describe('POST /v1/invites', () => {
  it('stores an invite hash for a therapist, valid 7 days', async () => {
    const t = await fx.therapist();
    const res = await fx.send(t, 'POST', '/v1/invites', { body: inviteBody() });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ expiresAt: FIXTURE_NOW + INVITE_TTL_MS });
  });

  it('refuses a client account with 403 and stores nothing', async () => {
    const c = await fx.client(await fx.therapist());
    const before = fx.counts();
    const res = await fx.send(c, 'POST', '/v1/invites', { body: inviteBody() });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(fx.counts()).toEqual(before);
  });

  it('answers the same invite hash twice with 409', async () => {
    const t = await fx.therapist();
    const body = inviteBody();
    expect((await fx.send(t, 'POST', '/v1/invites', { body })).status).toBe(201);
    const before = fx.counts();
    expect((await fx.send(t, 'POST', '/v1/invites', { body })).status).toBe(409);
    expect(fx.counts()).toEqual(before);
  });
});
