/**
 * `practice` (PROTOCOL.md §9.3, shared/practice.ts): the therapist's signed practice
 * information (crisis lines, office hours, expected response time).
 *
 * - Therapist: saving it in settings (`publishPractice`) signs a new revision, keeps it in the
 *   profile and queues it to every conversation through the outbox; a client who joins gets the
 *   current one right after their hello (`practiceOutboxOp`, called by client/messages/hello.ts,
 *   so it is queued in the same transaction that creates the conversation).
 * - Client: a received one is verified against the therapist identity pinned from the invite
 *   and kept on the conversation when its revision is higher than the one kept; anything else
 *   (a bad signature, an older or repeated revision, one from no pinned therapist) changes
 *   nothing and is counted (`ignore`). Until one arrives the invite's emergency notice stands.
 * @module
 */
import { decodePublicIdentity, type Identity } from '../../shared/keys.ts';
import { encodePayload, type PracticePayload } from '../../shared/payload.ts';
import { ConfidantError } from '../../shared/errors.ts';
import { isNewerPractice, signPractice, verifyPractice, type PracticeInfo, type SignedPractice } from '../../shared/practice.ts';
import { addressOf, outboxKey, type Profile, type Records } from '../data/records.ts';
import type { Outbox } from '../outbox/outbox.ts';
import { payloadOf, type Handler } from './context.ts';

/** What the therapist edits; the revision and the time are set when it is signed. */
export type PracticeEdit = Omit<PracticeInfo, 'revision' | 'issuedAt'>;

export const buildPractice = (signed: SignedPractice, sentAt: number): PracticePayload => payloadOf('practice', { info: signed.info, signature: signed.signature }, sentAt);

/** The outbox record that sends `signed` to a conversation (for a batch with other records). */
export function practiceOutboxOp(records: Records, conversationId: string, signed: SignedPractice, now: number): ReturnType<Records['outboxOp']> {
  const payload = buildPractice(signed, now);
  return records.outboxOp({ key: outboxKey(now), conversationId, messageId: payload.id, payload: encodePayload(payload), createdAt: now, attempts: 0 });
}

/**
 * Saves the therapist's edit as the next revision, signed, in the profile (the practice name
 * too, which new invites carry), then queues it to every conversation still connected. Returns
 * the profile as saved. Sending is the caller's flush.
 */
export async function publishPractice(deps: { records: Records; outbox: Outbox; identity: Identity }, edit: PracticeEdit, now: number): Promise<Profile> {
  const { records, outbox, identity } = deps;
  const profile = await records.profile();
  if (!profile || profile.role !== 'therapist') throw new Error('Only a therapist publishes practice information');
  const revision = (profile.practice?.info.revision ?? 0) + 1;
  const signed = await signPractice(identity, { ...edit, revision, issuedAt: now });
  const next: Profile = { ...profile, practiceName: signed.info.practiceName, practice: signed };
  await records.saveProfile(next);
  for (const c of await records.conversations()) {
    if (c.disconnectedAt === undefined) await outbox.enqueue(c, buildPractice(signed, now));
  }
  return next;
}

export const applyPractice: Handler<PracticePayload> = async (payload, { profile, conversation, address, writer, ignore }) => {
  if (profile.role !== 'client') return ignore('practice to a therapist'), undefined;
  // Only from the therapist pinned for this conversation, not from an identity still pending.
  if (!conversation || addressOf(conversation) !== address) return ignore('practice from no pinned therapist'), undefined;
  let verified: SignedPractice;
  try {
    verified = await verifyPractice({ info: payload.info, signature: payload.signature }, decodePublicIdentity(conversation.peer).signingKey);
  } catch (e) {
    if (ConfidantError.is(e, 'bad_signature')) return ignore('practice signature'), undefined;
    throw e;
  }
  if (!isNewerPractice(verified.info, conversation.practice?.info)) return ignore('practice not newer'), undefined;
  writer.setConversation({ ...conversation, practice: verified });
  return conversation.id;
};
