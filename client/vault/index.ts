/**
 * The public API of client/vault, listed by hand (docs/VAULT.md §6). The measurement tools
 * (bench/vault/) and the idb module's internals are deliberately absent.
 * @module
 */
export { BEFORE_LOCK_MAX_MS, startAutoLock, type AutoLock, type AutoLockOptions } from './auto-lock.ts';
export { BLOB_CHUNK_LEN, BLOB_COLLECTION, blobSize, deleteBlob, readBlob, readBlobStream, writeBlob } from './blobs.ts';
export { decodeValue, encodeValue, type VaultValue } from './codec.ts';
export { DB_VERSION, DEFAULT_DB_NAME, type RecordId } from './db.ts';
export { VAULT_ERROR_CODES, VaultError, type VaultErrorCode } from './errors.ts';
export { DEFAULT_KDF, deriveWrappingKey, normalizePassphrase, type KdfCost, type KdfParams } from './kdf.ts';
export { COLLECTION as PROTOCOL_COLLECTIONS, ProtocolStoreBatch, VaultProtocolStore } from './protocol-store.ts';
export { createVault, openVault, Vault, VAULT_FORMAT, vaultExists, type CreateOptions, type ListOptions, type VaultEntry, type VaultOp } from './vault.ts';
