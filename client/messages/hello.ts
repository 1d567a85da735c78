/**
 * `hello` (PROTOCOL.md §9, §14): the first message of a client who joined from an invite: where
 * the therapist writes back (the client's mailbox and a delivery capability for it) and which
 * invite it answers. Built by the join flow; applied on the therapist's device, which creates
 * the conversation (or, for a re-invite, holds the new identity until the therapist confirms it:
 * client/account/replaced-device.ts).
 * @module
 */
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { encodePublicIdentity } from '../../shared/keys.ts';
import type { HelloPayload } from '../../shared/payload.ts';
import { addressOf, type Conversation } from '../data/records.ts';
import { payloadOf, type Handler } from './context.ts';
import { practiceOutboxOp } from './practice.ts';

export const buildHello = (to: { mailboxId: Uint8Array; capability: Uint8Array; inviteHash: string }, sentAt: number): HelloPayload =>
  payloadOf('hello', { mailboxId: toBase64url(to.mailboxId), capability: toBase64url(to.capability), inviteHash: to.inviteHash }, sentAt);

export const applyHello: Handler<HelloPayload> = async (payload, { records, writer, profile, sender, address, conversation, receivedAt, now, ignore }) => {
  if (profile.role !== 'therapist') return ignore('hello to a client'), undefined;
  const invite = await records.invite(payload.inviteHash);
  const replaced = invite?.replaces ? await writer.byId(invite.replaces) : undefined;
  const sendMailboxId = fromBase64url(payload.mailboxId, 16);
  const sendCapability = fromBase64url(payload.capability, 32);
  if (invite && replaced && addressOf(replaced) !== address && !conversation) {
    // The person joined again from a re-invite (a new device): a new identity for an
    // existing conversation. Sending stays blocked until the therapist acknowledges it.
    writer.setConversation({
      ...replaced,
      pendingIdentity: encodePublicIdentity(sender),
      pendingAddress: address,
      sendMailboxId,
      sendCapability,
      // The old device keeps its capability until the new identity is confirmed (account/replaced-device.ts).
      pendingIssuedCapability: invite.capability,
      lastAt: Math.max(replaced.lastAt, receivedAt),
    });
    if (!invite.usedBy) writer.putInvite({ ...invite, usedBy: replaced.id });
    await queuePractice(replaced.id);
    return replaced.id;
  }
  const base: Conversation = conversation ?? {
    id: address,
    peer: encodePublicIdentity(sender),
    label: invite?.label ?? 'New client',
    unread: 0,
    urgentUnread: 0,
    lastAt: receivedAt,
  };
  const updated: Conversation = {
    ...base,
    sendMailboxId,
    sendCapability,
    ...(invite ? { inviteHash: invite.hash, issuedCapability: invite.capability } : {}),
  };
  writer.setConversation(updated);
  if (invite && !invite.usedBy) writer.putInvite({ ...invite, usedBy: updated.id });
  await queuePractice(updated.id);
  return updated.id;

  /** The current practice information, to the client who just joined (client/messages/practice.ts). */
  async function queuePractice(conversationId: string): Promise<void> {
    const practice = (await records.profile())?.practice;
    if (practice) writer.ops.push(practiceOutboxOp(records, conversationId, practice, now));
  }
};
