/**
 * Payload ids: 16 random bytes, base64url (PROTOCOL.md §9 `id`). A first send also uses the
 * payload id as its relay message id (docs/API.md `confidant-message-id`).
 * @module
 */
import { toBase64url } from '../../shared/encoding.ts';
import { randomBytes } from '../../shared/provider.ts';

export const newMessageId = (): string => toBase64url(randomBytes(16));
