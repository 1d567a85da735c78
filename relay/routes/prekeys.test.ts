import { describe, expect, it } from 'vitest';
import { useAppFixture } from '../testing/use-app-fixture.ts';
import { kemPreKeyBody, oneTimeBody, publish, signedPreKeyBody } from '../testing/prekey-bodies.ts';

const fx = useAppFixture({ each: true });

const json = async <T>(res: Response) => (await res.json()) as T;

describe('prekey upload', () => {
  it('stores signed, KEM and one-time prekeys and counts them', async () => {
    const t = await fx.therapist();
    const res = await fx.send(t, 'PUT', '/v1/prekeys/signed', { body: JSON.stringify(await signedPreKeyBody(t, 5)) });
    expect(await json(res)).toEqual({ id: 5 });
    expect((await fx.send(t, 'PUT', '/v1/prekeys/kem', { body: JSON.stringify(await kemPreKeyBody(t, 6)) })).status).toBe(200);
    const up = await fx.send(t, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify(await oneTimeBody(0, 100)) });
    expect(await json(up)).toEqual({ count: 100 });
    const again = await fx.send(t, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify(await oneTimeBody(90, 20)) });
    expect(await json(again)).toEqual({ count: 110 });
    expect(await json(await fx.send(t, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 110 });
  });

  it('clears the one-time prekeys of the account (a restored device), signed, and only its own', async () => {
    const t = await fx.therapist();
    const c = await fx.client(t);
    await publish(fx, t, 4);
    await publish(fx, c, 3);
    expect(await json(await fx.send(t, 'DELETE', '/v1/prekeys/one-time'))).toEqual({ cleared: 4 });
    expect(await json(await fx.send(t, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 0 });
    expect(await json(await fx.send(c, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 3 });
    const unsigned = await fx.app.request('/v1/prekeys/one-time', { method: 'DELETE' });
    expect(unsigned.status).toBe(401);
  });

  it('lets a client publish prekeys too', async () => {
    const c = await fx.client(await fx.therapist());
    await publish(fx, c, 3);
    expect(await json(await fx.send(c, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 3 });
  });

  it('refuses a signed or KEM prekey signed by another key, or for another id, storing nothing', async () => {
    const t = await fx.therapist();
    const other = await fx.newIdentity();
    const before = fx.counts();
    const foreign = await fx.send(t, 'PUT', '/v1/prekeys/signed', { body: JSON.stringify(await signedPreKeyBody(other)) });
    expect(foreign.status).toBe(400);
    expect((await json<{ error: { code: string } }>(foreign)).error.code).toBe('bad_request');
    const wrongId = { ...(await signedPreKeyBody(t, 1)), id: 2 };
    expect((await fx.send(t, 'PUT', '/v1/prekeys/signed', { body: JSON.stringify(wrongId) })).status).toBe(400);
    expect((await fx.send(t, 'PUT', '/v1/prekeys/kem', { body: JSON.stringify(await kemPreKeyBody(other)) })).status).toBe(400);
    expect(fx.counts()).toEqual(before);
  });

  it('refuses more than 100 one-time prekeys in one request, storing nothing', async () => {
    const t = await fx.therapist();
    const before = fx.counts();
    const res = await fx.send(t, 'POST', '/v1/prekeys/one-time', { body: JSON.stringify(await oneTimeBody(0, 101)) });
    expect(res.status).toBe(400);
    expect(fx.counts()).toEqual(before);
  });
});
