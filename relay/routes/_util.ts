/**
 * Small helpers the route files share: hashing bearer secrets, decoding a public identity from
 * a request, and the per-route body limits.
 * @module
 */
import { createHash } from 'node:crypto';
import { fromBase64url } from '../../shared/encoding.ts';
import { decodePublicIdentity, encodePublicIdentity, verifyPublicIdentity } from '../../shared/keys.ts';
import { RelayError } from '../errors.ts';
import type { Account, AccountKind } from '../storage/types.ts';

/** Body limits per route kind: JSON requests are small; a sealed envelope is the one large body. */
export const LIMITS = {
  /** Registrations, invites, signed prekeys (a KEM prekey is 1184 bytes, ~1.7 KB as base64url). */
  small: 8 * 1024,
  /** Up to 100 one-time prekeys (~6 KB) with room for whitespace. */
  preKeys: 16 * 1024,
  /** Acks of up to 500 message ids (~12 KB as JSON). */
  ack: 16 * 1024,
  /** One sealed envelope (raw bytes, `POST /v1/messages`). */
  envelope: 256 * 1024,
  /** GET requests carry no body. */
  none: 0,
} as const;

export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

/**
 * The account a registration creates: the identity must parse and its certificate verify
 * (400 otherwise), and the request must be signed by that identity's signing key (401).
 */
export async function accountFromIdentity(identityB64: string, signer: Uint8Array, kind: AccountKind, now: number): Promise<Account> {
  let identity;
  try {
    identity = decodePublicIdentity(fromBase64url(identityB64));
    await verifyPublicIdentity(identity);
  } catch {
    throw new RelayError('bad_request', 'Identity does not parse or its certificate does not verify');
  }
  if (!equal(identity.signingKey, signer)) {
    throw new RelayError('unauthorized', 'Request is not signed by the identity being registered');
  }
  return {
    signingKey: identity.signingKey,
    agreementKey: identity.agreementKey,
    identity: encodePublicIdentity(identity),
    kind,
    createdAt: now,
  };
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** A unique-key violation from either adapter (a retried insert of a random hash). */
export const isUniqueViolation = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
};
