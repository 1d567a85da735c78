/**
 * What middleware hands to the handlers after it (Hono context variables), in one place.
 * @module
 */
import type { Account } from './storage/types.ts';

export interface RelayVariables {
  /** The raw request body, read under the route's size limit (middleware/body-limit.ts). */
  body: Uint8Array;
  /** The account that signed the request (middleware/auth.ts). */
  account: Account;
  /** The signing key of a verified request whose account may not exist yet (registration). */
  signer: Uint8Array;
}

export interface RelayEnv {
  Variables: RelayVariables;
}
