// @vitest-environment node
/**
 * Onboarding against the real relay in process (test-support/devices.ts): registration codes
 * parsed and refused in plain words, a retry after a lost answer counted as done, invites that
 * register what their link carries and are checked before joining without being used up, and
 * provisioning that is safe to repeat.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { REGISTRATION_CODE_LEN } from '../../shared/consts.ts';
import { toBase64url } from '../../shared/encoding.ts';
import { deriveIdentity, generateRootSecret, identitiesEqual } from '../../shared/keys.ts';
import { verifyBundle } from '../../shared/prekeys.ts';
import { OfflineError, RelayApi } from '../api/relay.ts';
import { Records } from '../data/records.ts';
import { FAST_KDF, inviteFromLink, joinClient, Net, ORIGIN, PASSPHRASE, relayPerTest, therapistDevice, type Relay } from '../../test-support/devices.ts';
import { VaultProtocolStore } from '../vault/protocol-store.ts';
import { createVault } from '../vault/vault.ts';
import {
  checkInvite,
  createInvite,
  INVITE_GONE,
  INVITE_REFUSED,
  openInviteLink,
  revokeInvite,
  DEFAULT_CONSENT_TEXT,
  DEFAULT_EMERGENCY_NOTICE,
  INVITE_DAYS,
  inviteHashOf,
  newProfile,
  ONE_TIME_PREKEYS,
  OnboardingError,
  keepProvisioned,
  parseRegistrationCode,
  provisionDevice,
  registerClient,
  registerTherapist,
} from './onboarding.ts';

let relay: Relay;
const devices = relayPerTest(async (r) => {
  relay = r;
});

/** A fresh identity with its own network, not registered. */
async function stranger(): Promise<{ identity: Awaited<ReturnType<typeof deriveIdentity>>; net: Net; api: RelayApi; rootSecret: Uint8Array }> {
  const rootSecret = generateRootSecret();
  const identity = await deriveIdentity(rootSecret.slice());
  const net = new Net(relay.fx);
  return { identity, net, api: new RelayApi({ origin: ORIGIN, fetch: net.fetch }), rootSecret };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

async function onboardingCode(p: Promise<unknown>): Promise<string> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(OnboardingError);
  return (e as OnboardingError).code;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

describe('parseRegistrationCode', () => {
  it('reads the 43 characters the operator tool prints, with surrounding whitespace', () => {
    const code = new Uint8Array(REGISTRATION_CODE_LEN).map((_, i) => i * 7);
    const text = toBase64url(code);
    expect(text).toHaveLength(43);
    expect(parseRegistrationCode(text)).toEqual(code);
    expect(parseRegistrationCode(`  ${text}\n`)).toEqual(code);
  });

  it('round-trips any 32-byte code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: REGISTRATION_CODE_LEN, maxLength: REGISTRATION_CODE_LEN }), (code) => {
        expect(parseRegistrationCode(toBase64url(code))).toEqual(code);
      }),
    );
  });

  it.each([
    ['empty', ''],
    ['too short', 'abc'],
    ['one character short', toBase64url(new Uint8Array(32)).slice(0, 42)],
    ['one character long', `${toBase64url(new Uint8Array(32))}A`],
    ['31 bytes', toBase64url(new Uint8Array(31))],
    ['33 bytes', toBase64url(new Uint8Array(33))],
    ['standard base64 alphabet', `${toBase64url(new Uint8Array(32)).slice(0, 41)}+/`],
    ['padding', `${toBase64url(new Uint8Array(32))}=`],
    ['inner space', `${toBase64url(new Uint8Array(32)).slice(0, 20)} ${toBase64url(new Uint8Array(32)).slice(20)}`],
  ])('refuses a malformed code (%s) with malformed_code', (_, text) => {
    expect(() => parseRegistrationCode(text)).toThrow(OnboardingError);
    try {
      parseRegistrationCode(text);
    } catch (e) {
      expect((e as OnboardingError).code).toBe('malformed_code');
      expect((e as OnboardingError).message).toMatch(/registration code/);
    }
  });

  it('refuses every string that is not 43 base64url characters', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }).filter((s) => !(s.trim().length === 43 && B64URL.test(s.trim()))),
        (text) => {
          expect(() => parseRegistrationCode(text)).toThrow(OnboardingError);
        },
      ),
    );
  });
});

describe('registerTherapist', () => {
  it('registers with a valid code: the account then exists on the relay', async () => {
    const { identity, api } = await stranger();
    await registerTherapist(api, identity, await relay.fx.mintCode());
    expect(await api.oneTimePreKeyCount(identity)).toBe(0);
  });

  it('maps a refused code (unknown, used by someone else, expired) to bad_code', async () => {
    const unknown = await stranger();
    expect(await onboardingCode(registerTherapist(unknown.api, unknown.identity, toBase64url(new Uint8Array(32).fill(9))))).toBe('bad_code');

    const code = await relay.fx.mintCode();
    const first = await stranger();
    await registerTherapist(first.api, first.identity, code);
    const second = await stranger();
    expect(await onboardingCode(registerTherapist(second.api, second.identity, code))).toBe('bad_code');

    relay.fx.now = Date.now() - 60_000;
    const expired = await relay.fx.mintCode(1_000);
    const late = await stranger();
    expect(await onboardingCode(registerTherapist(late.api, late.identity, expired))).toBe('bad_code');
  });

  it('a retry after a lost answer finds our own account (409) and counts it as done', async () => {
    const { identity, api, net } = await stranger();
    const code = await relay.fx.mintCode();
    net.dropAnswer = (r) => r.path === '/v1/accounts/therapist';
    expect(await rejection(registerTherapist(api, identity, code))).toBeInstanceOf(OfflineError);
    expect(net.count('POST', '/v1/accounts/therapist', 201)).toBe(1);
    net.dropAnswer = undefined;
    await registerTherapist(api, identity, code);
    await registerTherapist(api, identity, code);
    expect(net.count('POST', '/v1/accounts/therapist', 409)).toBe(2);
    expect(relay.fx.counts()['registration_codes_used']).toBe(1);
  });

  it('a malformed code never reaches the relay', async () => {
    const { identity, api, net } = await stranger();
    expect(await onboardingCode(registerTherapist(api, identity, 'not a code'))).toBe('malformed_code');
    expect(net.handled).toEqual([]);
  });

  it('no network is an OfflineError, not a refusal', async () => {
    const { identity, api, net } = await stranger();
    net.offline = true;
    expect(await rejection(registerTherapist(api, identity, await relay.fx.mintCode()))).toBeInstanceOf(OfflineError);
  });
});

describe('registerClient', () => {
  it('an invite already used by someone else is invite_refused; our own retry is done', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Kim', ORIGIN, Date.now());
    const invite = await inviteFromLink(local.link, therapist.api);

    const first = await stranger();
    first.net.dropAnswer = (r) => r.path === '/v1/accounts/client';
    expect(await rejection(registerClient(first.api, first.identity, invite))).toBeInstanceOf(OfflineError);
    first.net.dropAnswer = undefined;
    await registerClient(first.api, first.identity, invite);
    expect(first.net.count('POST', '/v1/accounts/client', 409)).toBe(1);

    const second = await stranger();
    expect(await onboardingCode(registerClient(second.api, second.identity, invite))).toBe('invite_refused');
  });
});

describe('checkInvite (before the first step of joining)', () => {
  it('a fresh invite is valid with its expiry, and checking it again and again leaves it usable', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Kim', ORIGIN, Date.now());
    const invite = await inviteFromLink(local.link, therapist.api);
    const client = await stranger();
    const expiresAt = await checkInvite(client.api, invite);
    expect(expiresAt).toBeGreaterThanOrEqual(local.expiresAt);
    expect(await checkInvite(client.api, invite)).toBe(expiresAt);
    expect(client.net.count('POST', '/v1/invites/check', 200)).toBe(2);
    // Nothing was consumed: the invite still registers.
    expect(relay.fx.counts()['invites_used']).toBe(0);
    await registerClient(client.api, client.identity, invite);
    expect(relay.fx.counts()['invites_used']).toBe(1);
  });

  it('a used invite is invite_refused, in the words that say what to do, before anything is registered', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Kim', ORIGIN, Date.now());
    const invite = await inviteFromLink(local.link, therapist.api);
    const first = await stranger();
    await registerClient(first.api, first.identity, invite);

    const second = await stranger();
    const e = await rejection(checkInvite(second.api, invite));
    expect(e).toBeInstanceOf(OnboardingError);
    expect((e as OnboardingError).code).toBe('invite_refused');
    expect((e as OnboardingError).message).toBe(INVITE_REFUSED);
    expect(INVITE_REFUSED).toBe('This invite link has already been used or has expired. Ask your therapist for a new link.');
    expect(second.net.handled.map((r) => r.path)).toEqual(['/v1/invites/check']);
  });

  it('an invite the relay holds as expired is invite_refused too', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Kim', ORIGIN, Date.now());
    const invite = await inviteFromLink(local.link, therapist.api);
    // An invite that expired a second ago: the link's fields with another secret, whose hash the
    // relay holds with a past expiry (a hash is stored once; the relay reads only the secret).
    const expired = { ...invite, secret: new Uint8Array(32).fill(7) };
    await relay.fx.store.addInvite(sha256(expired.secret), therapist.identity.signing.publicKey, Date.now() - 2_000, Date.now() - 1_000);
    const client = await stranger();
    expect(await onboardingCode(checkInvite(client.api, expired))).toBe('invite_refused');
    expect(await checkInvite(client.api, invite)).toBeTypeOf('number');
  });

  it('no network is an OfflineError (cannot tell), never a refusal; the check then succeeds on retry', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Kim', ORIGIN, Date.now());
    const invite = await inviteFromLink(local.link, therapist.api);
    const client = await stranger();
    client.net.offline = true;
    expect(await rejection(checkInvite(client.api, invite))).toBeInstanceOf(OfflineError);
    client.net.offline = false;
    expect(await checkInvite(client.api, invite)).toBeTypeOf('number');
  });

  it('the final registration still refuses an invite used by someone else after the check (a race), in the same words', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Kim', ORIGIN, Date.now());
    const invite = await inviteFromLink(local.link, therapist.api);
    const slow = await stranger();
    await checkInvite(slow.api, invite);
    const fast = await stranger();
    await registerClient(fast.api, fast.identity, invite);
    const e = await rejection(registerClient(slow.api, slow.identity, invite));
    expect((e as OnboardingError).code).toBe('invite_refused');
    expect((e as OnboardingError).message).toBe(INVITE_REFUSED);
  });
});

describe('createInvite', () => {
  it('registers the capability and the invite hash, keeps the label here, and the link carries identity, mailbox and capability', async () => {
    const therapist = await therapistDevice(relay, 'Riverside Counselling');
    devices.push(therapist);
    const now = Date.now();
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Jo (Mondays)', ORIGIN, now);

    expect(local.link.startsWith(`${ORIGIN}/#/join/`)).toBe(true);
    expect(local.link).not.toContain('Jo (Mondays)');
    const invite = await inviteFromLink(local.link, therapist.api);
    expect(identitiesEqual(invite.therapist, therapist.identity.publicIdentity)).toBe(true);
    expect(invite.mailboxId).toEqual(therapist.profile.mailboxId);
    expect(invite.capability).toEqual(local.capability);
    expect(inviteHashOf(invite.secret)).toBe(local.hash);
    expect(invite).toMatchObject({ practiceName: 'Riverside Counselling', consentText: DEFAULT_CONSENT_TEXT, emergencyNotice: DEFAULT_EMERGENCY_NOTICE, expiresAt: local.expiresAt });
    expect(local.expiresAt).toBeGreaterThan(now);
    expect(local.expiresAt).toBeLessThanOrEqual(now + INVITE_DAYS * 86_400_000);

    // The relay holds the capability (as its hash) for the therapist's mailbox, and the invite.
    expect(await relay.fx.store.checkCapability(sha256(local.capability), therapist.profile.mailboxId)).toBe(true);
    expect(relay.fx.counts()['invites']).toBe(1);
    const client = await stranger();
    await registerClient(client.api, client.identity, invite);
    expect(relay.fx.counts()['invites_used']).toBe(1);

    expect(await therapist.records.invites()).toEqual([local]);
  });

  it('offline: nothing is saved on the device', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    therapist.net.offline = true;
    expect(await rejection(createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Lee', ORIGIN, Date.now()))).toBeInstanceOf(OfflineError);
    expect(await therapist.records.invites()).toEqual([]);
  });
});

describe('keepProvisioned (setup and every unlock)', () => {
  it('provisions fully until the relay confirmed it once, then only refills one-time prekeys', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const { api, identity, store, net } = therapist;
    const records = new Records(therapist.vault);
    const fresh = { ...therapist.profile, provisionedAt: undefined };
    const done = await keepProvisioned(api, identity, store, records, fresh);
    expect(done.provisionedAt).toBeTypeOf('number');
    expect((await records.profile())?.provisionedAt).toBe(done.provisionedAt);

    const puts = () => net.count('PUT', '/v1/prekeys/signed') + net.count('PUT', '/v1/prekeys/kem') + net.count('POST', '/v1/mailboxes');
    const joined = await joinClient(relay, therapist, 'Sam'); // uses one of the therapist's one-time prekeys
    devices.push(joined.device);
    const before = puts();
    expect(await keepProvisioned(api, identity, store, records, done)).toBe(done);
    expect(puts()).toBe(before);
    expect(await api.oneTimePreKeyCount(identity)).toBe(ONE_TIME_PREKEYS.therapist);
  });
});

describe('provisionDevice', () => {
  it('is idempotent: run again, it uploads nothing new and the relay still holds the target', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const target = ONE_TIME_PREKEYS.therapist;
    expect(await therapist.api.oneTimePreKeyCount(therapist.identity)).toBe(target);
    const signed = (await therapist.store.currentSignedPreKey())!.id;
    const kem = (await therapist.store.currentKemPreKey())!.id;
    const uploads = therapist.net.count('POST', '/v1/prekeys/one-time');

    await provisionDevice(therapist.api, therapist.identity, therapist.store, therapist.profile);
    await provisionDevice(therapist.api, therapist.identity, therapist.store, therapist.profile);
    expect(await therapist.api.oneTimePreKeyCount(therapist.identity)).toBe(target);
    expect(await therapist.store.oneTimePreKeyCount()).toBe(target);
    expect(therapist.net.count('POST', '/v1/prekeys/one-time')).toBe(uploads);
    expect((await therapist.store.currentSignedPreKey())!.id).toBe(signed);
    expect((await therapist.store.currentKemPreKey())!.id).toBe(kem);
  });

  it('tops the one-time prekeys back up after a client used one', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const joined = await joinClient(relay, therapist, 'Pat'); // fetches the therapist's bundle
    devices.push(joined.device);
    expect(await joined.device.api.oneTimePreKeyCount(joined.device.identity)).toBe(ONE_TIME_PREKEYS.client);
    const target = ONE_TIME_PREKEYS.therapist;
    expect(await therapist.api.oneTimePreKeyCount(therapist.identity)).toBe(target - 1);

    await provisionDevice(therapist.api, therapist.identity, therapist.store, therapist.profile);
    expect(await therapist.api.oneTimePreKeyCount(therapist.identity)).toBe(target);
    // The used one stays on the device until the client's first message consumes it.
    expect(await therapist.store.oneTimePreKeyCount()).toBe(target + 1);
    await therapist.receiver.pull();
    expect(await therapist.store.oneTimePreKeyCount()).toBe(target);
  });

  it('finishes after an interrupted first run (lost answer on the mailbox, then on the upload)', async () => {
    const { identity, api, net, rootSecret } = await stranger();
    await registerTherapist(api, identity, await relay.fx.mintCode());
    const profile = newProfile('therapist', 'Interrupted Practice', Date.now());
    const vault = await createVault(PASSPHRASE, { dbName: `onboarding-interrupted-${process.pid}-${Date.now()}`, kdf: FAST_KDF });
    const store = await VaultProtocolStore.create(vault, { rootSecret });
    await new Records(vault).saveProfile(profile);
    try {
      net.dropAnswer = (r) => r.path === '/v1/mailboxes';
      expect(await rejection(provisionDevice(api, identity, store, profile))).toBeInstanceOf(OfflineError);
      net.dropAnswer = (r) => r.path === '/v1/prekeys/one-time';
      expect(await rejection(provisionDevice(api, identity, store, profile))).toBeInstanceOf(OfflineError);
      net.dropAnswer = undefined;
      await provisionDevice(api, identity, store, profile);
      expect(net.count('POST', '/v1/mailboxes', 409)).toBe(2);
      expect(await api.oneTimePreKeyCount(identity)).toBe(ONE_TIME_PREKEYS.therapist);
      // The bundle the relay hands out verifies against the identity.
      const client = await relay.fx.client(identity);
      const bundle = await new RelayApi({ origin: ORIGIN, fetch: new Net(relay.fx).fetch }).fetchBundle(client, identity.signing.publicKey);
      expect(identitiesEqual(bundle.identity, identity.publicIdentity)).toBe(true);
      expect(bundle.signedPreKey.id).toBe((await store.currentSignedPreKey())!.id);
      await expect(verifyBundle(bundle, identity.publicIdentity)).resolves.toBeUndefined();
    } finally {
      store.close();
      vault.close();
    }
  });
});

describe('short invites (issue 11)', () => {
  const fragment = (link: string) => link.slice(link.indexOf('#/join/') + '#/join/'.length);

  it('makes a link under 100 characters that carries no invite content, opened by fetching its body', async () => {
    const therapist = await therapistDevice(relay, 'Riverside Counselling');
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Jo', ORIGIN, Date.now());
    expect(local.link).toMatch(new RegExp(`^${ORIGIN}/#/join/2[A-Za-z0-9_-]{43}$`));
    expect(local.link.length).toBeLessThan(100);
    const client = await stranger();
    const invite = await openInviteLink(client.api, fragment(local.link), Date.now());
    expect(inviteHashOf(invite.secret)).toBe(local.hash);
    expect(invite.practiceName).toBe('Riverside Counselling');
    expect(client.net.handled.some((r) => r.method === 'GET' && r.path.startsWith('/v1/invites/') && r.status === 200)).toBe(true);
  });

  it('a withdrawn invite is refused in plain words, its capability revoked, and the inbox record marked', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Kim', ORIGIN, Date.now());
    const invite = await inviteFromLink(local.link, therapist.api);
    const revoked = await revokeInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, local, 1_900_000_000_000);
    expect(revoked.revokedAt).toBe(1_900_000_000_000);
    expect(await therapist.records.invite(local.hash)).toEqual(revoked);
    expect(await relay.fx.store.checkCapability(sha256(local.capability), therapist.profile.mailboxId)).toBe(false);
    const client = await stranger();
    const e = await rejection(openInviteLink(client.api, fragment(local.link), Date.now()));
    expect((e as OnboardingError).code).toBe('invite_refused');
    expect((e as OnboardingError).message).toBe(INVITE_GONE);
    expect(((await rejection(registerClient(client.api, client.identity, invite))) as OnboardingError).code).toBe('invite_refused');
    // Withdrawing again (a retry after a lost answer) is done, not an error.
    await revokeInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, local, 1_900_000_000_001);
  });

  it('offline: the body cannot be fetched, said as OfflineError (retry), never as a bad invite', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Sam', ORIGIN, Date.now());
    const client = await stranger();
    client.net.offline = true;
    expect(await rejection(openInviteLink(client.api, fragment(local.link), Date.now()))).toBeInstanceOf(OfflineError);
    client.net.offline = false;
    expect((await openInviteLink(client.api, fragment(local.link), Date.now())).practiceName).toBe(therapist.profile.practiceName);
  });

  it('a damaged link, a link whose key does not open the body, and an expired invite each say so', async () => {
    const therapist = await therapistDevice(relay);
    devices.push(therapist);
    const local = await createInvite(therapist.api, therapist.identity, therapist.profile, therapist.records, 'Lee', ORIGIN, Date.now());
    const client = await stranger();
    const text = fragment(local.link);
    expect(await onboardingCode(openInviteLink(client.api, text.slice(0, 20), Date.now()))).toBe('invite_damaged');
    expect(await onboardingCode(openInviteLink(client.api, 'hello', Date.now()))).toBe('invite_damaged');
    expect(await onboardingCode(openInviteLink(client.api, `2${'A'.repeat(43)}`, Date.now()))).toBe('invite_refused');
    expect(await onboardingCode(openInviteLink(client.api, text, local.expiresAt))).toBe('invite_expired');
  });
});
