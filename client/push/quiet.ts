/**
 * Which sends wake the recipient's devices (issue 11, "Notifications without content"). A
 * receipt ("delivered", "read") or a retry request is bookkeeping between two devices, not
 * something a person wrote: if it raised "New message", every reply read would buzz the other
 * side's phone with nothing new to read. Such sends go to the relay marked quiet
 * (`confidant-push: quiet`, docs/API.md), and the relay sends no push for them. Every other kind,
 * including kinds added later, wakes: a missed notice is worse than a spare one.
 * @module
 */
import { decodePayload, type Payload } from '../../shared/payload.ts';

const QUIET: ReadonlySet<Payload['type']> = new Set<Payload['type']>(['receipt', 'retry']);

/** True when the encoded payload is something a person should be told about. */
export function wakesRecipient(encodedPayload: Uint8Array): boolean {
  try {
    return !QUIET.has(decodePayload(encodedPayload).type);
  } catch {
    return true;
  }
}
