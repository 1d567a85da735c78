import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import { sha256 } from '../testing/app-fixture.ts';
import { errorCode as code, useAppFixture } from '../testing/use-app-fixture.ts';
import { mailboxWithCapability } from '../testing/mailbox-helpers.ts';

const fx = useAppFixture({ each: true });

const capBody = (secret = randomBytes(32)) => JSON.stringify({ capabilityHash: toBase64url(sha256(secret)) });

describe('POST /v1/mailboxes', () => {
  it('creates a mailbox under the client-chosen id for any account, 409 when the id exists', async () => {
    const t = await fx.therapist();
    const c = await fx.client(t);
    const mailboxId = toBase64url(randomBytes(16));
    const res = await fx.send(c, 'POST', '/v1/mailboxes', { body: JSON.stringify({ mailboxId }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ mailboxId });
    expect((await fx.send(t, 'POST', '/v1/mailboxes', { body: JSON.stringify({ mailboxId: toBase64url(randomBytes(16)) }) })).status).toBe(201);
    const before = fx.counts();
    const again = await fx.send(t, 'POST', '/v1/mailboxes', { body: JSON.stringify({ mailboxId }) });
    expect(again.status).toBe(409);
    expect(await code(again)).toBe('conflict');
    expect(fx.counts()).toEqual(before);
  });

  it('refuses a malformed mailbox id with 400', async () => {
    const t = await fx.therapist();
    const res = await fx.send(t, 'POST', '/v1/mailboxes', { body: JSON.stringify({ mailboxId: toBase64url(randomBytes(15)) }) });
    expect(res.status).toBe(400);
  });
});

describe('capabilities', () => {
  it('lets the owner add and revoke a capability; revoking twice is 404', async () => {
    const t = await fx.therapist();
    const box = await mailboxWithCapability(fx, t);
    const secret = randomBytes(32);
    const hash = toBase64url(sha256(secret));
    expect((await fx.send(t, 'POST', `/v1/mailboxes/${box.idB64}/capabilities`, { body: capBody(secret) })).status).toBe(201);
    expect(await fx.store.checkCapability(sha256(secret), box.id)).toBe(true);
    expect((await fx.send(t, 'DELETE', `/v1/mailboxes/${box.idB64}/capabilities/${hash}`)).status).toBe(204);
    expect(await fx.store.checkCapability(sha256(secret), box.id)).toBe(false);
    const again = await fx.send(t, 'DELETE', `/v1/mailboxes/${box.idB64}/capabilities/${hash}`);
    expect(again.status).toBe(404);
  });

  it('answers 404 alike for a mailbox that is absent and one owned by another account, changing nothing', async () => {
    const t = await fx.therapist();
    const other = await fx.client(t);
    const box = await mailboxWithCapability(fx, t);
    const before = fx.counts();
    const foreign = await fx.send(other, 'POST', `/v1/mailboxes/${box.idB64}/capabilities`, { body: capBody() });
    const absent = await fx.send(other, 'POST', `/v1/mailboxes/${toBase64url(randomBytes(16))}/capabilities`, { body: capBody() });
    expect([foreign.status, absent.status]).toEqual([404, 404]);
    expect(await foreign.json()).toEqual(await absent.json());
    const revoke = await fx.send(other, 'DELETE', `/v1/mailboxes/${box.idB64}/capabilities/${toBase64url(sha256(randomBytes(32)))}`);
    expect(revoke.status).toBe(404);
    expect(fx.counts()).toEqual(before);
  });

  it('refuses a malformed mailbox id or capability hash in the path with 400', async () => {
    const t = await fx.therapist();
    const box = await mailboxWithCapability(fx, t);
    expect((await fx.send(t, 'POST', '/v1/mailboxes/nope/capabilities', { body: capBody() })).status).toBe(400);
    expect((await fx.send(t, 'DELETE', `/v1/mailboxes/${box.idB64}/capabilities/short`)).status).toBe(400);
  });
});
