/**
 * Encrypted attachment bytes in PostgreSQL (ARCHITECTURE.md, "Storage and scale"), for
 * relays that keep no local disk.
 *
 * `write` streams the upload into fixed-size rows of `blob_chunks` inside one transaction,
 * holding at most one chunk in memory, and commits only a complete blob: a failed or oversize
 * upload leaves nothing behind (and an earlier blob of that id as it was). `read` returns a
 * stream that fetches one chunk per pull, so a download never loads the whole blob either.
 *
 * Over `maxBytes` the upload is cancelled, rolled back and ConfidantError `too_large` thrown
 * (the routes answer 413); a blob id that is not BLOB_ID_LEN bytes is `invalid_argument`.
 *
 * Does not: track blob metadata (owner, expiry, completion; the Store does that).
 * @module
 */
import type { Pool } from 'pg';
import { ConfidantError } from '../../../shared/index.ts';
import { BLOB_ID_LEN, type BlobStore } from '../types.ts';
import { checkCount, rowInt } from '../_checks.ts';
import { LOCK_BLOB, lockKey, param, transaction } from './database.ts';

/**
 * Bytes per chunk row: 256 KiB keeps a 250 MiB blob at ~1,000 rows and one row small enough to
 * hold in memory per upload and per download.
 */
export const BLOB_CHUNK_SIZE = 256 * 1024;

/** A blob id as a BYTEA parameter: exactly BLOB_ID_LEN bytes, like the file store demands. */
const blobParam = (blobId: unknown): Buffer => {
  const id = param(blobId, 'blobId');
  if (id.byteLength !== BLOB_ID_LEN) {
    throw new ConfidantError('invalid_argument', `blobId must be ${BLOB_ID_LEN} bytes, got ${id.byteLength}`);
  }
  return id;
};

export class PostgresBlobStore implements BlobStore {
  constructor(
    /** The blob transfer pool (exposed for diagnostics and tests; the Store closes it). */
    readonly pool: Pool,
    private readonly chunkSize: number = BLOB_CHUNK_SIZE,
  ) {
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }

  async write(blobId: Uint8Array, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<number> {
    const id = Buffer.from(blobParam(blobId)); // our own copy: the caller may reuse its bytes
    checkCount(maxBytes, 'maxBytes');
    const reader = body.getReader();
    try {
      return await transaction(this.pool, async (client) => {
        // One writer per blob id at a time; a second waits, then replaces the first's blob.
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_BLOB, lockKey(id)]);
        const { rows } = await client.query<{ g: string }>("SELECT nextval('blob_generation') AS g");
        const generation = rows[0]!.g;
        await client.query('DELETE FROM blob_chunks WHERE blob_id = $1', [id]);
        await client.query('DELETE FROM blob_data WHERE blob_id = $1', [id]);

        const buffer = Buffer.allocUnsafe(this.chunkSize);
        let filled = 0;
        let size = 0;
        let n = 0;
        const flush = async (): Promise<void> => {
          // No copy: the query has been sent and answered before we refill the buffer.
          await client.query('INSERT INTO blob_chunks (blob_id, n, generation, data) VALUES ($1, $2, $3, $4)', [
            id,
            n,
            generation,
            buffer.subarray(0, filled),
          ]);
          n += 1;
          filled = 0;
        };
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (!(value instanceof Uint8Array)) {
            throw new ConfidantError('invalid_argument', `blob body chunks must be Uint8Array, got ${typeof value}`);
          }
          size += value.byteLength;
          if (size > maxBytes) throw new ConfidantError('too_large', `blob exceeds ${maxBytes} bytes`);
          let offset = 0;
          while (offset < value.byteLength) {
            const take = Math.min(this.chunkSize - filled, value.byteLength - offset);
            buffer.set(value.subarray(offset, offset + take), filled);
            filled += take;
            offset += take;
            if (filled === this.chunkSize) await flush();
          }
        }
        if (filled > 0) await flush();
        await client.query(
          'INSERT INTO blob_data (blob_id, generation, size, chunk_size, chunks) VALUES ($1, $2, $3, $4, $5)',
          [id, generation, size, this.chunkSize, n],
        );
        return size;
      });
    } catch (err) {
      // Stop the producer (an HTTP body, say) instead of leaving it paused forever.
      await reader.cancel(err).catch(() => undefined);
      throw err;
    } finally {
      reader.releaseLock();
    }
  }

  async read(blobId: Uint8Array): Promise<ReadableStream<Uint8Array> | undefined> {
    const id = Buffer.from(blobParam(blobId)); // our own copy: the caller may reuse its bytes
    const { rows } = await this.pool.query<{ generation: string; chunks: number }>(
      'SELECT generation, chunks FROM blob_data WHERE blob_id = $1',
      [id],
    );
    const head = rows[0];
    if (!head) return undefined;
    const { pool } = this;
    const chunks = head.chunks;
    let n = 0;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (n >= chunks) {
            controller.close();
            return;
          }
          const result = await pool.query<{ data: Buffer }>(
            'SELECT data FROM blob_chunks WHERE blob_id = $1 AND n = $2 AND generation = $3',
            [id, n, head.generation],
          );
          const row = result.rows[0];
          // Deleted or rewritten while we read: fail rather than splice two versions.
          if (!row) throw new Error(`blob changed or was deleted during the read (chunk ${n} of ${chunks})`);
          n += 1;
          controller.enqueue(new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength));
          if (n >= chunks) controller.close();
        },
      },
      // Pull one chunk ahead of the consumer at most.
      { highWaterMark: 1 },
    );
  }

  async delete(blobId: Uint8Array): Promise<void> {
    const id = blobParam(blobId);
    await transaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_BLOB, lockKey(id)]);
      await client.query('DELETE FROM blob_data WHERE blob_id = $1', [id]);
      await client.query('DELETE FROM blob_chunks WHERE blob_id = $1', [id]);
    });
  }

  /** Size of a stored blob, or undefined (tests and the sweeper). */
  async size(blobId: Uint8Array): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ size: string }>('SELECT size FROM blob_data WHERE blob_id = $1', [blobParam(blobId)]);
    return rows[0] ? rowInt(rows[0].size) : undefined;
  }
}
