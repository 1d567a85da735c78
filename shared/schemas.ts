/**
 * Schemas (valibot) for every JSON structure that crosses a trust boundary over HTTP: what the
 * relay accepts, and what a device accepts from the relay (the live socket's frames: live.ts).
 * Bytes travel as unpadded base64url of an exact length; numbers are bounded integers; unknown
 * keys are dropped. The relay validates each request body against these before any handler runs;
 * the device validates each answer it reads (client/api/relay.ts).
 * @module
 */
import * as v from 'valibot';
import {
  ED25519_PUBLIC_LEN,
  ED25519_SIGNATURE_LEN,
  INVITE_ID_LEN,
  INVITE_SECRET_LEN,
  MAX_INVITE_BODY,
  PAD_MIN,
  MAILBOX_ID_LEN,
  MAX_MESSAGES_PER_PAGE,
  MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
  MAX_PUSH_ENDPOINT_LEN,
  MAX_TIMESTAMP,
  MESSAGE_ID_LEN,
  MLKEM768_PUBLIC_LEN,
  PUSH_AUTH_LEN,
  PUSH_P256DH_LEN,
  REGISTRATION_CODE_LEN,
  REQUEST_TIME_MAX_DIGITS,
  SHA256_LEN,
  X25519_LEN,
} from './consts.ts';
import { AEAD_TAG_LEN } from './_aead.ts';
import { base64urlLength, fromBase64url, toBase64url } from './encoding.ts';
import { ConfidantError } from './errors.ts';
import { decodePublicIdentity, encodePublicIdentity, PUBLIC_IDENTITY_LEN } from './keys.ts';
import type { PreKeyBundle } from './prekeys.ts';

/** base64url text of exactly `n` bytes (also checks it decodes, i.e. canonical final character). */
export function b64(n: number) {
  return v.pipe(
    v.string(),
    v.length(base64urlLength(n), `expected base64url of ${n} bytes`),
    v.regex(/^[A-Za-z0-9_-]*$/, 'expected unpadded base64url'),
    v.check((s) => {
      try {
        fromBase64url(s, n);
        return true;
      } catch {
        return false;
      }
    }, `expected canonical base64url of ${n} bytes`),
  );
}

export const uint32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff));
/** A count the relay reports (messages deleted, prekeys held, bytes stored). */
export const Count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
/** A mailbox's message sequence number, as the relay assigns it. */
export const Seq = Count;
/** Milliseconds since the epoch, within what a JavaScript Date can hold. */
export const Timestamp = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_TIMESTAMP));
/** A signed request's time (request-auth.ts) as header text: decimal milliseconds, REQUEST_TIME_MAX_DIGITS at most. */
export const RequestTime = v.pipe(v.string(), v.regex(new RegExp(`^\\d{1,${REQUEST_TIME_MAX_DIGITS}}$`)));
/** Unpadded base64url of any length (an envelope); its content is checked where it is opened. */
export const Base64url = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]*$/, 'expected unpadded base64url'));

export const MailboxId = b64(MAILBOX_ID_LEN);
/** A relay blob id as the relay writes it (base64url; 16 random bytes today, room for longer). */
export const BlobId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,64}$/));
export const MessageId = b64(MESSAGE_ID_LEN);
export const PublicIdentityJson = b64(PUBLIC_IDENTITY_LEN);

export const SignedPreKeyJson = v.object({ id: uint32, publicKey: b64(X25519_LEN), signature: b64(ED25519_SIGNATURE_LEN) });
export const KemPreKeyJson = v.object({ id: uint32, publicKey: b64(MLKEM768_PUBLIC_LEN), signature: b64(ED25519_SIGNATURE_LEN) });
export const OneTimePreKeyJson = v.object({ id: uint32, publicKey: b64(X25519_LEN) });

export const PreKeyBundleJson = v.object({
  identity: PublicIdentityJson,
  signedPreKey: SignedPreKeyJson,
  kemPreKey: KemPreKeyJson,
  oneTimePreKey: v.optional(OneTimePreKeyJson),
});
export type PreKeyBundleJson = v.InferOutput<typeof PreKeyBundleJson>;

/** A device's Ed25519 signing key as the relay knows it (its account id). */
export const SigningKeyJson = b64(ED25519_PUBLIC_LEN);

// Relay request bodies (docs/API.md).

/** `POST /v1/accounts/therapist`: the new identity and an operator-minted code. */
export const TherapistRegistrationJson = v.object({ identity: PublicIdentityJson, registrationCode: b64(REGISTRATION_CODE_LEN) });
/** An encrypted short-invite body (short-invite.ts): the padded JSON (at least PAD_MIN) and its tag, at most MAX_INVITE_BODY. */
export const InviteBody = v.pipe(
  Base64url,
  v.minLength(base64urlLength(PAD_MIN + AEAD_TAG_LEN), 'invite body too short'),
  v.maxLength(base64urlLength(MAX_INVITE_BODY), 'invite body too large'),
  v.check((s) => s.length % 4 !== 1, 'expected canonical base64url'),
);
/**
 * `POST /v1/invites`: SHA-256 of the invite secret the therapist gives the client; for a short
 * invite (PROTOCOL.md §14, version 2) also its body's id and the encrypted body, both or neither.
 */
export const InviteJson = v.pipe(
  v.object({ inviteHash: b64(SHA256_LEN), id: v.optional(b64(INVITE_ID_LEN)), body: v.optional(InviteBody) }),
  v.check((o) => (o.id === undefined) === (o.body === undefined), 'id and body go together'),
);
/** `POST /v1/invites/revoke`: the hash of the invite to withdraw (the therapist's own, unused). */
export const InviteRevokeJson = v.object({ inviteHash: b64(SHA256_LEN) });
/**
 * `POST /v1/invites/check`: the invite secret itself (as registration sends it, never its hash),
 * so only the link's holder can ask.
 */
export const InviteCheckJson = v.object({ invite: b64(INVITE_SECRET_LEN) });
/** `POST /v1/accounts/client`: the new identity and the invite secret. */
export const ClientRegistrationJson = v.object({ identity: PublicIdentityJson, invite: b64(INVITE_SECRET_LEN) });
/** `POST /v1/prekeys/one-time`: 1..MAX_ONE_TIME_PREKEYS_PER_UPLOAD keys. */
export const OneTimePreKeysUploadJson = v.object({
  preKeys: v.pipe(v.array(OneTimePreKeyJson), v.minLength(1), v.maxLength(MAX_ONE_TIME_PREKEYS_PER_UPLOAD)),
});
/** `POST /v1/mailboxes`: a mailbox id of 16 random bytes the client chose. */
export const MailboxCreateJson = v.object({ mailboxId: MailboxId });
/** `POST /v1/mailboxes/:id/capabilities`: SHA-256 of a 32-byte delivery capability secret. */
export const CapabilityJson = v.object({ capabilityHash: b64(SHA256_LEN) });
/** `POST /v1/mailboxes/:id/ack`: 1..MAX_MESSAGES_PER_PAGE message ids. */
export const AckJson = v.object({
  messageIds: v.pipe(v.array(MessageId), v.minLength(1), v.maxLength(MAX_MESSAGES_PER_PAGE)),
});
/** `GET /v1/bundles/:key` answer: a bundle plus how many one-time prekeys the device has left. */
export const BundleResponseJson = v.object({ ...PreKeyBundleJson.entries, oneTimePreKeysLeft: v.pipe(v.number(), v.integer(), v.minValue(0)) });
export type BundleResponseJson = v.InferOutput<typeof BundleResponseJson>;

// Relay response bodies (docs/API.md): what the relay answers (relay/reply.ts builds every 2xx
// JSON answer against one of these) and what a device accepts (client/api/relay.ts parses each).

/** Every 4xx/5xx answer (relay/errors.ts). */
export const ErrorResponseJson = v.object({ error: v.object({ code: v.string(), message: v.string() }) });
/** `GET /healthz` 200: the store answered. */
export const HealthJson = v.object({ ok: v.literal(true) });
/** `POST /v1/accounts/therapist` and `/client` 201: the kind of account made. */
export const AccountCreatedJson = v.object({ kind: v.picklist(['therapist', 'client']) });
/** `PUT /v1/prekeys/signed` and `/kem` 200: the id of the prekey now current. */
export const PreKeyStoredJson = v.object({ id: uint32 });
/** `POST /v1/mailboxes` 201: the mailbox id, as sent. */
export const MailboxCreatedJson = v.object({ mailboxId: MailboxId });
/** `POST /v1/mailboxes/:id/capabilities` 201: nothing to say. */
export const CapabilityAddedJson = v.object({});
/** `POST /v1/invites` 201: when the invite expires. */
export const InviteCreatedJson = v.object({ expiresAt: Timestamp });
/** `POST /v1/invites/check` 200: the invite can be used until `expiresAt`. */
export const InviteCheckedJson = v.object({ valid: v.literal(true), expiresAt: Timestamp });
/** `GET /v1/invites/:id` 200: a short invite's encrypted body and when the invite expires. */
export const InviteBodyJson = v.object({ body: InviteBody, expiresAt: Timestamp });
/** `POST /v1/invites/revoke` 200. */
export const InviteRevokedJson = v.object({ revoked: v.literal(true) });
/** `POST /v1/prekeys/one-time` 200: one-time prekeys the account now holds. */
export const OneTimePreKeysStoredJson = v.object({ count: Count });
/** `GET /v1/prekeys/count` 200. */
/** `DELETE /v1/prekeys/one-time`'s answer. */
export const PreKeysClearedJson = v.object({ cleared: Count });
export const PreKeyCountJson = v.object({ oneTime: Count });
/** `POST /v1/messages` 201 (stored) or 200 (the same message again). */
export const MessageStoredJson = v.object({ seq: Seq });
/** One stored message in a `GET /v1/mailboxes/:id/messages` page. */
export const StoredMessageJson = v.object({ seq: Seq, messageId: MessageId, envelope: Base64url, receivedAt: Timestamp });
/** `GET /v1/mailboxes/:id/messages` 200: oldest first; `more` when a further page exists. */
export const MessagesPageJson = v.object({ messages: v.pipe(v.array(StoredMessageJson), v.maxLength(MAX_MESSAGES_PER_PAGE)), more: v.boolean() });
/** `POST /v1/mailboxes/:id/ack` 200. */
export const AckedJson = v.object({ deleted: Count });
/** `POST /v1/blobs` 201: the id the relay chose and the bytes it stored. */
/** The upload's answer; `deleteToken` (32 bytes) is shown once and is what `DELETE /v1/blobs/:id` takes. */
export const BlobStoredJson = v.object({ blobId: BlobId, size: Count, deleteToken: v.optional(b64(32)) });

/** Validate `input` against `schema`, or throw ConfidantError('schema') naming the first bad path. */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') || '(root)';
  throw new ConfidantError('schema', `${what}: ${path}: ${issue.message}`);
}

export function bundleToJson(b: PreKeyBundle): PreKeyBundleJson {
  return {
    identity: toBase64url(encodePublicIdentity(b.identity)),
    signedPreKey: { id: b.signedPreKey.id, publicKey: toBase64url(b.signedPreKey.publicKey), signature: toBase64url(b.signedPreKey.signature) },
    kemPreKey: { id: b.kemPreKey.id, publicKey: toBase64url(b.kemPreKey.publicKey), signature: toBase64url(b.kemPreKey.signature) },
    ...(b.oneTimePreKey ? { oneTimePreKey: { id: b.oneTimePreKey.id, publicKey: toBase64url(b.oneTimePreKey.publicKey) } } : {}),
  };
}

/** Parse untrusted JSON into a bundle. Signatures are NOT verified here: `verifyBundle` does that. */
export function bundleFromJson(input: unknown): PreKeyBundle {
  const j = parse(PreKeyBundleJson, input, 'prekey bundle');
  return {
    identity: decodePublicIdentity(fromBase64url(j.identity)),
    signedPreKey: { id: j.signedPreKey.id, publicKey: fromBase64url(j.signedPreKey.publicKey), signature: fromBase64url(j.signedPreKey.signature) },
    kemPreKey: { id: j.kemPreKey.id, publicKey: fromBase64url(j.kemPreKey.publicKey), signature: fromBase64url(j.kemPreKey.signature) },
    ...(j.oneTimePreKey ? { oneTimePreKey: { id: j.oneTimePreKey.id, publicKey: fromBase64url(j.oneTimePreKey.publicKey) } } : {}),
  };
}

// Push notifications (docs/API.md "Push"; issue 11).

/** A push endpoint as text; the relay's rules for it (https, public host) are in relay/push/endpoint.ts. */
export const PushEndpoint = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_PUSH_ENDPOINT_LEN));
/**
 * `PUT /v1/push/subscription`: the browser's `PushSubscription.toJSON()` (its `expirationTime`
 * is dropped with any other unknown key).
 */
export const PushSubscriptionJson = v.object({
  endpoint: PushEndpoint,
  keys: v.object({ p256dh: b64(PUSH_P256DH_LEN), auth: b64(PUSH_AUTH_LEN) }),
});
/** `DELETE /v1/push/subscription`. */
export const PushUnsubscribeJson = v.object({ endpoint: PushEndpoint });
/** `GET /v1/push/key`: the relay's VAPID public key, the `applicationServerKey` to subscribe with. */
export const PushKeyJson = v.object({ publicKey: b64(PUSH_P256DH_LEN) });
