/**
 * The risk flag on a therapist's device (issue 11): a client's message is checked by the
 * on-device detector (risk.ts) once decrypted (client/messages/message.ts `applyMessage`); a
 * flagged one keeps its categories (`StoredMessage.risk`) and marks its conversation
 * (`Conversation.riskFlaggedAt`, which the inbox orders by) until the therapist replies
 * (client/outbox/outbox.ts `enqueue`). The words are highlighted where the message is shown
 * (client/views/risk-marks.tsx). The flag stays in the vault: nothing is sent, reported or
 * blocked, and a client's device never flags the therapist's messages.
 * @module
 */
import type { Conversation, Role } from '../data/records.ts';
import { detectRisk, type RiskCategory } from './risk.ts';

/** The categories to store on a received message, or undefined when there is nothing to flag. */
export function riskOfReceived(role: Role, text: string | undefined): readonly RiskCategory[] | undefined {
  if (role !== 'therapist' || text === undefined) return undefined;
  const r = detectRisk(text);
  return r.flagged ? r.categories : undefined;
}

/** The conversation with a flagged client message received at `receivedAt` (the newest one counts). */
export const flaggedAt = (c: Conversation, receivedAt: number): Conversation => ({ ...c, riskFlaggedAt: Math.max(c.riskFlaggedAt ?? 0, receivedAt) });

/** The conversation once the therapist has replied: no flagged message waits for an answer. */
export function answered(c: Conversation): Conversation {
  if (c.riskFlaggedAt === undefined) return c;
  const { riskFlaggedAt: _answered, ...rest } = c;
  return rest;
}
