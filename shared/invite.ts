/**
 * Invites: what a therapist hands a new client, out of band, as a link and a QR code
 * (PROTOCOL.md §14). This file holds the invite's content (its body) and the version 1 link,
 * which carried the whole body in the URL fragment; version 2 (short-invite.ts) keeps the body
 * on the relay, encrypted under a key only the link's fragment carries. The body:
 *
 * - the therapist's public identity (pinned from then on; the safety number confirms it),
 * - the therapist's mailbox id and a delivery capability for it (so the client can write),
 * - the invite secret (the relay stores only its SHA-256 and lets one client account register
 *   with it, once, before it expires),
 * - the practice name, the consent text and the emergency notice the therapist set,
 * - when the invite expires.
 *
 * Version 1 wire form: `"1" || base64url(deflate-raw(UTF-8 JSON))`. Decoding is bounded (a
 * compressed bomb stops at `MAX_INVITE_JSON` bytes) and schema-checked.
 *
 * Does not: authenticate the invite. Whoever can replace the link can replace the keys in it;
 * that is what comparing safety numbers in person is for (THREAT-MODEL.md).
 * @module
 */
import * as v from 'valibot';
import { concat, utf8 } from './_bytes.ts';
import { CAPABILITY_LEN, INVITE_SECRET_LEN, MAILBOX_ID_LEN, MAX_CONSENT_TEXT, MAX_CONSENT_VERSION, MAX_EMERGENCY_NOTICE, MAX_INVITE_JSON, MAX_PRACTICE_NAME } from './consts.ts';
import { fromBase64url, toBase64url } from './encoding.ts';
import { ConfidantError, fail } from './errors.ts';
import { decodePublicIdentity, encodePublicIdentity, PUBLIC_IDENTITY_LEN, verifyPublicIdentity, type PublicIdentity } from './keys.ts';
import { b64, parse, Timestamp } from './schemas.ts';

/** Prefix of the encoded invite: format version 1. */
export const INVITE_PREFIX = '1';

export interface Invite {
  readonly therapist: PublicIdentity;
  readonly mailboxId: Uint8Array;
  readonly capability: Uint8Array;
  readonly secret: Uint8Array;
  readonly practiceName: string;
  readonly consentText: string;
  /** The version of `consentText` (client/messages/consent.ts); absent: 1. */
  readonly consentVersion?: number;
  readonly emergencyNotice: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

const text = (max: number, min = 1) => v.pipe(v.string(), v.minLength(min), v.maxLength(max));

const InviteJson = v.strictObject({
  therapist: b64(PUBLIC_IDENTITY_LEN),
  mailboxId: b64(MAILBOX_ID_LEN),
  capability: b64(CAPABILITY_LEN),
  secret: b64(INVITE_SECRET_LEN),
  practiceName: text(MAX_PRACTICE_NAME),
  consentText: text(MAX_CONSENT_TEXT),
  emergencyNotice: text(MAX_EMERGENCY_NOTICE),
  expiresAt: Timestamp,
  consentVersion: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_CONSENT_VERSION))),
});

async function pipeBytes(bytes: Uint8Array, transform: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array> {
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(transform).getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw fail('too_large', `invite is over ${limit} bytes`);
    }
    parts.push(value);
  }
  return concat(...parts);
}

/**
 * The invite as its JSON bytes (UTF-8), schema-checked: what a version 1 link deflates and a
 * version 2 link's body encrypts (short-invite.ts). Throws `schema` for a field out of bounds.
 */
export function inviteJsonBytes(invite: Invite): Uint8Array {
  const json = parse(
    InviteJson,
    {
      therapist: toBase64url(encodePublicIdentity(invite.therapist)),
      mailboxId: toBase64url(invite.mailboxId),
      capability: toBase64url(invite.capability),
      secret: toBase64url(invite.secret),
      practiceName: invite.practiceName,
      consentText: invite.consentText,
      emergencyNotice: invite.emergencyNotice,
      expiresAt: invite.expiresAt,
      ...(invite.consentVersion !== undefined ? { consentVersion: invite.consentVersion } : {}),
    },
    'invite',
  );
  return utf8.encode(JSON.stringify(json));
}

/**
 * Parses invite JSON bytes (at most MAX_INVITE_JSON, the caller bounds them): strict schema,
 * and the therapist's identity certificate must verify. Throws `malformed` otherwise.
 */
export async function inviteFromJsonBytes(bytes: Uint8Array): Promise<Invite> {
  let parsed: v.InferOutput<typeof InviteJson>;
  try {
    parsed = parse(InviteJson, JSON.parse(utf8.decode(bytes)), 'invite');
  } catch (e) {
    throw new ConfidantError('malformed', 'invite fields are not valid', { cause: e });
  }
  let therapist: PublicIdentity;
  try {
    therapist = decodePublicIdentity(fromBase64url(parsed.therapist, PUBLIC_IDENTITY_LEN));
    await verifyPublicIdentity(therapist);
  } catch (e) {
    throw new ConfidantError('malformed', "the therapist's identity in the invite does not verify", { cause: e });
  }
  return {
    therapist,
    mailboxId: fromBase64url(parsed.mailboxId, MAILBOX_ID_LEN),
    capability: fromBase64url(parsed.capability, CAPABILITY_LEN),
    secret: fromBase64url(parsed.secret, INVITE_SECRET_LEN),
    practiceName: parsed.practiceName,
    consentText: parsed.consentText,
    emergencyNotice: parsed.emergencyNotice,
    expiresAt: parsed.expiresAt,
    ...(parsed.consentVersion !== undefined ? { consentVersion: parsed.consentVersion } : {}),
  };
}

/**
 * A version 1 (long) invite: the text that goes after `#/join/`. No longer written by the app
 * (short links, short-invite.ts, replaced it); kept so the tests can make the links that were
 * handed out before, which `decodeInvite` still reads until they expire (PROTOCOL.md §14).
 */
export async function encodeInvite(invite: Invite): Promise<string> {
  const packed = await pipeBytes(inviteJsonBytes(invite), new CompressionStream('deflate-raw'), MAX_INVITE_JSON);
  return INVITE_PREFIX + toBase64url(packed);
}

/**
 * Parses a version 1 invite (the fragment text). Throws `ConfidantError` `malformed` (not an
 * invite, corrupted, an identity whose certificate does not verify), `unsupported_version`, or
 * `too_large`. Expiry is the caller's to check against its clock (`isInviteExpired`).
 */
export async function decodeInvite(encoded: string): Promise<Invite> {
  const trimmed = encoded.trim();
  if (trimmed.length === 0) throw fail('malformed', 'empty invite');
  if (trimmed[0] !== INVITE_PREFIX) {
    if (/^[2-9]/.test(trimmed)) throw fail('unsupported_version', `invite version ${trimmed[0]}`);
    throw fail('malformed', 'not an invite');
  }
  if (trimmed.length > 2 * MAX_INVITE_JSON) throw fail('too_large', 'invite text too long');
  let bytes: Uint8Array;
  try {
    bytes = await pipeBytes(fromBase64url(trimmed.slice(1)), new DecompressionStream('deflate-raw'), MAX_INVITE_JSON);
  } catch (e) {
    if (ConfidantError.is(e, 'too_large')) throw e;
    throw new ConfidantError('malformed', 'invite does not decode', { cause: e });
  }
  return inviteFromJsonBytes(bytes);
}

export const isInviteExpired = (invite: Pick<Invite, 'expiresAt'>, now: number): boolean => now >= invite.expiresAt;
