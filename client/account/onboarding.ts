/**
 * Creating an account on this device: a therapist with the operator's registration code, or a
 * client from a therapist's invite. Each step is safe to repeat after a failure (a lost answer,
 * the network gone mid-way): registration that finds our own account already there counts as
 * done, mailbox and prekey uploads are idempotent.
 *
 * Order matters for "loses nothing": the relay check that can refuse (code, invite) runs first,
 * before the vault is written, so a refused code leaves the person on the same form with their
 * phrase and passphrase still in hand. A client's invite is also checked (`checkInvite`, which
 * uses nothing up) as soon as the link is opened, so a used one is said before the first step.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { ConfidantError } from '../../shared/errors.ts';
import { isInviteExpired, type Invite } from '../../shared/invite.ts';
import { openInvite, readInviteLink, sealInvite } from '../../shared/short-invite.ts';
import { encodePublicIdentity, identityId, type Identity } from '../../shared/keys.ts';
import { DEFAULT_CRISIS_TEXT } from '../../shared/practice.ts';
import { randomBytes } from '../../shared/provider.ts';
import { REGISTRATION_CODE_LEN } from '../../shared/consts.ts';
import { RelayApiError, type RelayApi } from '../api/relay.ts';
import type { Conversation, LocalInvite, Profile, Records } from '../data/records.ts';
import type { VaultProtocolStore } from '../vault/protocol-store.ts';

export const DEFAULT_CONSENT_TEXT = `Messaging with your therapist

• Messages are for practical matters and for sharing thoughts between sessions. They are not a replacement for sessions.
• Your therapist reads messages during working hours and usually replies within two working days.
• Messages are end-to-end encrypted: only you and your therapist can read them. They may be kept as part of your clinical record, as the law requires.
• You can stop messaging and withdraw this consent at any time.`;

/** No country's number is assumed: the app cannot know where the client is (shared/practice.ts). */
export const DEFAULT_EMERGENCY_NOTICE = DEFAULT_CRISIS_TEXT;

/** One-time prekeys kept on the relay: therapists are contacted by many, clients by one. */
export const ONE_TIME_PREKEYS = { therapist: 50, client: 10 } as const;

/** Days an invite is valid (the relay's own limit is 7). */
export const INVITE_DAYS = 7;

/**
 * Why setting up or joining cannot go on; the message says it in plain words for the screen.
 * `bad_code`: the relay refused the registration code. `malformed_code`: the code is not one.
 * `invite_refused`: the relay says the invite is unknown, used or expired. `invite_damaged`: the
 * link does not decode. `invite_expired`: the invite's own expiry has passed.
 */
export type OnboardingErrorCode = 'bad_code' | 'invite_refused' | 'malformed_code' | 'invite_damaged' | 'invite_expired';

export class OnboardingError extends Error {
  override readonly name = 'OnboardingError';
  constructor(
    readonly code: OnboardingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Parses the registration code as the operator's tool prints it (base64url of 32 bytes). */
export function parseRegistrationCode(text: string): Uint8Array {
  try {
    return fromBase64url(text.trim(), REGISTRATION_CODE_LEN);
  } catch {
    throw new OnboardingError('malformed_code', 'That does not look like a registration code. It is 43 letters and digits, as your administrator sent it.');
  }
}

/** Registers, treating "this account exists" as success: a retry after a lost answer. */
async function registerOnce(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof RelayApiError && e.status === 409) return;
    throw e;
  }
}

/** Step one of a therapist: the relay accepts the identity with the operator's code. */
export async function registerTherapist(api: RelayApi, identity: Identity, codeText: string): Promise<void> {
  const code = parseRegistrationCode(codeText);
  try {
    await registerOnce(() => api.registerTherapist(identity, code));
  } catch (e) {
    if (e instanceof RelayApiError && e.status === 403) {
      throw new OnboardingError('bad_code', 'This registration code is not valid: it may have been used already or have expired. Ask your administrator for a new one.');
    }
    throw e;
  }
}

/** What a person opening a used or expired invite is told, at the check and at registration. */
export const INVITE_REFUSED = 'This invite link has already been used or has expired. Ask your therapist for a new link.';

/**
 * Before the first step of joining: does the relay still accept this invite? Its expiry when it
 * does; OnboardingError `invite_refused` when the relay says it is unknown, used or expired.
 * Anything else (no network, the relay down or busy) passes through as it is: it says nothing
 * about the invite, and the person can try again. Consumes nothing; registration decides.
 */
export async function checkInvite(api: RelayApi, invite: Invite): Promise<number> {
  try {
    return await api.checkInvite(invite.secret);
  } catch (e) {
    if (e instanceof RelayApiError && e.status === 404) throw new OnboardingError('invite_refused', INVITE_REFUSED);
    throw e;
  }
}

/**
 * Step one of a client: the relay accepts the identity with the invite's secret. The invite was
 * checked when the link was opened, but someone else may have used it since (a race): the
 * refusal is still mapped to `invite_refused` here.
 */
export async function registerClient(api: RelayApi, identity: Identity, invite: Invite): Promise<void> {
  try {
    await registerOnce(() => api.registerClient(identity, invite.secret));
  } catch (e) {
    if (e instanceof RelayApiError && e.status === 403) throw new OnboardingError('invite_refused', INVITE_REFUSED);
    throw e;
  }
}

/** Creates our mailbox; "exists" (409) counts as done: the id is 16 random bytes we chose. */
export const createMailboxOnce = (api: RelayApi, identity: Identity, mailboxId: Uint8Array): Promise<void> =>
  registerOnce(() => api.createMailbox(identity, mailboxId));

/**
 * After registration: our mailbox and prekeys, generated here, kept in the vault first and
 * then uploaded (a crash between leaves keys the relay lacks, which the next start uploads).
 */
export async function provisionDevice(api: RelayApi, identity: Identity, store: VaultProtocolStore, profile: Profile): Promise<void> {
  await createMailboxOnce(api, identity, profile.mailboxId);
  const signed = (await store.currentSignedPreKey()) ?? (await store.generateSignedPreKey());
  const kem = (await store.currentKemPreKey()) ?? (await store.generateKemPreKey());
  await api.putSignedPreKey(identity, signed);
  await api.putKemPreKey(identity, kem);
  await refillOneTimePreKeys(api, identity, store, ONE_TIME_PREKEYS[profile.role]);
}

/**
 * Run at setup and at every unlock: the full provisioning until the relay has confirmed it once
 * (an interrupted setup finishes here), afterwards only the one-time prekey refill. Returns the
 * profile as stored (with `provisionedAt` once done).
 */
export async function keepProvisioned(api: RelayApi, identity: Identity, store: VaultProtocolStore, records: Records, profile: Profile): Promise<Profile> {
  if (profile.provisionedAt !== undefined) {
    await refillOneTimePreKeys(api, identity, store, ONE_TIME_PREKEYS[profile.role]);
    return profile;
  }
  await provisionDevice(api, identity, store, profile);
  const done = { ...profile, provisionedAt: Date.now() };
  await records.saveProfile(done);
  return done;
}

/** Tops the relay's one-time prekeys back up to `target` (the relay reports how many it holds). */
export async function refillOneTimePreKeys(api: RelayApi, identity: Identity, store: VaultProtocolStore, target: number): Promise<number> {
  const held = await api.oneTimePreKeyCount(identity);
  if (held >= target) return held;
  const fresh = await store.generateOneTimePreKeys(target - held);
  return api.uploadOneTimePreKeys(identity, fresh);
}

export function newProfile(role: Profile['role'], practiceName: string, now: number): Profile {
  return {
    role,
    practiceName,
    mailboxId: randomBytes(16),
    createdAt: now,
    autoLockMinutes: 5,
    ...(role === 'therapist' ? { consentText: DEFAULT_CONSENT_TEXT, emergencyNotice: DEFAULT_EMERGENCY_NOTICE } : {}),
  };
}

export const inviteHashOf = (secret: Uint8Array): string => toBase64url(sha256(secret));

/**
 * A therapist's invite for a new client: a fresh capability for our mailbox and a fresh invite
 * secret, both registered (as hashes) with the relay, and the link that carries them. The label
 * stays on this device. `replaces` makes it a re-invite for an existing conversation (the
 * client's new device): the identity that answers it is held pending until acknowledged.
 */
export async function createInvite(
  api: RelayApi,
  identity: Identity,
  profile: Profile,
  records: Records,
  label: string,
  origin: string,
  now: number,
  replaces?: string,
): Promise<LocalInvite> {
  const capability = randomBytes(32);
  const secret = randomBytes(32);
  await api.addCapability(identity, profile.mailboxId, sha256(capability));
  // The body says when the invite expires before the relay answers: our clock, the relay's limit.
  const expiresAt = now + INVITE_DAYS * 86_400_000;
  const sealed = sealInvite({
    therapist: identity.publicIdentity,
    mailboxId: profile.mailboxId,
    capability,
    secret,
    practiceName: profile.practiceName,
    consentText: profile.consentText ?? DEFAULT_CONSENT_TEXT,
    emergencyNotice: profile.emergencyNotice ?? DEFAULT_EMERGENCY_NOTICE,
    expiresAt,
    ...(profile.consentVersion !== undefined ? { consentVersion: profile.consentVersion } : {}),
  });
  const relayExpiry = await api.createInvite(identity, sha256(secret), { id: sealed.id, body: sealed.body });
  const invite: LocalInvite = {
    hash: inviteHashOf(secret),
    label,
    link: `${origin}/#/join/${sealed.encoded}`,
    capability,
    createdAt: now,
    expiresAt: Math.min(relayExpiry, expiresAt),
    ...(replaces ? { replaces } : {}),
  };
  await records.saveInvite(invite);
  return invite;
}

/** What a person opening a withdrawn, used or expired short invite is told. */
export const INVITE_GONE =
  'This invite link can no longer be used: your therapist may have withdrawn it, or it has been used or has expired. Ask your therapist for a new link.';

const DAMAGED = 'This invite link is damaged or incomplete. Ask your therapist to send it again, and open the whole link.';

/**
 * The invite a link's fragment text (after `#/join/`) stands for (PROTOCOL.md §14). A version 1
 * link carries it whole; a version 2 (short) link names its body on the relay, fetched here and
 * opened with the key from the link. OnboardingError `invite_damaged` (not an invite link, or a
 * body that does not open or validate), `invite_refused` (the relay no longer serves the body:
 * withdrawn, used or expired; one answer) or `invite_expired`. Anything else (OfflineError, the
 * relay busy) passes through as it is: it says nothing about the invite, and the person retries.
 */
export async function openInviteLink(api: RelayApi, encoded: string, now: number): Promise<Invite> {
  let invite: Invite;
  try {
    const link = await readInviteLink(encoded);
    if (link.version === 1) invite = link.invite;
    else {
      let fetched: { body: Uint8Array; expiresAt: number };
      try {
        fetched = await api.fetchInviteBody(link.keys.id);
      } catch (e) {
        if (e instanceof RelayApiError && e.status === 404) throw new OnboardingError('invite_refused', INVITE_GONE);
        throw e;
      }
      invite = await openInvite(link.keys, fetched.body);
    }
  } catch (e) {
    if (e instanceof ConfidantError) throw new OnboardingError('invite_damaged', DAMAGED);
    throw e;
  }
  if (isInviteExpired(invite, now)) throw new OnboardingError('invite_expired', 'This invite has expired. Ask your therapist for a new invite link.');
  return invite;
}

/**
 * The therapist withdraws a pending invite: the relay deletes it (its secret no longer
 * registers, its body is no longer served; "not found" counts as done, it is gone either way)
 * and the capability it carried is revoked, so a copy of the link opened before is no use
 * either. The local record is kept, marked withdrawn, so the inbox stops listing it.
 */
export async function revokeInvite(api: RelayApi, identity: Identity, profile: Profile, records: Records, invite: LocalInvite, now: number): Promise<LocalInvite> {
  try {
    await api.revokeInvite(identity, fromBase64url(invite.hash));
  } catch (e) {
    if (!(e instanceof RelayApiError && e.status === 404)) throw e;
  }
  try {
    await api.revokeCapability(identity, profile.mailboxId, sha256(invite.capability));
  } catch (e) {
    if (!(e instanceof RelayApiError && e.status === 404)) throw e;
  }
  const revoked = { ...invite, revokedAt: now };
  await records.saveInvite(revoked);
  return revoked;
}

/** The client's conversation with the therapist who invited them, pinned to the invite's identity. */
export function conversationFromInvite(invite: Invite, issuedCapability: Uint8Array, now: number, consentDigest: string): Conversation {
  return {
    id: identityId(invite.therapist),
    peer: encodePublicIdentity(invite.therapist),
    label: invite.practiceName,
    sendMailboxId: invite.mailboxId,
    sendCapability: invite.capability,
    issuedCapability,
    inviteHash: inviteHashOf(invite.secret),
    unread: 0,
    urgentUnread: 0,
    lastAt: now,
    consentDigest,
    consentAt: now,
    consentText: invite.consentText,
    emergencyNotice: invite.emergencyNotice,
    consentVersion: invite.consentVersion ?? 1,
  };
}
