/**
 * The shape of every record the app keeps in the vault (records.ts), as valibot schemas, so a
 * record read back is checked before anyone uses it: one written by an older build or damaged
 * on disk is a VaultError `malformed` at the read, naming the collection and the field, not a
 * crash three calls later. The message never carries the value (it may be a message's text).
 *
 * Each schema is built from its interface in records.ts: `recordOf<T>()` wants a schema for
 * every field of T whose output is that field's type, so a field added to an interface and not
 * here does not compile. Objects are loose: fields a newer build added are kept, not dropped,
 * so a record read and saved again loses nothing.
 * @module
 */
import * as v from 'valibot';
import { RISK_CATEGORIES } from '../triage/risk.ts';
import { SignedPractice } from '../../shared/practice.ts';
import { VaultError } from '../vault/errors.ts';
import type { AttachmentMeta, Conversation, Draft, LocalInvite, OutboxItem, Profile, RetryAsk, SentRecord, StoredMessage } from './records.ts';

export type FieldSchemas<T> = { readonly [K in keyof T]-?: v.GenericSchema<unknown, T[K]> };

/** A loose object schema for T, with one entry per field of T. */
export const recordOf =
  <T>() =>
  (entries: FieldSchemas<T>): v.GenericSchema<unknown, T> =>
    v.looseObject(entries as v.ObjectEntries) as unknown as v.GenericSchema<unknown, T>;

const bytes = v.instance(Uint8Array);
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const time = v.number();

export const ProfileSchema = recordOf<Profile>()({
  role: v.picklist(['therapist', 'client']),
  practiceName: v.string(),
  mailboxId: bytes,
  createdAt: time,
  consentText: v.optional(v.string()),
  emergencyNotice: v.optional(v.string()),
  autoLockMinutes: v.number(),
  provisionedAt: v.optional(time),
  consentVersion: v.optional(count),
  restoredFrom: v.optional(v.object({ backupAt: time, at: time, done: v.optional(v.boolean()) })),
  practice: v.optional(SignedPractice),
});

export const AttachmentMetaSchema = recordOf<AttachmentMeta>()({
  blobId: v.string(),
  key: bytes,
  digest: bytes,
  size: count,
  name: v.string(),
  mime: v.string(),
});

export const StoredMessageSchema = recordOf<StoredMessage>()({
  id: v.string(),
  mine: v.boolean(),
  text: v.optional(v.string()),
  urgent: v.optional(v.boolean()),
  replyTo: v.optional(v.string()),
  attachments: v.optional(v.array(AttachmentMetaSchema)),
  sentAt: time,
  receivedAt: v.optional(time),
  status: v.picklist(['queued', 'sent', 'delivered', 'read', 'failed']),
  readSent: v.optional(v.boolean()),
  relayAt: v.optional(time),
  notice: v.optional(v.picklist(['unopenable', 'restored'])),
  risk: v.optional(v.array(v.picklist(RISK_CATEGORIES))),
});

export const ConversationSchema = recordOf<Conversation>()({
  id: v.string(),
  address: v.optional(v.string()),
  peer: bytes,
  label: v.string(),
  sendMailboxId: v.optional(bytes),
  sendCapability: v.optional(bytes),
  issuedCapability: v.optional(bytes),
  inviteHash: v.optional(v.string()),
  unread: count,
  urgentUnread: count,
  lastAt: time,
  pendingIdentity: v.optional(bytes),
  pendingAddress: v.optional(v.string()),
  verifiedAt: v.optional(time),
  consentDigest: v.optional(v.string()),
  consentAt: v.optional(time),
  pendingIssuedCapability: v.optional(bytes),
  retiredCapabilities: v.optional(v.array(bytes)),
  disconnectedAt: v.optional(time),
  emergencyNotice: v.optional(v.string()),
  consentText: v.optional(v.string()),
  riskFlaggedAt: v.optional(time),
  consentVersion: v.optional(count),
  consentWithdrawnAt: v.optional(time),
  consentOffer: v.optional(v.looseObject({ version: count, text: v.string(), digest: v.string(), at: time })),
  waitingSince: v.optional(time),
  urgentSince: v.optional(time),
  statusByHand: v.optional(v.picklist(['needs-reply', 'waiting', 'done'])),
  snoozedUntil: v.optional(time),
  labels: v.optional(v.array(v.string())),
  privateNote: v.optional(v.string()),
  practice: v.optional(SignedPractice),
});

export const LocalInviteSchema = recordOf<LocalInvite>()({
  hash: v.string(),
  label: v.string(),
  link: v.string(),
  capability: bytes,
  createdAt: time,
  expiresAt: time,
  usedBy: v.optional(v.string()),
  replaces: v.optional(v.string()),
  revokedAt: v.optional(time),
});

export const OutboxItemSchema = recordOf<OutboxItem>()({
  key: v.string(),
  conversationId: v.string(),
  messageId: v.string(),
  payload: bytes,
  envelope: v.optional(bytes),
  createdAt: time,
  attempts: count,
  failed: v.optional(v.string()),
  relayId: v.optional(v.string()),
  resendOf: v.optional(v.string()),
});

export const SentRecordSchema = recordOf<SentRecord>()({
  relayId: v.string(),
  conversationId: v.string(),
  messageId: v.string(),
  payload: bytes,
  sentAt: time,
  resendOf: v.optional(v.string()),
  resent: v.optional(v.boolean()),
});

export const RetryAskSchema = recordOf<RetryAsk>()({
  relayId: v.string(),
  askedAt: time,
});

export const DraftSchema = recordOf<Draft>()({
  text: v.string(),
  urgent: v.optional(v.boolean()),
  replyTo: v.optional(v.string()),
  savedAt: time,
});

/** `value` as read from `collection`, checked against `schema`; VaultError `malformed` when it does not match. */
export function checked<T>(schema: v.GenericSchema<unknown, T>, collection: string, value: unknown): T {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issue = result.issues[0];
  // The path names fields (and list positions); `expected` comes from the schema. Never `received`: it quotes the value.
  throw new VaultError('malformed', `a ${collection} record does not match its type at ${v.getDotPath(issue) ?? 'the record'}: expected ${issue.expected ?? issue.type}`);
}
