// @vitest-environment node
import { expect, it } from 'vitest';
import * as vault from './index.ts';

it('re-exports exactly the documented runtime API', () => {
  expect(Object.keys(vault).sort()).toEqual(
    [
      'BEFORE_LOCK_MAX_MS',
      'BLOB_CHUNK_LEN',
      'BLOB_COLLECTION',
      'DB_VERSION',
      'DEFAULT_DB_NAME',
      'DEFAULT_KDF',
      'PROTOCOL_COLLECTIONS',
      'ProtocolStoreBatch',
      'VAULT_ERROR_CODES',
      'VAULT_FORMAT',
      'Vault',
      'VaultError',
      'VaultProtocolStore',
      'blobSize',
      'createVault',
      'decodeValue',
      'deleteBlob',
      'deriveWrappingKey',
      'encodeValue',
      'normalizePassphrase',
      'openVault',
      'readBlob',
      'readBlobStream',
      'startAutoLock',
      'vaultExists',
      'writeBlob',
    ].sort(),
  );
});
