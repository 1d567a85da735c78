/**
 * Where an envelope's message key sits: the sending chain's ratchet key and the counter in it,
 * read by opening the sealed layer with the recipient's identity (shared/sealed.ts) and parsing
 * the ratchet header (a prekey message carries its ratchet message inside). Two envelopes at one
 * position were sealed under one message key: the tests of several tabs on one vault
 * (client/vault/protocol-store.test.ts, client/sync/tabs.test.ts, e2e/tabs.e2e.ts) assert that
 * never happens. Imports shared/ only, so the browser tests can use it too.
 * @module
 */
import { toHex } from '../shared/encoding.ts';
import { decodePreKeyMessage, MESSAGE_TYPE_PREKEY } from '../shared/handshake.ts';
import type { Identity } from '../shared/keys.ts';
import { decodeRatchetMessage } from '../shared/ratchet.ts';
import { openEnvelope } from '../shared/sealed.ts';

/** `<ratchet key hex>/<counter>` of the message key that sealed `envelope`. */
export async function chainPosition(recipient: Identity, envelope: Uint8Array): Promise<string> {
  const { type, message } = await openEnvelope(recipient, envelope);
  const { header } = decodeRatchetMessage(type === MESSAGE_TYPE_PREKEY ? decodePreKeyMessage(message).ratchetMessage : message);
  return `${toHex(header.ratchetKey)}/${header.n}`;
}
