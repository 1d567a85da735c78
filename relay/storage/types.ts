/**
 * The relay's storage interfaces, one per resource as libsignal keeps one storage trait per
 * concern: `AccountStore` (registration codes, invites, accounts, nonces), `PreKeyStore`,
 * `MailboxStore` (mailboxes and delivery capabilities), `MessageStore`, `BlobRowStore` (blob
 * metadata; the bytes live in a `BlobStore`), `InviteBodyStore` (short invites' encrypted bodies),
 * `PushSubscriptionStore` (content-free push notifications) and `StoreLifecycle` (migrate, ping,
 * close, sweep).
 * `Store` is all of them at once: what the routes and the sweeper are handed. Two adapters
 * implement it with the same layout, one file per resource: `sqlite/` (embedded default,
 * better-sqlite3 in WAL mode) and `postgres/` (`pg`, several relay instances on one database);
 * one conformance suite per resource (`conformance/`) runs against both.
 *
 * What is stored is only what ARCHITECTURE.md, boundary 1 allows: public keys, opaque
 * ciphertext, random ids, hashes of bearer secrets (registration codes, invites, delivery
 * capabilities; never the secrets themselves), timestamps, sizes and expiries. No names, no
 * plaintext, no sender identity for a message. Where a limit or check needs to recognise a
 * pair it no longer keeps (an acknowledged message, who fetched whose prekeys), a hash stands
 * in for it (`_tags.ts`; docs/THREAT-MODEL.md "What the relay keeps").
 *
 * Conventions:
 * - Ids and keys are `Uint8Array`s of fixed length (see shared/consts.ts); times are
 *   milliseconds since the epoch (`number`); the caller passes `now`, so tests control time.
 * - A row with `expiresAt` is expired at `now` when `expiresAt <= now`, everywhere.
 * - Every method that changes several rows is atomic (one transaction).
 * - Expected outcomes (a used code, a duplicate message, a full quota) are results, not
 *   exceptions; exceptions mean the store itself failed.
 * - A write that resolved is durable: SQLite runs `synchronous=FULL`, PostgreSQL never
 *   `synchronous_commit=off`. An acknowledged send survives `kill -9` right after.
 * @module
 */

/** Blob ids are 128 random bits chosen by the relay; file names derive from these bytes only. */
export const BLOB_ID_LEN = 16;

export type AccountKind = 'therapist' | 'client';

export interface Account {
  /** Ed25519 public key (32 bytes): the account id and the key that signs its requests. */
  readonly signingKey: Uint8Array;
  /** X25519 public key (32 bytes). */
  readonly agreementKey: Uint8Array;
  /** Encoded public identity with its certificate (shared/keys.ts, 129 bytes). */
  readonly identity: Uint8Array;
  readonly kind: AccountKind;
  readonly createdAt: number;
}

export interface SignedPreKeyRow {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface OneTimePreKeyRow {
  readonly id: number;
  readonly publicKey: Uint8Array;
}

/** What `takeBundle` hands out; the caller turns it into shared's PreKeyBundle JSON. */
export interface BundleRow {
  readonly identity: Uint8Array;
  readonly signedPreKey: SignedPreKeyRow;
  readonly kemPreKey: SignedPreKeyRow;
  readonly oneTimePreKey: OneTimePreKeyRow | undefined;
  /** One-time prekeys left after this one was taken (the low-prekey signal). */
  readonly oneTimePreKeysLeft: number;
}

/**
 * A cap on the one-time prekeys one requester gets from one target (routes/bundles.ts), so that
 * one account cannot drain another's: at most `max` per window per (requester, target). A
 * window starts with the first key handed out to the pair and lasts `windowMs`; over the cap
 * the bundle comes without a one-time prekey (PQXDH works without one) and nothing is consumed.
 *
 * At rest the pair is kept only as an HMAC under a random secret of the window's epoch
 * (`_tags.ts` grantPairTag): neither key is stored, and the secret is swept two windows after
 * its epoch began, after which no row, nor any copy of one, names a pair.
 */
export interface OneTimePreKeyLimit {
  /** Signing key of the account fetching the bundle. */
  readonly requester: Uint8Array;
  /** One-time prekeys per window, integer >= 0. */
  readonly max: number;
  /** Window length in ms, integer >= 1. */
  readonly windowMs: number;
  readonly now: number;
}

export interface StoredMessage {
  /** Client-chosen random id (16 bytes), unique per mailbox: makes sends idempotent. */
  readonly messageId: Uint8Array;
  readonly mailboxId: Uint8Array;
  /** The sealed envelope, opaque. */
  readonly envelope: Uint8Array;
  readonly receivedAt: number;
  readonly expiresAt: number;
  /** Monotonic per store: fetch pages with `after`. */
  readonly seq: number;
}

export type PutMessageResult =
  | { readonly status: 'stored'; readonly seq: number }
  /** Same id, same bytes: a retry after a lost response. Nothing changed. */
  | { readonly status: 'duplicate'; readonly seq: number }
  /** Same id, different bytes: refused, nothing changed. */
  | { readonly status: 'conflict' }
  /** The mailbox holds `maxMessages` or `maxBytes` already: refused, nothing changed. */
  | { readonly status: 'quota' };

export interface MailboxQuota {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

export interface BlobInfo {
  readonly blobId: Uint8Array;
  readonly size: number;
  /** True once the upload finished; incomplete blobs are never served. */
  readonly complete: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface SweepResult {
  readonly messages: number;
  readonly blobs: number;
  readonly nonces: number;
  readonly registrationCodes: number;
  readonly invites: number;
}

/** Live delivery across relay instances: in-process for SQLite, LISTEN/NOTIFY for PostgreSQL. */
export interface Notifier {
  /** Announce that `mailboxId` has a new message (after the write committed). */
  publish(mailboxId: Uint8Array, seq: number): Promise<void>;
  /**
   * Call `listener` for each new message of `mailboxId`, on any instance. Returns an unsubscribe.
   * A listener that throws does not stop delivery to the others.
   */
  subscribe(mailboxId: Uint8Array, listener: (seq: number) => void): () => void;
}

/** Registration codes, invites, accounts and request nonces. */
export interface AccountStore {
  // Registration codes (operator-minted, for therapist accounts). Only SHA-256 hashes are stored.
  addRegistrationCode(codeHash: Uint8Array, createdAt: number, expiresAt: number): Promise<void>;

  // Accounts.
  /**
   * Create a therapist account (`account.kind` must be 'therapist'), consuming the registration
   * code in the same transaction. `code_invalid` covers unknown, used and expired codes alike
   * (no oracle). `exists` is decided first and leaves the code unused, so a retry after a lost
   * response learns the account is there. A used code stays, marked used, until `sweep`.
   */
  registerTherapist(account: Account, codeHash: Uint8Array, now: number): Promise<'created' | 'exists' | 'code_invalid'>;
  /**
   * A therapist records an invite (hash of its secret) for one future client. `exists` when the
   * hash is stored already (by any therapist, used or not, until `sweep`): nothing changes.
   */
  addInvite(inviteHash: Uint8Array, therapistKey: Uint8Array, createdAt: number, expiresAt: number): Promise<'created' | 'exists'>;
  /**
   * When the invite is unused and unexpired at `now`: its expiry; otherwise (unknown, used or
   * expired, one answer) undefined. Reads only: the invite stays as it was.
   */
  inviteExpiry(inviteHash: Uint8Array, now: number): Promise<number | undefined>;
  /** Create a client account, consuming the invite in the same transaction (same rules as above). */
  registerClient(account: Account, inviteHash: Uint8Array, now: number): Promise<'created' | 'exists' | 'invite_invalid'>;
  getAccount(signingKey: Uint8Array): Promise<Account | undefined>;

  /**
   * Replay protection for signed requests: false when (`signingKey`, `nonce`) was seen before.
   * Rows live until `sweep` after `expiresAt` (the relay passes twice the allowed clock skew: a
   * signature older than that fails the time check anyway), so the table is bounded by the
   * signed requests of the last sweep interval plus that window.
   */
  rememberNonce(signingKey: Uint8Array, nonce: Uint8Array, expiresAt: number): Promise<boolean>;
  /** True when `rememberNonce` would answer false (the pair is stored), without storing anything. */
  hasNonce(signingKey: Uint8Array, nonce: Uint8Array): Promise<boolean>;
}

/**
 * Short invites' encrypted bodies (docs/PROTOCOL.md §14, link version 2). A body lives in its
 * invite's own row, next to the invite hash, so the two have one lifetime: revoking deletes
 * both, registering with the invite (`registerClient`) clears the body in the same transaction,
 * and `sweep` deletes expired and used rows as before. The relay keeps the body id (16 bytes the
 * therapist's device derived from the link secret, which it never sees), the opaque body and
 * the row's times.
 */
export interface InviteBodyStore {
  /**
   * `addInvite` with the encrypted body stored under `bodyId` in the same row. `exists` when the
   * hash or the body id is stored already (by anyone, until `sweep`): nothing changes.
   */
  addInviteWithBody(
    invite: { readonly inviteHash: Uint8Array; readonly bodyId: Uint8Array; readonly body: Uint8Array },
    therapistKey: Uint8Array,
    createdAt: number,
    expiresAt: number,
  ): Promise<'created' | 'exists'>;
  /**
   * The body and expiry of an unused, unexpired invite at `now`; undefined for an unknown,
   * revoked, used or expired one (one answer). Reads only.
   */
  inviteBody(bodyId: Uint8Array, now: number): Promise<{ body: Uint8Array; expiresAt: number } | undefined>;
  /**
   * Deletes the therapist's unused invite, hash and body (expired or not). True when it did;
   * false when there is none, it is used, or it is another therapist's (one answer): nothing changes.
   */
  revokeInvite(inviteHash: Uint8Array, therapistKey: Uint8Array): Promise<boolean>;
}

/** Signed, KEM and one-time prekeys, the bundles made of them and the per-requester limit. */
export interface PreKeyStore {
  setSignedPreKey(signingKey: Uint8Array, row: SignedPreKeyRow, now: number): Promise<void>;
  setKemPreKey(signingKey: Uint8Array, row: SignedPreKeyRow, now: number): Promise<void>;
  /** Adds keys; ids already present are ignored (the stored key is kept). Returns how many the account now holds. */
  addOneTimePreKeys(signingKey: Uint8Array, rows: readonly OneTimePreKeyRow[]): Promise<number>;
  countOneTimePreKeys(signingKey: Uint8Array): Promise<number>;
  /**
   * Deletes every one-time prekey of the account; returns how many there were. A device restored
   * from a backup holds none of the private keys of what its predecessor uploaded since.
   */
  clearOneTimePreKeys(signingKey: Uint8Array): Promise<number>;
  /**
   * The account's bundle, consuming one one-time prekey atomically: two concurrent calls never
   * get the same one. Undefined when the account or its signed/KEM prekey is missing. With
   * `limit`, the key is taken only while the requester is under its cap for this account, and
   * the count is kept in the same transaction (concurrent calls never pass the cap together).
   */
  takeBundle(signingKey: Uint8Array, limit?: OneTimePreKeyLimit): Promise<BundleRow | undefined>;
}

/** Mailboxes and the delivery capabilities (hashes) that let others send to them. */
export interface MailboxStore {
  createMailbox(mailboxId: Uint8Array, owner: Uint8Array, now: number): Promise<'created' | 'exists'>;
  /** The owner's signing key, or undefined. */
  mailboxOwner(mailboxId: Uint8Array): Promise<Uint8Array | undefined>;
  /** Adding a hash that exists already is ignored: it never revives a revoked capability. */
  addCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array, now: number): Promise<void>;
  /** True when the capability was active for this mailbox and is now revoked. */
  revokeCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array, now: number): Promise<boolean>;
  /** True when the capability exists for this mailbox and is not revoked. */
  checkCapability(capabilityHash: Uint8Array, mailboxId: Uint8Array): Promise<boolean>;
}

/** Sealed envelopes: send, fetch, acknowledge (with tombstones) and the mailbox quota. */
export interface MessageStore {
  /**
   * Store one envelope. The (mailbox, messageId) check comes first: a retry of a stored message
   * is `duplicate` even when the mailbox is full. Only the envelope bytes are compared (a retry
   * carries new timestamps). A message acknowledged already answers the same way until the
   * original's expiry (its tombstone, see `ackMessages`): the same bytes are `duplicate` with the
   * original seq, other bytes `conflict`, and nothing is stored or counted. Quota counts the
   * mailbox's messages unexpired at `receivedAt` and refuses when one more would exceed
   * `maxMessages` or the bytes would exceed `maxBytes`.
   */
  putMessage(
    message: Omit<StoredMessage, 'seq'>,
    quota: MailboxQuota,
  ): Promise<PutMessageResult>;
  /** Oldest first, `seq > after`, unexpired at `now`, at most `limit`. */
  listMessages(mailboxId: Uint8Array, options: { after: number; limit: number; now: number }): Promise<StoredMessage[]>;
  /**
   * Delete acknowledged messages of this mailbox; returns how many existed. Each deleted message
   * leaves a tombstone until its own expiry, so a captured send replayed later is answered as
   * the duplicate it is and never stored again. A tombstone holds SHA-256(label || mailbox ||
   * message id), a labelled SHA-256 of the envelope, the seq and the expiry: no id, no bytes.
   * Ids that matched nothing leave nothing.
   */
  ackMessages(mailboxId: Uint8Array, messageIds: readonly Uint8Array[]): Promise<number>;
}

/**
 * Blob metadata rows; the bytes live in a `BlobStore`. A row names no account: whoever holds
 * the delete token the relay handed out at upload may delete it early, and the row keeps only
 * the token's SHA-256 (issue 9 item 8). Rows from before delete tokens have none: they can no
 * longer be deleted early, only expire.
 */
export interface BlobRowStore {
  /** `deleteTokenHash` is SHA-256 of the delete token (the token itself is never stored). */
  createBlob(info: Omit<BlobInfo, 'complete' | 'size'> & { deleteTokenHash: Uint8Array }): Promise<'created' | 'exists'>;
  /** Mark the upload finished. False when the row is gone (deleted or swept meanwhile): delete the bytes. */
  completeBlob(blobId: Uint8Array, size: number): Promise<boolean>;
  getBlob(blobId: Uint8Array): Promise<BlobInfo | undefined>;
  /**
   * Delete the row; with `deleteTokenHash`, only when it is the row's. True when a row was
   * deleted (false: absent, or another token, one answer).
   */
  deleteBlob(blobId: Uint8Array, deleteTokenHash?: Uint8Array): Promise<boolean>;
}

/** The store as a whole: which adapter, schema, health, live delivery, closing and sweeping. */
export interface StoreLifecycle {
  /** Which adapter, for logs and /healthz. */
  readonly kind: 'sqlite' | 'postgres';
  /** Apply pending schema migrations (versioned, idempotent); called once at start. */
  migrate(): Promise<void>;
  /** True when the store answers a trivial query. Never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  readonly notifier: Notifier;

  /**
   * Delete everything expired at `now` (messages and their ack tombstones, blob rows, nonces,
   * codes, invites, prekey limit windows and their secrets), used codes and invites, and
   * incomplete blob rows created before `incompleteBlobsBefore` (abandoned uploads). Returns
   * the deleted blob ids so the caller removes their bytes. Tombstones and limit windows are not
   * counted in the result (hashes and counts, nothing a client sent).
   *
   * SQLite also checkpoints its WAL into the database file and truncates it here (as after an
   * ack), so deleted ciphertext leaves every file under DATA_DIR by the end of a sweep even when
   * the checkpoint after the ack could not run (docs/OPERATING.md, "What deleted data leaves").
   */
  sweep(
    now: number,
    options?: { readonly incompleteBlobsBefore?: number },
  ): Promise<SweepResult & { expiredBlobIds: Uint8Array[] }>;
}

/**
 * One Web Push subscription (RFC 8030; the browser's `PushSubscription`): where the push
 * service accepts pushes for one device, and the keys a push is encrypted to (RFC 8291).
 */
export interface PushSubscriptionRow {
  /** The push service's URL for this device (checked by relay/push/endpoint.ts before it is stored). */
  readonly endpoint: string;
  /** The subscription's P-256 public key, uncompressed (65 bytes). */
  readonly p256dh: Uint8Array;
  /** The subscription's authentication secret (16 bytes). */
  readonly auth: Uint8Array;
}

/**
 * Push subscriptions of accounts (issue 11, "Notifications without content"; relay/push/).
 * A subscription belongs to the account that registered it last (one endpoint is one browser
 * profile); deleting the account deletes its subscriptions (foreign key, ON DELETE CASCADE).
 * The throttle is a `last_pushed_at` time per subscription, claimed in one statement so that
 * several relay instances on one database never push twice within the interval.
 */
export interface PushSubscriptionStore {
  /**
   * Add the subscription for `account`, or replace the keys and owner of the one with this
   * endpoint (`updated`; its throttle time is kept). Then the account keeps at most `max`
   * subscriptions: the oldest others are deleted.
   */
  putPushSubscription(account: Uint8Array, subscription: PushSubscriptionRow, now: number, max: number): Promise<'created' | 'updated'>;
  /** Delete `account`'s subscription with this endpoint; true when there was one. */
  deletePushSubscription(account: Uint8Array, endpoint: string): Promise<boolean>;
  /** Delete the subscription with this endpoint whoever holds it (the push service said it is gone). */
  dropPushSubscription(endpoint: string): Promise<boolean>;
  /** `account`'s subscriptions, oldest first. */
  listPushSubscriptions(account: Uint8Array): Promise<PushSubscriptionRow[]>;
  /**
   * The subscriptions of the owner of `mailboxId` that were not pushed to after
   * `now - intervalMs`, each marked as pushed at `now` in the same statement: two concurrent
   * calls (on any instance) never both get one subscription within the interval.
   */
  claimPushTargets(mailboxId: Uint8Array, now: number, intervalMs: number): Promise<PushSubscriptionRow[]>;
}

/** Every resource of one adapter: what the routes and the sweeper are handed. */
export type Store = StoreLifecycle & AccountStore & PreKeyStore & MailboxStore & MessageStore & BlobRowStore & InviteBodyStore & PushSubscriptionStore;

/** Encrypted attachment bytes: files under DATA_DIR/blobs, or rows in PostgreSQL. Streams only. */
export interface BlobStore {
  /**
   * Write the stream as blob `blobId`, refusing (and removing) more than `maxBytes`. Returns the
   * size. Over the limit it cancels `body` and throws ConfidantError `too_large` (a 413); a
   * `blobId` that is not BLOB_ID_LEN bytes throws `invalid_argument`. A failed write leaves
   * whatever was stored under `blobId` before; a resolved one is durable.
   */
  write(blobId: Uint8Array, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<number>;
  /** A stream of the blob's bytes, or undefined when absent. */
  read(blobId: Uint8Array): Promise<ReadableStream<Uint8Array> | undefined>;
  delete(blobId: Uint8Array): Promise<void>;
}
