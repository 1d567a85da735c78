/**
 * SQLite: blob metadata rows (`BlobRowStore`, ../types.ts): id, size, completion, times and the
 * SHA-256 of the delete token; no account. The bytes are files under DATA_DIR/blobs (files.ts).
 * @module
 */
import { checkBytes, checkCount, checkTime, toBlob, type BlobDbRow } from '../_checks.ts';
import type { BlobRowStore } from '../types.ts';
import type { SqliteContext, SqliteDatabase } from './database.ts';

const prepare = (db: SqliteDatabase) => ({
  createBlob: db.prepare('INSERT OR IGNORE INTO blobs (blob_id, delete_token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)'),
  completeBlob: db.prepare('UPDATE blobs SET size = ?, complete = 1 WHERE blob_id = ?'),
  getBlob: db.prepare('SELECT blob_id, size, complete, created_at, expires_at FROM blobs WHERE blob_id = ?'),
  deleteBlob: db.prepare('DELETE FROM blobs WHERE blob_id = ?'),
  deleteWithToken: db.prepare('DELETE FROM blobs WHERE blob_id = ? AND delete_token_hash = ?'),
});

export function sqliteBlobRows(ctx: SqliteContext): BlobRowStore {
  const stmts = ctx.statements(prepare);
  return {
    async createBlob(info) {
      const r = stmts().createBlob.run(
        checkBytes(info.blobId, 'info.blobId'),
        checkBytes(info.deleteTokenHash, 'info.deleteTokenHash'),
        checkTime(info.createdAt, 'info.createdAt'),
        checkTime(info.expiresAt, 'info.expiresAt'),
      );
      return r.changes === 1 ? 'created' : 'exists';
    },

    async completeBlob(blobId, size) {
      return stmts().completeBlob.run(checkCount(size, 'size'), checkBytes(blobId, 'blobId')).changes === 1;
    },

    async getBlob(blobId) {
      const row = stmts().getBlob.get(checkBytes(blobId, 'blobId')) as BlobDbRow | undefined;
      return row && toBlob(row);
    },

    async deleteBlob(blobId, deleteTokenHash) {
      const s = stmts();
      checkBytes(blobId, 'blobId');
      const r =
        deleteTokenHash === undefined
          ? s.deleteBlob.run(blobId)
          : s.deleteWithToken.run(blobId, checkBytes(deleteTokenHash, 'deleteTokenHash'));
      return r.changes === 1;
    },
  };
}
