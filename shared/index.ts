/**
 * A convenience re-export of `shared/`'s most used names. It is not the way in.
 *
 * The way in (issue 10): import the file that owns the concept (`shared/keys.ts`,
 * `shared/schemas.ts`, ...), like noble's named submodules. Every file whose name does not start
 * with `_` is public and its exports are its API; `_*.ts` and `vectors/` are internal, and
 * nothing outside `shared/` imports them (index.test.ts checks). `memory-store.ts` is test and
 * bench support. This index only repeats names those files export; new code imports the file.
 * @module
 */
export * as consts from './consts.ts';
export { ConfidantError, ERROR_CODES, type ErrorCode } from './errors.ts';
export { fromBase64url, fromHex, toBase64url, toHex } from './encoding.ts';
export { clearKeyCache, detectProvider, getProvider, nobleProvider, randomBytes, type AeadKey, type CryptoProvider, type KeyPair } from './provider.ts';
export {
  decodePublicIdentity,
  deriveIdentity,
  encodePublicIdentity,
  generateRootSecret,
  identitiesEqual,
  identityId,
  phraseToRootSecret,
  rootSecretToPhrase,
  verifyPublicIdentity,
  wipeIdentity,
  type Identity,
  type PublicIdentity,
} from './keys.ts';
export {
  decodeBundle,
  decodeKemPreKeyRecord,
  decodeOneTimePreKeyRecord,
  decodeSignedPreKeyRecord,
  encodeBundle,
  encodeKemPreKeyRecord,
  encodeOneTimePreKeyRecord,
  encodeSignedPreKeyRecord,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  makeBundle,
  verifyBundle,
  verifySignedPreKey,
  type KemPreKeyRecord,
  type OneTimePreKeyRecord,
  type PreKeyBundle,
  type SignedPreKeyRecord,
} from './prekeys.ts';
export {
  addressOf,
  decodeSessionRecord,
  encodeSessionRecord,
  isRejectedMessage,
  openMessage,
  sealMessage,
  startSession,
  type OpenedMessage,
  type ProtocolStore,
  type SessionRecord,
} from './session.ts';
export { clearSealedSenderCache, envelopeMailboxId, ENVELOPE_HEADER_LEN, MIN_ENVELOPE_LEN } from './sealed.ts';
export { pad, paddedLength, unpad } from './padding.ts';
export {
  createAttachmentDecryptor,
  createAttachmentEncryptor,
  decryptAttachment,
  encryptAttachment,
  encryptedSize,
  generateAttachmentKey,
  paddedAttachmentSize,
  ATTACHMENT_HEADER_LEN,
  type AttachmentDecryptResult,
  type AttachmentEncryptResult,
  type AttachmentEncryptor,
  type AttachmentTransform,
} from './attachment.ts';
export { formatSafetyNumber, matchesScanned, safetyNumber, type SafetyNumber } from './fingerprint.ts';
export {
  decodePayload,
  encodePayload,
  PAYLOAD_VERSION,
  type AttachmentPointer,
  type ConsentPayload,
  type HelloPayload,
  type MessagePayload,
  type Payload,
  type ReceiptPayload,
} from './payload.ts';
export { decodeInvite, encodeInvite, isInviteExpired, type Invite } from './invite.ts';
export { CAPABILITY_LEN, MAX_CONSENT_TEXT, MAX_EMERGENCY_NOTICE, MAX_PRACTICE_NAME } from './consts.ts';
export * as schemas from './schemas.ts';
export {
  AUTH_HEADERS,
  requestSigningMessage,
  signRequest,
  verifyRequest,
  type AuthFailure,
  type RequestToSign,
  type VerifiedRequest,
} from './request-auth.ts';
export { MemoryProtocolStore } from './memory-store.ts';
