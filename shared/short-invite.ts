/**
 * Short invites (PROTOCOL.md §14, link version 2): the invite's body (invite.ts, the same JSON a
 * version 1 link carried whole) is encrypted on the therapist's device and kept on the relay;
 * the link carries only one random secret, so it stays under 100 characters and its QR code
 * small enough to scan from a phone screen or a sheet of paper.
 *
 *     link     = "2" || base64url(s)                       s: 32 random bytes (44 characters)
 *     id || key || nonce = HKDF-SHA-256(ikm = s, salt = none, info = "Confidant invite v2", 60)
 *                          id: 16 bytes (the relay's name for the body), key: 32, nonce: 12
 *     body     = ChaCha20-Poly1305(key, nonce, pad(UTF-8 JSON), aad = id)
 *
 * The relay learns the id (which does not lead back to `s`: HKDF is one-way), the body's padded
 * size (§7 buckets, so the consent text's exact length stays hidden) and times. The key is used
 * for one body only (a fresh `s` per invite), so the derived nonce never repeats under it; the
 * id as associated data ties a body to the name it was fetched by. Decryption is bounded (a body
 * over MAX_INVITE_BODY is refused before any work) and the opened JSON goes through the same
 * strict schema and certificate check as a version 1 invite (`inviteFromJsonBytes`).
 *
 * Does not: bind the body to the invite secret the relay checks at registration; that is the
 * relay's row (one row holds both, so revoking or using the invite removes the body with it;
 * docs/API.md), and the AEAD makes the body the therapist's and nobody else's.
 * @module
 */
import { aeadOpen, aeadSeal, AEAD_NONCE_LEN, AEAD_TAG_LEN } from './_aead.ts';
import { wipe } from './_bytes.ts';
import { hkdf } from './_kdf.ts';
import { INVITE_ID_LEN, INVITE_LINK_SECRET_LEN, KEY_LEN, MAX_INVITE_BODY, MAX_INVITE_JSON } from './consts.ts';
import { base64urlLength, fromBase64url, toBase64url } from './encoding.ts';
import { ConfidantError, fail } from './errors.ts';
import { decodeInvite, INVITE_PREFIX, inviteFromJsonBytes, inviteJsonBytes, type Invite } from './invite.ts';
import { pad, unpad } from './padding.ts';
import { randomBytes } from './provider.ts';
import { abytes } from './_bytes.ts';

/** Prefix of a short invite link: format version 2. */
export const SHORT_INVITE_PREFIX = '2';

/** HKDF info of the derivation (PROTOCOL.md §14). */
const LABEL = 'Confidant invite v2';

/** What a short link opens: the body's id on the relay, and the key and nonce that open it. */
export interface ShortInviteKeys {
  readonly id: Uint8Array;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

/** Derives id, key and nonce from a link secret. */
export function shortInviteKeys(secret: Uint8Array): ShortInviteKeys {
  abytes(secret, INVITE_LINK_SECRET_LEN, 'secret');
  const okm = hkdf(secret, undefined, LABEL, INVITE_ID_LEN + KEY_LEN + AEAD_NONCE_LEN);
  const keys = {
    id: okm.slice(0, INVITE_ID_LEN),
    key: okm.slice(INVITE_ID_LEN, INVITE_ID_LEN + KEY_LEN),
    nonce: okm.slice(INVITE_ID_LEN + KEY_LEN),
  };
  wipe(okm);
  return keys;
}

/** A sealed short invite: the text after `#/join/`, and what the relay stores (id and body). */
export interface SealedInvite {
  readonly encoded: string;
  readonly id: Uint8Array;
  readonly body: Uint8Array;
}

/**
 * Encrypts an invite for the relay and makes its short link. `secret` is random unless given
 * (the test vectors fix it). Throws `schema` for fields out of bounds, `too_large` for JSON over
 * MAX_INVITE_JSON.
 */
export function sealInvite(invite: Invite, secret: Uint8Array = randomBytes(INVITE_LINK_SECRET_LEN)): SealedInvite {
  const json = inviteJsonBytes(invite);
  if (json.length > MAX_INVITE_JSON) throw fail('too_large', `invite JSON is ${json.length} bytes, limit ${MAX_INVITE_JSON}`);
  const { id, key, nonce } = shortInviteKeys(secret);
  const padded = pad(json);
  const body = aeadSeal(key, nonce, padded, id);
  wipe(key, padded);
  return { encoded: SHORT_INVITE_PREFIX + toBase64url(secret), id, body };
}

/** The characters of a version 2 link after `#/join/`: the prefix and 43 base64url characters. */
const SHORT_LENGTH = 1 + base64urlLength(INVITE_LINK_SECRET_LEN);

/**
 * Parses the text of a short link (after `#/join/`). Throws `malformed` when it is not one,
 * `unsupported_version` for a later version.
 */
export function parseShortInvite(encoded: string): ShortInviteKeys {
  const trimmed = encoded.trim();
  if (trimmed[0] !== SHORT_INVITE_PREFIX) throw fail('malformed', 'not a short invite');
  if (trimmed.length !== SHORT_LENGTH) throw fail('malformed', `short invite of ${trimmed.length} characters, expected ${SHORT_LENGTH}`);
  let secret: Uint8Array;
  try {
    secret = fromBase64url(trimmed.slice(1), INVITE_LINK_SECRET_LEN);
  } catch (e) {
    throw new ConfidantError('malformed', 'short invite does not decode', { cause: e });
  }
  const keys = shortInviteKeys(secret);
  wipe(secret);
  return keys;
}

/**
 * Opens a body fetched by `keys.id`. Throws `too_large` (over MAX_INVITE_BODY, before any
 * work), `bad_mac` (not the body of this link: another id, another key, a changed byte),
 * `malformed` (bad padding or JSON, a field out of bounds, an identity that does not verify).
 */
export async function openInvite(keys: ShortInviteKeys, body: Uint8Array): Promise<Invite> {
  abytes(body, undefined, 'body');
  if (body.length > MAX_INVITE_BODY) throw fail('too_large', `invite body is ${body.length} bytes, limit ${MAX_INVITE_BODY}`);
  if (body.length < AEAD_TAG_LEN) throw fail('bad_mac', `invite body of ${body.length} bytes has no tag`);
  const padded = aeadOpen(keys.key, keys.nonce, body, keys.id);
  let json: Uint8Array;
  try {
    json = unpad(padded);
  } catch (e) {
    throw new ConfidantError('malformed', 'invite body is not padded', { cause: e });
  }
  if (json.length > MAX_INVITE_JSON) throw fail('too_large', `invite JSON is ${json.length} bytes, limit ${MAX_INVITE_JSON}`);
  return inviteFromJsonBytes(json);
}

/** What the text after `#/join/` is: a whole invite (version 1) or a short one to fetch (version 2). */
export type InviteLink = { readonly version: 1; readonly invite: Invite } | { readonly version: 2; readonly keys: ShortInviteKeys };

/**
 * Reads either version of an invite link's fragment text. Version 1 links (the whole invite in
 * the fragment) are still read, so links handed out before short links keep working until they
 * expire. Throws as `decodeInvite` and `parseShortInvite` do; `unsupported_version` for 3-9.
 */
export async function readInviteLink(encoded: string): Promise<InviteLink> {
  const first = encoded.trim()[0];
  if (first === INVITE_PREFIX) return { version: 1, invite: await decodeInvite(encoded) };
  if (first === SHORT_INVITE_PREFIX) return { version: 2, keys: parseShortInvite(encoded) };
  if (first !== undefined && /^[3-9]$/.test(first)) throw fail('unsupported_version', `invite version ${first}`);
  throw fail('malformed', 'not an invite');
}
