/**
 * PostgreSQL: blob metadata rows (`BlobRowStore`, ../types.ts): id, size, completion, times and
 * the SHA-256 of the delete token; no account. The bytes are rows of `blob_chunks` in the same
 * database (blob-chunks.ts).
 * @module
 */
import { checkCount, checkTime, toBlob, type BlobDbRow } from '../_checks.ts';
import type { BlobRowStore } from '../types.ts';
import { param, type PostgresContext } from './database.ts';

export function postgresBlobRows({ pool }: PostgresContext): BlobRowStore {
  return {
    async createBlob(info) {
      const inserted = await pool.query(
        'INSERT INTO blobs (blob_id, delete_token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [
          param(info.blobId, 'info.blobId'),
          param(info.deleteTokenHash, 'info.deleteTokenHash'),
          checkTime(info.createdAt, 'info.createdAt'),
          checkTime(info.expiresAt, 'info.expiresAt'),
        ],
      );
      return inserted.rowCount === 1 ? 'created' : 'exists';
    },

    async completeBlob(blobId, size) {
      const updated = await pool.query('UPDATE blobs SET size = $2, complete = true WHERE blob_id = $1', [
        param(blobId, 'blobId'),
        checkCount(size, 'size'),
      ]);
      return updated.rowCount === 1;
    },

    async getBlob(blobId) {
      const { rows } = await pool.query<BlobDbRow>('SELECT blob_id, size, complete, created_at, expires_at FROM blobs WHERE blob_id = $1', [
        param(blobId, 'blobId'),
      ]);
      return rows[0] ? toBlob(rows[0]) : undefined;
    },

    async deleteBlob(blobId, deleteTokenHash) {
      const id = param(blobId, 'blobId');
      const deleted =
        deleteTokenHash === undefined
          ? await pool.query('DELETE FROM blobs WHERE blob_id = $1', [id])
          : await pool.query('DELETE FROM blobs WHERE blob_id = $1 AND delete_token_hash = $2', [id, param(deleteTokenHash, 'deleteTokenHash')]);
      return deleted.rowCount === 1;
    },
  };
}
