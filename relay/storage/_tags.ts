/**
 * The few hashes the stores keep in place of identifiers they must not hold at rest (issue 9,
 * items 2 and 8; docs/THREAT-MODEL.md "What the relay keeps"). Both adapters compute them here,
 * in JavaScript, so a SQLite file and a PostgreSQL database hold the same bytes for the same
 * facts. Every input is fixed-length (ids and keys, checked by the callers) or hashed whole, so
 * concatenation is unambiguous; each hash starts with its own label so no two kinds collide.
 *
 * Does not: hide anything from whoever can enumerate the inputs. That is why blob rows no
 * longer keep `blobOwnerTag` (an operator holding every account key could recompute it for each
 * pair): they keep the hash of a random delete token instead (routes/blobs.ts), and the tag
 * remains only for SQLite migration v4, which released databases replay.
 * @module
 */
import { createHash, createHmac } from 'node:crypto';

const LABEL_ACKED = 'confidant relay acked message v1';
/** Exported for PostgreSQL, which hashes the envelope in the ack statement itself. */
export const LABEL_ENVELOPE = 'confidant relay acked envelope v1';
const LABEL_BLOB_OWNER = 'confidant relay blob owner v1';
const LABEL_GRANT = 'confidant relay prekey grant v1';

const sha256 = (...parts: (string | Uint8Array)[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** The tombstone key of an acknowledged message: SHA-256(label || mailboxId || messageId). */
export const ackedMessageTag = (mailboxId: Uint8Array, messageId: Uint8Array): Uint8Array =>
  sha256(LABEL_ACKED, Uint8Array.of(mailboxId.length), mailboxId, messageId);

/** What a tombstone keeps of the envelope: its SHA-256 under a label (tells a resend from a conflict). */
export const ackedEnvelopeHash = (envelope: Uint8Array): Uint8Array => sha256(LABEL_ENVELOPE, envelope);

/**
 * What a blob row kept of its uploader from schema v4 until the delete token replaced it:
 * SHA-256(label || blobId || signing key). Used only by SQLite migration v4 (never edit a
 * released migration); no row keeps it after v5.
 */
export const blobOwnerTag = (blobId: Uint8Array, owner: Uint8Array): Uint8Array =>
  sha256(LABEL_BLOB_OWNER, Uint8Array.of(blobId.length), blobId, owner);

/**
 * The key of a one-time prekey limit row: HMAC-SHA-256 under a random secret of the window's
 * epoch, over (requester, target). Once the secret is swept, no row (nor a copy of one left in a
 * file) can be tied to a pair of accounts any more.
 */
export const grantPairTag = (secret: Uint8Array, requester: Uint8Array, target: Uint8Array): Uint8Array =>
  new Uint8Array(
    createHmac('sha256', secret).update(LABEL_GRANT).update(Uint8Array.of(requester.length)).update(requester).update(target).digest(),
  );

/** Length of a grant epoch secret (bytes). */
export const GRANT_SECRET_LEN = 32;

/**
 * The epoch of `now` for windows of `windowMs`: a window that is open at `now` began in this
 * epoch or the one before (a window lasts `windowMs`, exactly one epoch), so a lookup tries the
 * secrets of both. An epoch's secret is needed until its last window ends, `(epoch + 2) * windowMs`.
 */
export const grantEpoch = (now: number, windowMs: number): number => Math.floor(now / windowMs);
export const grantSecretExpiry = (epoch: number, windowMs: number): number => (epoch + 2) * windowMs;
