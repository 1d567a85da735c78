/**
 * What every message kind module (client/messages/<kind>.ts) is given: how a payload is built
 * (`payloadOf`, the one place the payload version is set) and, for a received one, the slice it
 * writes into (`ReceiveContext`, from client/sync/receive.ts).
 * @module
 */
import { PAYLOAD_VERSION, type Payload } from '../../shared/payload.ts';
import type { PublicIdentity } from '../../shared/keys.ts';
import type { Conversation, LocalInvite, Profile, Records, StoredMessage } from '../data/records.ts';
import type { VaultValue } from '../vault/codec.ts';
import { newMessageId } from './ids.ts';

export type PayloadType = Payload['type'];
/** The payload of one kind. */
export type PayloadOf<K extends PayloadType> = Extract<Payload, { type: K }>;
/** What a builder of kind `K` is given besides the common fields. */
export type FieldsOf<K extends PayloadType> = Omit<PayloadOf<K>, 'v' | 'type' | 'id' | 'sentAt'>;

/** A payload of kind `type` at payload version `PAYLOAD_VERSION`, with a fresh id unless given one. */
export function payloadOf<K extends PayloadType>(type: K, fields: FieldsOf<K>, sentAt: number, id: string = newMessageId()): PayloadOf<K> {
  // The spread of a generic Omit is not seen as the union member it rebuilds.
  return { v: PAYLOAD_VERSION, type, id, sentAt, ...fields } as unknown as PayloadOf<K>;
}

/**
 * The receiver's slice (client/sync/receive.ts): reads see what the slice wrote already, writes
 * land in the vault in the same transaction as the session steps that opened the envelopes.
 */
export interface ReceiveWriter {
  readonly ops: { collection: string; partition: string; id: string; value: VaultValue }[];
  byAddress(address: string): Promise<Conversation | undefined>;
  byId(id: string): Promise<Conversation | undefined>;
  setConversation(c: Conversation): void;
  message(conversationId: string, id: string): Promise<StoredMessage | undefined>;
  putMessage(conversationId: string, m: StoredMessage): void;
  putInvite(invite: LocalInvite): void;
}

/** One opened payload, with where it came from and the slice to record it in. */
export interface ReceiveContext {
  readonly records: Records;
  readonly writer: ReceiveWriter;
  readonly profile: Profile;
  /** The sender's identity, authenticated by the session (shared/session.ts). */
  readonly sender: PublicIdentity;
  /** Our own identity (the therapist a consent statement names, client/messages/consent.ts). */
  readonly self: PublicIdentity;
  /** The sender's session address. */
  readonly address: string;
  /** The conversation whose pinned or pending peer has that address, if any. */
  readonly conversation: Conversation | undefined;
  /** When the relay stored the envelope. */
  readonly receivedAt: number;
  readonly now: number;
  /** Answer this message of the peer's with a `delivered` receipt (one per conversation per page). */
  deliveredReceipt(conversationId: string, messageId: string): void;
  /** The payload changed nothing, by design: counted under `reason` (`Receiver.ignored`), never silently. */
  ignore(reason: string): void;
}

/** Records what a received payload says. Returns the id of the conversation it changed, if any. */
export type Handler<P> = (payload: P, ctx: ReceiveContext) => Promise<string | undefined>;
