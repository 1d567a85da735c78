/**
 * `consent` (PROTOCOL.md §9.2): consent over time between a client and their therapist.
 *
 * - `offer` (therapist → client): a new version of the consent text, in full. The client keeps
 *   it as `consentOffer` and must accept it before writing again (client/account/consent.ts).
 *   Only from the pinned therapist, only a version newer than what the client holds, and only
 *   when the text is the one the digest names.
 * - `accept` / `revoke` (client → therapist): the client accepted a version, or withdrew their
 *   consent, signed by their identity key over the statement of shared/consent.ts. The therapist's
 *   device records it only when the version is one it issued, the digest is that version's text
 *   and the signature holds; anything else is refused without changing anything (counted in
 *   `Receiver.ignored`). Both sides keep every statement as a record (client/data/consent.ts).
 *
 * Re-delivery (a re-send after a retry request, client/messages/retry.ts) changes nothing: the
 * record's key is its statement, and the conversation's state only moves forward in time.
 * @module
 */
import { consentTextDigest, verifyConsent, type ConsentStatement } from '../../shared/consent.ts';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { SHA256_LEN } from '../../shared/consts.ts';
import type { ConsentPayload } from '../../shared/payload.ts';
import { DEFAULT_CONSENT_TEXT } from '../account/onboarding.ts';
import { consentRecordOp, currentConsentVersion, issuedConsentVersion } from '../data/consent.ts';
import { addressOf, type Conversation } from '../data/records.ts';
import { payloadOf, type FieldsOf, type Handler, type ReceiveContext } from './context.ts';

/** A consent payload (the flows in client/account/consent.ts and the join flow build them). */
export const buildConsent = (fields: FieldsOf<'consent'>, sentAt: number): ConsentPayload => payloadOf('consent', fields, sentAt);

/** The statement a client's `accept` or `revoke` signs (shared/consent.ts). */
export const statementOf = (payload: ConsentPayload & { version: number }, therapist: Uint8Array): ConsentStatement => ({
  action: payload.action === 'revoke' ? 'withdraw' : 'accept',
  version: payload.version,
  digest: fromBase64url(payload.documentDigest, SHA256_LEN),
  therapist,
  at: payload.sentAt,
});

/** The time of the conversation's latest consent event (acceptance or withdrawal). */
const latestConsentEvent = (c: Conversation): number => Math.max(c.consentAt ?? 0, c.consentWithdrawnAt ?? 0);

export const applyConsent: Handler<ConsentPayload> = async (payload, ctx) => {
  const { conversation, ignore } = ctx;
  if (!conversation) return ignore('consent from no conversation'), undefined;
  if (ctx.profile.role === 'client') {
    if (payload.action !== 'offer') return ignore(`consent ${payload.action} to a client`), undefined;
    return applyOffer(payload, conversation, ctx);
  }
  if (payload.action === 'offer') return ignore('consent offer to a therapist'), undefined;
  return applyStatement(payload, conversation, ctx);
};

function applyOffer(payload: ConsentPayload, conversation: Conversation, { writer, address, ignore }: ReceiveContext): string | undefined {
  // Only the therapist this conversation is pinned to offers its consent text (not a pending identity).
  if (address !== addressOf(conversation)) return ignore('consent offer not from the pinned therapist'), undefined;
  const { version, document } = payload;
  if (version === undefined || document === undefined || document.length === 0) return ignore('consent offer without version or text'), undefined;
  if (toBase64url(consentTextDigest(document)) !== payload.documentDigest) return ignore('consent offer whose text is not its digest'), undefined;
  const held = Math.max(conversation.consentVersion ?? 1, conversation.consentOffer?.version ?? 0);
  if (version <= held) return ignore('consent offer not newer than the version held'), undefined;
  writer.setConversation({ ...conversation, consentOffer: { version, text: document, digest: payload.documentDigest, at: payload.sentAt } });
  return conversation.id;
}

async function applyStatement(payload: ConsentPayload, conversation: Conversation, { writer, records, profile, sender, self, ignore }: ReceiveContext): Promise<string | undefined> {
  const { version, signature } = payload;
  if (version === undefined || signature === undefined) return ignore(`consent ${payload.action} without version or signature`), undefined;
  // The stored profile, not the session's copy: the therapist may have published a version since.
  const current = currentConsentVersion((await records.profile()) ?? profile, DEFAULT_CONSENT_TEXT);
  const issued = await issuedConsentVersion(records, current, version);
  if (!issued || issued.digest !== payload.documentDigest) return ignore(`consent ${payload.action} of an unknown version`), undefined;
  const statement = statementOf({ ...payload, version }, self.signingKey);
  const sig = fromBase64url(signature);
  if (!(await verifyConsent(sender.signingKey, statement, sig))) return ignore(`consent ${payload.action} with a bad signature`), undefined;

  writer.ops.push(consentRecordOp(conversation.id, { ...statement, text: issued.text, signature: sig, signer: sender.signingKey }));
  // Forward in time only: an older statement (or this one again) is history, not the state.
  if (payload.sentAt <= latestConsentEvent(conversation)) return conversation.id;
  if (payload.action === 'accept') {
    const { consentWithdrawnAt: _withdrawn, ...rest } = conversation;
    writer.setConversation({ ...rest, consentVersion: version, consentDigest: payload.documentDigest, consentAt: payload.sentAt });
  } else {
    writer.setConversation({ ...conversation, consentWithdrawnAt: payload.sentAt });
  }
  return conversation.id;
}
