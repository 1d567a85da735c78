import { describe, expect, it } from 'vitest';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { verifyBundle } from '../../shared/prekeys.ts';
import { bundleFromJson } from '../../shared/schemas.ts';
import { useAppFixture } from '../testing/use-app-fixture.ts';
import { publish } from '../testing/prekey-bodies.ts';
import { ONE_TIME_PREKEY_WINDOW_MS, ONE_TIME_PREKEYS_PER_REQUESTER } from '../limits.ts';

const fx = useAppFixture({ each: true });

const json = async <T>(res: Response) => (await res.json()) as T;

describe('GET /v1/bundles/:key', () => {
  it('hands out a bundle that verifies, consuming one one-time prekey and reporting how many are left', async () => {
    const t = await fx.therapist();
    const c = await fx.client(t);
    await publish(fx, t, 2);
    const path = `/v1/bundles/${toBase64url(t.publicIdentity.signingKey)}`;
    const first = await json<Record<string, unknown>>(await fx.send(c, 'GET', path));
    expect(first['oneTimePreKeysLeft']).toBe(1);
    const bundle = bundleFromJson(first);
    await verifyBundle(bundle, t.publicIdentity);
    expect(bundle.oneTimePreKey).toBeDefined();
    const second = await json<Record<string, unknown>>(await fx.send(c, 'GET', path));
    expect(second['oneTimePreKeysLeft']).toBe(0);
    const third = await json<Record<string, unknown>>(await fx.send(c, 'GET', path));
    expect(third['oneTimePreKey']).toBeUndefined();
    expect(third['oneTimePreKeysLeft']).toBe(0);
    await verifyBundle(bundleFromJson(third), t.publicIdentity);
  });

  it('answers 404 for an unknown key or an account without prekeys, 400 for a malformed key', async () => {
    const t = await fx.therapist();
    const stranger = await fx.newIdentity();
    expect((await fx.send(t, 'GET', `/v1/bundles/${toBase64url(stranger.publicIdentity.signingKey)}`)).status).toBe(404);
    expect((await fx.send(t, 'GET', `/v1/bundles/${toBase64url(t.publicIdentity.signingKey)}`)).status).toBe(404);
    expect((await fx.send(t, 'GET', '/v1/bundles/not-a-key')).status).toBe(400);
  });

  it('never hands the same one-time prekey to concurrent fetches', async () => {
    const t = await fx.therapist();
    // Seven requesters may take 21 keys in all (3 each): more than the 20 published.
    const requesters = await Promise.all(Array.from({ length: 7 }, () => fx.client(t)));
    await publish(fx, t, 20);
    const path = `/v1/bundles/${toBase64url(t.publicIdentity.signingKey)}`;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fx.send(requesters[i % 7]!, 'GET', path)));
    const bodies = await Promise.all(answers.map((r) => json<{ oneTimePreKey?: { id: number } }>(r)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const ids = bodies.flatMap((b) => (b.oneTimePreKey ? [b.oneTimePreKey.id] : []));
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(await json(await fx.send(t, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 0 });
  });

  it(`hands one requester at most ${ONE_TIME_PREKEYS_PER_REQUESTER} one-time prekeys of one target a day; then the bundle verifies without one, others still get theirs`, async () => {
    const t = await fx.therapist();
    const drainer = await fx.client(t);
    const other = await fx.client(t);
    await publish(fx, t, 10);
    const path = `/v1/bundles/${toBase64url(t.publicIdentity.signingKey)}`;
    const fetchAs = async (who: Identity) => {
      const res = await fx.send(who, 'GET', path);
      expect(res.status).toBe(200);
      return json<{ oneTimePreKey?: { id: number }; oneTimePreKeysLeft: number }>(res);
    };
    for (let i = 0; i < ONE_TIME_PREKEYS_PER_REQUESTER; i++) expect((await fetchAs(drainer)).oneTimePreKey).toBeDefined();
    const before = fx.counts();
    for (let i = 0; i < 5; i++) {
      const res = await fx.send(drainer, 'GET', path);
      const body = await json<Record<string, unknown>>(res);
      expect(body['oneTimePreKey']).toBeUndefined();
      // The low-prekey signal still tells the truth: the keys are there, just not for this requester.
      expect(body['oneTimePreKeysLeft']).toBe(10 - ONE_TIME_PREKEYS_PER_REQUESTER);
      await verifyBundle(bundleFromJson(body), t.publicIdentity);
    }
    // Withheld fetches consume and record nothing.
    expect(fx.counts()).toEqual(before);
    expect((await fetchAs(other)).oneTimePreKey).toBeDefined();
    // The next day the drainer's window has ended.
    fx.now += ONE_TIME_PREKEY_WINDOW_MS;
    expect((await fetchAs(drainer)).oneTimePreKey).toBeDefined();
    expect(await json(await fx.send(t, 'GET', '/v1/prekeys/count'))).toEqual({ oneTime: 10 - ONE_TIME_PREKEYS_PER_REQUESTER - 2 });
  });
});
