/**
 * Bearer secrets (registration codes, invite secrets, delivery capabilities) are stored only as
 * their SHA-256: the relay looks up and compares hashes, and keeps no secret it could leak
 * (docs/API.md). Used by the routes that take a secret and by the CLI that mints codes.
 * @module
 */
import { createHash } from 'node:crypto';

export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());
