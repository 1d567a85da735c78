/**
 * The message payload (PROTOCOL.md §9): what is inside the encryption, as versioned,
 * schema-validated JSON (UTF-8), padded and ratchet-encrypted by session.ts. Everything a
 * relay must never see lives here: text, file names, MIME types, attachment keys.
 *
 * `v` is the payload version. Within one version new optional fields may be added (unknown
 * keys are dropped by older readers); a reader meeting a higher `v` reports
 * `unsupported_version` so the app can say "update to read this message".
 * Does not: encrypt, or judge content (urgency detection happens in the therapist's app).
 * @module
 */
import * as v from 'valibot';
import {
  ATTACHMENT_DIGEST_LEN,
  CAPABILITY_LEN,
  ED25519_SIGNATURE_LEN,
  KEY_LEN,
  MAX_ATTACHMENT_SIZE,
  MAX_ATTACHMENTS,
  MAX_CONSENT_VERSION,
  MAX_FILE_NAME,
  MAX_IMAGE_DIMENSION,
  MAX_MIME_TYPE,
  MAX_PLAINTEXT,
  MAX_RECEIPT_IDS,
  MAX_TEXT_LENGTH,
  SHA256_LEN,
} from './consts.ts';
import { utf8 } from './_bytes.ts';
import { ConfidantError, fail } from './errors.ts';
import { SignedPractice } from './practice.ts';
import { b64, BlobId, MailboxId, MessageId, parse, Timestamp } from './schemas.ts';

export const PAYLOAD_VERSION = 1;
const size = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_ATTACHMENT_SIZE));

export const AttachmentPointer = v.object({
  /** Relay blob id. */
  blobId: BlobId,
  /** STREAM file key (attachment.ts). */
  key: b64(KEY_LEN),
  /** Digest of the encrypted stream, checked before anything is shown. */
  digest: b64(ATTACHMENT_DIGEST_LEN),
  /** Plaintext size in bytes. */
  size,
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_FILE_NAME)),
  mime: v.pipe(v.string(), v.maxLength(MAX_MIME_TYPE), v.regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i)),
  width: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_IMAGE_DIMENSION))),
  height: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_IMAGE_DIMENSION))),
});

const base = { v: v.literal(PAYLOAD_VERSION), id: MessageId, sentAt: Timestamp };

export const MessagePayload = v.pipe(
  v.object({
    ...base,
    type: v.literal('message'),
    text: v.optional(v.pipe(v.string(), v.maxLength(MAX_TEXT_LENGTH))),
    attachments: v.optional(v.pipe(v.array(AttachmentPointer), v.maxLength(MAX_ATTACHMENTS))),
    replyTo: v.optional(MessageId),
    urgent: v.optional(v.boolean()),
  }),
  v.check((m) => (m.text?.length ?? 0) > 0 || (m.attachments?.length ?? 0) > 0, 'a message needs text or an attachment'),
);

export const ReceiptPayload = v.object({
  ...base,
  type: v.literal('receipt'),
  status: v.picklist(['delivered', 'read']),
  messageIds: v.pipe(v.array(MessageId), v.minLength(1), v.maxLength(MAX_RECEIPT_IDS)),
});

/**
 * Consent over time (PROTOCOL.md §9.2): the therapist `offer`s a version of the consent text
 * (`document` is its full text); the client `accept`s a version or `revoke`s (withdraws) their
 * consent, with `signature` by their identity key over the statement of shared/consent.ts
 * (version, `documentDigest`, the therapist's identity, `sentAt`).
 */
export const ConsentPayload = v.object({
  ...base,
  type: v.literal('consent'),
  action: v.picklist(['offer', 'accept', 'revoke']),
  /** SHA-256 of the consent document the action refers to. */
  documentDigest: b64(SHA256_LEN),
  document: v.optional(v.pipe(v.string(), v.maxLength(MAX_TEXT_LENGTH))),
  signature: v.optional(b64(ED25519_SIGNATURE_LEN)),
  /** The version of the consent text (absent: sent by a build before versions, refused on receipt). */
  version: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_CONSENT_VERSION))),
});

/**
 * The first message a client sends after joining from an invite: where the therapist writes
 * back (the client's mailbox and a delivery capability for it) and which invite it answers
 * (SHA-256 of the invite secret, so the therapist's device can match its local label).
 */
export const HelloPayload = v.object({
  ...base,
  type: v.literal('hello'),
  mailboxId: MailboxId,
  capability: b64(CAPABILITY_LEN),
  inviteHash: b64(SHA256_LEN),
});

/**
 * "I could not open the message you sent under this relay message id" (like Signal's retry
 * request / DecryptionErrorMessage): sent inside the session to a peer whose envelope opened at
 * the sealed-sender layer (so the sender is authenticated) but whose inner message did not
 * decrypt or parse. `messageId` is the relay message id of that envelope (the only name the
 * recipient has for it), `receivedAt` when the relay stored it. The sender re-seals its stored
 * copy once (client/sync/retry.ts).
 */
export const RetryPayload = v.object({
  ...base,
  type: v.literal('retry'),
  messageId: MessageId,
  receivedAt: Timestamp,
});

/**
 * The therapist's practice information (crisis lines, office hours, response time) with their
 * identity signature over it (PROTOCOL.md §9.3, shared/practice.ts). Sent to every client after
 * each change and to a new client right after its hello; a client keeps the newest revision.
 */
export const PracticePayload = v.object({ ...base, type: v.literal('practice'), ...SignedPractice.entries });

export const Payload = v.variant('type', [MessagePayload, ReceiptPayload, ConsentPayload, HelloPayload, RetryPayload, PracticePayload]);
export type Payload = v.InferOutput<typeof Payload>;
export type MessagePayload = v.InferOutput<typeof MessagePayload>;
export type ReceiptPayload = v.InferOutput<typeof ReceiptPayload>;
export type ConsentPayload = v.InferOutput<typeof ConsentPayload>;
export type HelloPayload = v.InferOutput<typeof HelloPayload>;
export type RetryPayload = v.InferOutput<typeof RetryPayload>;
export type PracticePayload = v.InferOutput<typeof PracticePayload>;
export type AttachmentPointer = v.InferOutput<typeof AttachmentPointer>;

/** Validate and encode a payload for `sealMessage`. Invalid payloads never leave the device. */
export function encodePayload(payload: Payload): Uint8Array {
  const valid = parse(Payload, payload, 'payload');
  const bytes = utf8.encode(JSON.stringify(valid));
  if (bytes.length > MAX_PLAINTEXT) throw fail('too_large', `payload is ${bytes.length} bytes, limit ${MAX_PLAINTEXT}`);
  return bytes;
}

/** Decode and validate a decrypted payload. Throws `malformed`, `unsupported_version` or `schema`. */
export function decodePayload(bytes: Uint8Array): Payload {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw new ConfidantError('malformed', 'payload is not UTF-8 JSON', { cause: e });
  }
  if (typeof json === 'object' && json !== null && 'v' in json && typeof json.v === 'number' && json.v > PAYLOAD_VERSION) {
    throw fail('unsupported_version', `payload version ${json.v}`);
  }
  return parse(Payload, json, 'payload');
}
