/**
 * Internals shared by the PostgreSQL adapter's files: transactions, argument checks, BYTEA and
 * BIGINT conversions, and the advisory-lock keys that serialize writers per mailbox or blob.
 * @module
 */
import type { Pool, PoolClient } from 'pg';
import { ConfidantError } from '../../../shared/index.ts';

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
 * A BYTEA parameter: the caller's bytes as a Buffer view (no copy). Anything but bytes is
 * refused: a string would be sent as text and silently never match the bytes it stood for.
 */
export const param = (value: unknown, name: string): Buffer => {
  if (!(value instanceof Uint8Array)) {
    throw new ConfidantError('invalid_argument', `${name} must be a Uint8Array, got ${typeof value}`);
  }
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
};

/** A time parameter: integer milliseconds since the epoch. */
export const time = (value: unknown, name: string): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ConfidantError('invalid_argument', `${name} must be an integer number of ms, got ${String(value)}`);
  }
  return value;
};

/** A count, size or key id parameter: a non-negative safe integer. */
export const count = (value: unknown, name: string): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfidantError('invalid_argument', `${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
};

/**
 * A BYTEA value as a plain Uint8Array with its own memory (pg hands out Buffers, small ones
 * cut from a shared slab; callers must not reach the rest of that slab through `.buffer`).
 */
export const bytes = (value: Buffer): Uint8Array => new Uint8Array(value);

/** A BIGINT column (pg returns int8 as a string) as a number; our values stay below 2^53. */
export const int = (value: string | number): number => Number(value);
