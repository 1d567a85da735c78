/**
 * The consent flows (PROTOCOL.md §9.2; the message kind is client/messages/consent.ts, the
 * records client/data/consent.ts): the therapist publishes a new version of the consent text to
 * every conversation; the client accepts a version (the invite's at joining, a newer one before
 * writing again) or withdraws their consent. The app (client/state/session.ts) and the tests
 * both call these.
 *
 * Each queues its payload in the outbox first and then records what it did, so a crash in
 * between leaves a statement sent and not yet shown (doing it again is harmless) rather than one
 * shown and never sent.
 * @module
 */
import { signConsent, type ConsentAction } from '../../shared/consent.ts';
import { MAX_CONSENT_TEXT, SHA256_LEN } from '../../shared/consts.ts';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { decodePublicIdentity, type Identity } from '../../shared/keys.ts';
import { consentRecordOp, consentVersionOf, consentVersionOp, currentConsentVersion, type ConsentRecord } from '../data/consent.ts';
import type { ConsentOffer, Conversation, Profile, Records } from '../data/records.ts';
import { buildConsent } from '../messages/consent.ts';
import type { Outbox } from '../outbox/outbox.ts';
import { DEFAULT_CONSENT_TEXT } from './onboarding.ts';

export interface ConsentDeps {
  readonly records: Records;
  readonly outbox: Outbox;
  readonly now: () => number;
}

/** What a client must accept before writing: a newer version offered, or, after withdrawing, the version they withdrew. */
export function consentToAccept(c: Conversation): ConsentOffer | undefined {
  if (c.consentOffer && c.consentOffer.version > (c.consentVersion ?? 1)) return c.consentOffer;
  if (c.consentWithdrawnAt !== undefined && c.consentText !== undefined && c.consentDigest !== undefined) {
    return { version: c.consentVersion ?? 1, text: c.consentText, digest: c.consentDigest, at: c.consentAt ?? 0 };
  }
  return undefined;
}

/**
 * The therapist saves a new consent text: it becomes version current + 1 (the one before is
 * kept, so acceptances of it still verify) and is offered, in full, to every conversation still
 * connected. The same text again is no new version. Returns the profile as saved.
 */
export async function publishConsentVersion(deps: ConsentDeps, text: string): Promise<Profile> {
  const { records } = deps;
  const profile = await records.profile();
  if (!profile || profile.role !== 'therapist') throw new Error('Only a therapist publishes consent text');
  if (text.trim().length === 0 || text.length > MAX_CONSENT_TEXT) throw new RangeError(`The consent text must be 1 to ${MAX_CONSENT_TEXT} characters`);
  const current = currentConsentVersion(profile, DEFAULT_CONSENT_TEXT);
  if (text === current.text) return profile;
  const now = deps.now();
  const next = consentVersionOf(current.version + 1, text, now);
  await records.putJSONMany([consentVersionOp(current), consentVersionOp(next)]);
  const saved: Profile = { ...profile, consentText: text, consentVersion: next.version };
  await records.saveProfile(saved);
  for (const c of await records.conversations()) {
    if (c.disconnectedAt !== undefined) continue;
    await deps.outbox.enqueue(c, buildConsent({ action: 'offer', version: next.version, document: text, documentDigest: next.digest }, now));
  }
  return saved;
}

/**
 * A client's signed statement about `version` of their therapist's consent text: the record it
 * makes, and its payload (`accept` or `revoke`). `therapist` is the conversation's pinned peer.
 */
export async function consentStatement(
  identity: Identity,
  therapist: Uint8Array,
  action: ConsentAction,
  version: Pick<ConsentOffer, 'version' | 'digest'> & { readonly text?: string | undefined },
  at: number,
): Promise<{ record: ConsentRecord; payload: ReturnType<typeof buildConsent> }> {
  const therapistKey = decodePublicIdentity(therapist).signingKey;
  const digest = fromBase64url(version.digest, SHA256_LEN);
  const signature = await signConsent(identity, { action, version: version.version, digest, therapist: therapistKey, at });
  const record: ConsentRecord = {
    action,
    version: version.version,
    ...(version.text !== undefined ? { text: version.text } : {}),
    digest,
    at,
    signature,
    signer: identity.publicIdentity.signingKey,
    therapist: therapistKey,
  };
  const payload = buildConsent({ action: action === 'accept' ? 'accept' : 'revoke', version: version.version, documentDigest: version.digest, signature: toBase64url(signature) }, at);
  return { record, payload };
}

/** The client accepts what `consentToAccept` names; writing reopens. Returns false when there was nothing to accept. */
export async function acceptConsentVersion(deps: ConsentDeps & { identity: Identity }, conversationId: string): Promise<boolean> {
  const c = await deps.records.conversation(conversationId);
  const target = c && consentToAccept(c);
  if (!c || !target) return false;
  const at = deps.now();
  const { record, payload } = await consentStatement(deps.identity, c.peer, 'accept', target, at);
  await deps.outbox.enqueue(c, payload);
  const fresh = (await deps.records.conversation(conversationId)) ?? c;
  const { consentWithdrawnAt: _withdrawn, consentOffer, ...rest } = fresh;
  const updated: Conversation = {
    ...rest,
    ...(consentOffer && consentOffer.version > target.version ? { consentOffer } : {}),
    consentVersion: target.version,
    consentText: target.text,
    consentDigest: target.digest,
    consentAt: at,
  };
  await deps.records.putJSONMany([deps.records.conversationOp(updated), consentRecordOp(conversationId, record)]);
  return true;
}

/** The client withdraws their consent (to the version they last accepted): writing closes until they accept again. */
export async function withdrawConsent(deps: ConsentDeps & { identity: Identity }, conversationId: string): Promise<boolean> {
  const c = await deps.records.conversation(conversationId);
  if (!c || c.consentWithdrawnAt !== undefined || c.consentDigest === undefined) return false;
  const at = deps.now();
  const version = { version: c.consentVersion ?? 1, digest: c.consentDigest, text: c.consentText };
  const { record, payload } = await consentStatement(deps.identity, c.peer, 'withdraw', version, at);
  await deps.outbox.enqueue(c, payload);
  const fresh = (await deps.records.conversation(conversationId)) ?? c;
  await deps.records.putJSONMany([deps.records.conversationOp({ ...fresh, consentWithdrawnAt: at }), consentRecordOp(conversationId, record)]);
  return true;
}
