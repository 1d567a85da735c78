/**
 * Internals shared by the PostgreSQL adapter's files: transactions, BYTEA parameters, and the
 * advisory-lock keys that serialize writers per mailbox, account or blob. The argument checks
 * and row mapping both adapters share are in ../_checks.ts.
 * @module
 */
import type { Pool, PoolClient } from 'pg';
import { checkBytes } from '../_checks.ts';

/**
 * Advisory lock namespaces (first int4 of the two-key form; the second is taken from the id).
 * Two ids that share a key only wait for each other, never corrupt anything.
 */
export const LOCK_MAILBOX = 0x636e6d62; // "cnmb"
export const LOCK_BLOB = 0x636e626c; // "cnbl"
export const LOCK_ACCOUNT = 0x636e6163; // "cnac"

/** An int4 lock key from the first four bytes of a random id. */
export const lockKey = (id: Uint8Array): number =>
  ((id[0] ?? 0) << 24) | ((id[1] ?? 0) << 16) | ((id[2] ?? 0) << 8) | (id[3] ?? 0);

/** Thrown inside `transaction` to roll back and still return `value` (an expected outcome). */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

/**
 * Runs `fn` in one READ COMMITTED transaction on one pooled connection: COMMIT when it
 * resolves, ROLLBACK when it throws (a thrown `Rollback` becomes the result). A connection
 * whose ROLLBACK failed is discarded rather than returned to the pool. `begin` is the opening
 * simple query: `BEGIN`, or `BEGIN` plus a parameterless statement (a lock) to save a round trip.
 */
export const transaction = async <T>(pool: Pool, fn: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> => {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    if (err instanceof Rollback && !broken) return err.value as T;
    throw err;
  } finally {
    client.release(broken);
  }
};

/**
 * A BYTEA parameter: the caller's bytes (checked, ../_checks.ts) as a Buffer view (no copy).
 */
export const param = (value: unknown, name: string): Buffer => {
  const checked = checkBytes(value, name);
  return Buffer.from(checked.buffer, checked.byteOffset, checked.byteLength);
};

/** What every resource file of the adapter works with: the main pool. */
export interface PostgresContext {
  readonly pool: Pool;
}
