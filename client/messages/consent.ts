/**
 * `consent` (PROTOCOL.md §9): a consent control message about the consent text a conversation
 * runs under (`documentDigest`). This release produces one action: the client's signed `accept`
 * of the invite's text, sent by the join flow (client/account/onboarding.ts `acceptConsent`),
 * which the therapist's device records on the conversation.
 *
 * `offer` and `revoke` are in the schema for the consent workflow (consent versions, withdrawal)
 * and no version of this app sends them. Until that workflow defines what they do, a received
 * one changes nothing and is counted as ignored (`Receiver.ignored`: `consent offer`, `consent
 * revoke`), never dropped without a trace. (Revoking a delivery capability is not a payload:
 * it is done at the relay, and the peer learns it from the 403 on its next send, which marks the
 * conversation disconnected: client/outbox/delivery.ts `markDisconnected`.)
 * @module
 */
import type { ConsentPayload } from '../../shared/payload.ts';
import { payloadOf, type FieldsOf, type Handler } from './context.ts';

/** A consent payload; the join flow sends `{ action: 'accept', ...acceptConsent(...) }`. */
export const buildConsent = (fields: FieldsOf<'consent'>, sentAt: number): ConsentPayload => payloadOf('consent', fields, sentAt);

export const applyConsent: Handler<ConsentPayload> = async (payload, { writer, conversation, ignore }) => {
  if (!conversation) return ignore('consent from no conversation'), undefined;
  switch (payload.action) {
    case 'accept':
      writer.setConversation({ ...conversation, consentDigest: payload.documentDigest, consentAt: payload.sentAt });
      return conversation.id;
    case 'offer':
    case 'revoke':
      ignore(`consent ${payload.action}`);
      return conversation.id;
  }
};
