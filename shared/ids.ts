/**
 * Branded byte types for the ids and secrets that travel side by side (docs/PROTOCOL.md §6,
 * docs/API.md `POST /v1/messages`): a mailbox id, a message id and a delivery capability are
 * each a `Uint8Array`, and a call that takes two or three of them in a row would compile with
 * any two swapped. With these brands it does not. The constructors are the boundary: they
 * check the length (ConfidantError `invalid_argument`) and return the same bytes, typed; a
 * brand costs nothing at run time.
 *
 * Does not: generate ids (callers use `randomBytes` of the length in consts.ts), or brand keys,
 * which `keys.ts` already groups into `Identity` / `PublicIdentity`.
 * @module
 */
import { abytes } from './_bytes.ts';
import { CAPABILITY_LEN, MAILBOX_ID_LEN, MESSAGE_ID_LEN } from './consts.ts';

declare const brand: unique symbol;
/** `T` marked as `B`: assignable to `T`, but a plain `T` or another brand is not assignable to it. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** 16 random bytes naming a mailbox on the relay; the only routing data an envelope carries. */
export type MailboxId = Brand<Uint8Array, 'MailboxId'>;
/** 16 bytes naming one sent message; a retry reuses it so the relay stores the message once. */
export type MessageId = Brand<Uint8Array, 'MessageId'>;
/** The 32-byte delivery capability secret a sender shows to put a message in a mailbox. */
export type Capability = Brand<Uint8Array, 'Capability'>;

export const asMailboxId = (bytes: Uint8Array): MailboxId => abytes(bytes, MAILBOX_ID_LEN, 'mailboxId') as MailboxId;
export const asMessageId = (bytes: Uint8Array): MessageId => abytes(bytes, MESSAGE_ID_LEN, 'messageId') as MessageId;
export const asCapability = (bytes: Uint8Array): Capability => abytes(bytes, CAPABILITY_LEN, 'capability') as Capability;
