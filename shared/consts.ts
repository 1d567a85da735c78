/**
 * Every protocol constant in one place: domain-separation labels, sizes and limits.
 * Each limit says why it has the value it has; docs/THREAT-MODEL.md explains the trade-offs
 * and docs/PROTOCOL.md §1 lists the labels.
 * @module
 */

/** Wire-format version byte carried by every envelope and message (PROTOCOL.md §2); attachment streams carry ATTACHMENT_VERSION. */
export const WIRE_VERSION = 1;

/** Byte lengths of the primitives we use. */
export const KEY_LEN = 32;
export const X25519_LEN = 32;
export const ED25519_PUBLIC_LEN = 32;
export const ED25519_SIGNATURE_LEN = 64;
export const AES_GCM_TAG_LEN = 16;
export const AES_GCM_NONCE_LEN = 12;
export const MLKEM768_PUBLIC_LEN = 1184;
export const MLKEM768_SECRET_LEN = 2400;
export const MLKEM768_CIPHERTEXT_LEN = 1088;
/** Random seed ML-KEM-768 keygen takes (FIPS 203 d || z). */
export const MLKEM768_SEED_LEN = 64;
/** Root secret behind a device identity; 256 bits = a 24-word BIP-39 phrase. */
export const ROOT_SECRET_LEN = 32;
/** Relay mailbox ids are 128 random bits: unguessable, unlinkable to anything. */
export const MAILBOX_ID_LEN = 16;
/** Client-chosen message ids: 128 random bits so retries are idempotent without coordination. */
export const MESSAGE_ID_LEN = 16;
/** Latest time any schema accepts: 8.64e15 ms, the largest a JavaScript Date can hold (ECMA-262 §21.4.1.1). */
export const MAX_TIMESTAMP = 8.64e15;

/**
 * Domain-separation labels. Every HKDF `info`, every signature context and every KDF in the
 * protocol uses exactly one of these, so no output of one step can be replayed as another.
 */
export const LABEL = {
  identitySigning: 'Confidant v1 identity Ed25519',
  identityAgreement: 'Confidant v1 identity X25519',
  identityCertificate: 'Confidant v1 identity certificate',
  signedPreKey: 'Confidant v1 signed prekey',
  kemPreKey: 'Confidant v1 ML-KEM-768 prekey',
  pqxdh: 'Confidant v1 PQXDH X25519 SHA-256 ML-KEM-768',
  ratchetRoot: 'Confidant v1 ratchet root',
  ratchetMessageKeys: 'Confidant v1 ratchet message keys',
  sealedStatic: 'Confidant v1 sealed sender static',
  sealedContent: 'Confidant v1 sealed sender content',
  attachmentKey: 'Confidant v1 attachment key',
  attachmentCommitment: 'Confidant v1 attachment key commitment',
  attachmentDigest: 'Confidant v1 attachment digest',
  safetyNumber: 'Confidant v1 safety number',
  relayRequest: 'Confidant v1 relay request',
  auditEntry: 'Confidant v1 audit entry',
  auditChain: 'Confidant v1 audit chain',
  auditCheckpoint: 'Confidant v1 audit checkpoint',
  consentAccept: 'Confidant v1 consent accept',
  consentWithdraw: 'Confidant v1 consent withdraw',
  /** The therapist's signature over practice information (practice.ts, PROTOCOL.md §9.3). */
  practiceInfo: 'Confidant v1 practice information',
} as const;

/**
 * Most message keys we derive and keep for one receiving chain when a message arrives ahead
 * of its predecessors (Double Ratchet spec §3.2 MAX_SKIP). A header that would skip more is
 * refused with `too_far_ahead` and the state is untouched: this bounds the work an attacker
 * (or the relay) can force with a single forged counter. 1,000 covers a week of a very chatty
 * conversation where the other device lost every message.
 */
export const MAX_SKIP = 1000;

/**
 * Most skipped message keys stored for the whole session, across chains. When a new skip
 * would exceed it the oldest keys are evicted first (as libsignal does): state stays bounded
 * at 2,000 × 68 bytes ≈ 136 KiB and only the very oldest lost messages become undecryptable.
 */
export const MAX_STORED_SKIPPED_KEYS = 2000;

/**
 * Previous receiving ratchet keys remembered so that a replayed message from an old chain is
 * reported as `duplicate` instead of triggering (and failing) a spurious DH ratchet step.
 */
export const MAX_PREVIOUS_RATCHET_KEYS = 8;

/** Plaintexts are padded to at least this many bytes (PROTOCOL.md §7). */
export const PAD_MIN = 256;
/** Largest plaintext the message layer accepts before padding: 64 KiB. Files go as attachments. */
export const MAX_PLAINTEXT = 64 * 1024;

/**
 * Attachment STREAM chunk size (PROTOCOL.md §10): plaintext bytes per AES-GCM call. 256 KiB, up
 * from 64 KiB, because a chunk's cost is dominated by its native calls, not its bytes: each
 * chunk is one WebCrypto AES-GCM and one SHA-256 call, and in Node 20 such a call on 64 KiB
 * takes ~70-120 µs of main-thread time under load, mostly fixed costs (argument conversion, the
 * job and its input copy, two thread hand-offs): more than node:crypto takes for the whole
 * 64 KiB chunk (~40 µs).
 * Measured with `npx tsx bench/run.ts attachment` on a noisy 2-core machine (ratio to
 * node:crypto AES-256-GCM at the same chunk size; peak RSS growth streaming 200 MB through
 * encrypt->decrypt; ATTACHMENT_MAX_IN_FLIGHT = 2 unless noted):
 *   64 KiB:  encrypt 0.22-0.24x, decrypt 0.08-0.12x, 22-26 MB (2 to 5 in flight)
 *   256 KiB: encrypt 0.31-0.46x, decrypt 0.16-0.21x, 28-32 MB, typically 29-30 (33-34 MB with
 *            1 or with 3 or more in flight: memory here is mostly garbage awaiting collection)
 *   1 MiB:   encrypt 0.40x,      decrypt 0.23-0.25x, 49 MB (74 MB with 5 in flight)
 * 1 MiB decrypts faster still but breaks the memory aim (under 32 MB whatever the file size):
 * bigger chunks mean bigger buffers alive at once and bigger garbage between collections. Cost
 * in bytes: a 16-byte tag per 256 KiB (0.006%). Memory: a few chunks per stream (attachment.ts).
 */
export const ATTACHMENT_CHUNK_SIZE = 256 * 1024;
/** Largest chunk size a stream header may declare (4 MiB), so a hostile header cannot ask for huge buffers. */
export const ATTACHMENT_MAX_CHUNK_SIZE = 4 * 1024 * 1024;
/** Smallest chunk size a stream header may declare. */
export const ATTACHMENT_MIN_CHUNK_SIZE = 1024;
/** STREAM counter is 32 bits: 2^32 chunks of 256 KiB = 1 PiB, far above any attachment. */
export const ATTACHMENT_MAX_CHUNKS = 0xffff_ffff;
/**
 * Attachment stream format written today (PROTOCOL.md §10): 2, padded. Version 1 (unpadded, the
 * relay saw the exact file size) is still read, never written.
 */
export const ATTACHMENT_VERSION = 2;
/**
 * Smallest padded attachment (PROTOCOL.md §10): every file of 0..4096 bytes encrypts to the same
 * size. Above it the padded size is Padmé of the file size, as for messages (§7): at most 12%
 * more bytes, and the relay learns O(log log size) bits of the size instead of all of them.
 * Padmé alone is exact below 8 bytes and has 16- to 64-byte steps below 4 KiB, so small files
 * (a note, an icon, a one-page text) would stay told apart almost exactly. The price is at most
 * 4 KiB per tiny file, inside one chunk at the default chunk size. 4096 is itself a Padmé value,
 * so every padded size is one.
 */
export const ATTACHMENT_PAD_MIN = 4096;

/**
 * A signed relay request is accepted for this long either side of the relay's clock. Replays
 * inside the window are refused by the nonce store, which keeps nonces for twice the window.
 */
export const REQUEST_MAX_SKEW_MS = 5 * 60 * 1000;
/** Random request nonces: 128 bits, never reused by an honest client. */
export const REQUEST_NONCE_LEN = 16;
/**
 * Most decimal digits in a signed request's time (milliseconds): 16 holds every time until long
 * after any clock we meet (13 digits until the year 2286), and bounds what a header may carry.
 */
export const REQUEST_TIME_MAX_DIGITS = 16;

/** Operator-minted therapist registration codes: 256 random bits; the relay stores only SHA-256. */
export const REGISTRATION_CODE_LEN = 32;
/** Invite secrets a therapist hands a client: 256 random bits; the relay stores only SHA-256. */
export const INVITE_SECRET_LEN = 32;
/** SHA-256 output, the stored form of registration codes and invite secrets. */
export const SHA256_LEN = 32;
/**
 * One-time prekeys per upload request: 100 keeps a request small (about 6 KB of JSON) while a
 * device refills its stock in one or two requests.
 */
export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 100;

/**
 * Random bytes the relay sends each new live socket to sign (docs/API.md `GET /v1/live`): 256
 * bits, fresh per socket, so a signed auth frame is worth nothing on any other socket.
 */
export const LIVE_CHALLENGE_LEN = 32;
/**
 * Most mailboxes one live socket may subscribe to, over all its subscribe frames. A device
 * listens on its own mailbox; 50 leaves room for more while bounding the notifier subscriptions
 * (and the `subscribed` echo) one authenticated socket can make the relay hold.
 */
export const LIVE_MAX_MAILBOXES = 50;

/** Delivery capability secrets (PROTOCOL.md §14): 256 random bits; the relay stores only SHA-256. */
export const CAPABILITY_LEN = 32;
/** Most message ids one ack may name (and most messages one fetch returns): about 12 KB of ids. */
export const MAX_MESSAGES_PER_PAGE = 500;

// Message payload limits (payload.ts, PROTOCOL.md §9). They bound what a peer can make the other
// device parse, store and show; the padded plaintext itself is bounded by MAX_PLAINTEXT.

/** Longest text message, in UTF-16 code units (about 10 pages): keeps a payload under MAX_PLAINTEXT. */
export const MAX_TEXT_LENGTH = 16_000;
/** Most attachments one message carries: each pointer is a few hundred bytes of the payload. */
export const MAX_ATTACHMENTS = 10;
/** Largest attachment a payload may describe: 2 GiB (the relay's limit is lower and its own). */
export const MAX_ATTACHMENT_SIZE = 2 ** 31;
/** Longest attachment file name, in UTF-16 code units: 255, what common file systems allow. */
export const MAX_FILE_NAME = 255;
/** Longest MIME type: 127, the most RFC 6838 §4.2 allows for a type or subtype name. */
export const MAX_MIME_TYPE = 127;
/** Largest image width or height a pointer may state: past any real image, bounds a viewer's layout. */
export const MAX_IMAGE_DIMENSION = 100_000;
/** Most message ids one receipt names: one fetched page's worth (MAX_MESSAGES_PER_PAGE). */
export const MAX_RECEIPT_IDS = MAX_MESSAGES_PER_PAGE;

// Invite limits (invite.ts, PROTOCOL.md §14). The invite travels deflated in a link and a QR
// code, so everything in it is bounded, and decoding stops at MAX_INVITE_JSON.

/** Longest practice name in an invite, in UTF-16 code units: a name, not a paragraph. */
export const MAX_PRACTICE_NAME = 80;
/** Longest consent text in an invite: about two pages of prose, carried deflated in the link and QR code. */
export const MAX_CONSENT_TEXT = 8_000;
/** Highest consent text version (consent.ts, PROTOCOL.md §9.2): a u32 in the signed statement; one edit a second lasts 136 years. */
export const MAX_CONSENT_VERSION = 0xffff_ffff;
/** Longest emergency notice in an invite: a few sentences and phone numbers. */
export const MAX_EMERGENCY_NOTICE = 600;
/** Largest invite JSON encoded or decoded (16 KiB): decoding stops there, so a deflate bomb costs nothing. */
export const MAX_INVITE_JSON = 16 * 1024;

// Short invites (short-invite.ts, PROTOCOL.md §14, version 2): the link carries one secret, the
// relay keeps the body encrypted under a key derived from it.

/** The secret in a short invite link: 256 random bits, from which the id, key and nonce derive. */
export const INVITE_LINK_SECRET_LEN = 32;
/** The id the relay stores a short invite's body under: 128 bits, not guessable, not enumerable. */
export const INVITE_ID_LEN = 16;
/**
 * Largest encrypted invite body: MAX_INVITE_JSON padded (`paddedLength(16384)` = 17408) plus the
 * 16-byte AEAD tag. The relay refuses larger, and a client refuses to decrypt larger.
 */
export const MAX_INVITE_BODY = 17_408 + 16;

// Sizes inside the attachment stream (attachment.ts, PROTOCOL.md §10).

/** Random salt in every stream header. 128 bits: salts never repeat under one file key. */
export const ATTACHMENT_SALT_LEN = 16;
/** Key commitment in every stream header: a full SHA-256 output, so 128-bit collision security. */
export const ATTACHMENT_COMMITMENT_LEN = 32;
/** The attachment digest is a SHA-256 output. */
export const ATTACHMENT_DIGEST_LEN = 32;
/**
 * Most chunks in flight at once. WebCrypto runs each call on a worker thread (Node: the libuv
 * pool), so with two the AES-GCM of one chunk overlaps the SHA-256 (and the emitting) of the
 * one before: both cores of a small machine busy. More did not help throughput at 256 KiB
 * (measured 2 to 7, within noise) and each extra chunk holds ~3 chunk-sized buffers (WebCrypto's
 * copy of the input, the output, the digest's copy): 3 in flight measured 33 MB of peak RSS in
 * the 200 MB encrypt->decrypt bench, 2 measured 29 MB, and 1 was slower and no smaller (33 MB;
 * most of that memory is garbage awaiting collection). See ATTACHMENT_CHUNK_SIZE.
 */
export const ATTACHMENT_MAX_IN_FLIGHT = 2;

// Bounds on what one device keeps in memory or in a session record.

/** How many replaced sessions' base keys a record remembers to refuse replayed prekey messages (session.ts). */
export const MAX_PREVIOUS_BASE_KEYS = 16;
/** Most DH(IK_S, IK_R) secrets sealed.ts keeps (one per peer identity pair): above a practice's caseload. */
export const SEALED_STATIC_CACHE_MAX = 512;
/** Most identities keys.ts remembers as verified before it forgets them all and verifies again. */
export const VERIFIED_IDENTITIES_MAX = 4096;

// Push notifications (issue 11, "Notifications without content"; docs/API.md "Push").

/**
 * The whole plaintext of every push the relay sends (encrypted to the device, RFC 8291): a
 * fixed marker that says "something new", the same bytes every time. No sender, practice,
 * conversation, count or time: the service worker shows a generic notification whatever arrives.
 */
export const PUSH_MARKER = '{"t":"m"}';
/** A push subscription's P-256 public key (`keys.p256dh`), uncompressed: 65 bytes. */
export const PUSH_P256DH_LEN = 65;
/** A push subscription's authentication secret (`keys.auth`): 16 bytes (RFC 8291 §3.2). */
export const PUSH_AUTH_LEN = 16;
/**
 * Longest push endpoint the relay accepts, in characters: 1,024. The push services' endpoints
 * are a few hundred characters (FCM, Mozilla and Apple all under 300); the cap bounds each row.
 */
export const MAX_PUSH_ENDPOINT_LEN = 1024;
// Practice information limits (practice.ts, PROTOCOL.md §9.3). A therapist's device signs it and
// every client's device parses, stores and shows it, so everything in it is bounded.

/** Most crisis lines one practice lists: a handful of numbers a person in crisis can scan at a glance. */
export const MAX_CRISIS_LINES = 8;
/** Longest crisis line label or therapist display name, in UTF-16 code units: a name, not a paragraph. */
export const MAX_PRACTICE_LABEL = 80;
/** Longest crisis line contact: a phone number (digits, +, spaces, dashes) or an https URL. */
export const MAX_CRISIS_CONTACT = 200;
/** Longest note under a crisis line ("24/7, free, in English and Spanish") or expected response time. */
export const MAX_PRACTICE_NOTE = 200;
/** Longest IANA time zone name (the longest in the tz database today is 32 characters). */
export const MAX_TIME_ZONE = 64;
