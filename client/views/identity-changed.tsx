/**
 * The banner of a conversation whose person has a new identity (a re-invite answered from a new
 * device, or someone posing as them): said plainly, with the way to check the safety number,
 * and sending held until the person confirms (Session.acceptNewIdentity).
 * @module
 */
import type { Conversation } from '../data/records.ts';
import { session } from '../state/session.ts';
import { navigate } from '../state/signals.ts';

/** A new identity for this person: say so plainly, and hold sending until it is acknowledged. */
export function IdentityChanged({ conversation }: { conversation: Conversation }) {
  return (
    <div class="banner identity-changed" role="alert">
      <p>
        <strong>{conversation.label} has a new safety number.</strong> They may have joined again on a new device, or someone may be trying to pose as them. Check the new
        safety number with them in person or on a call before you continue. Sending is paused until then.
      </p>
      <div class="actions-row">
        <button type="button" onClick={() => navigate(`#/verify/${encodeURIComponent(conversation.id)}`)}>
          Check the safety number
        </button>
        <button type="button" class="primary" onClick={() => void session()?.acceptNewIdentity(conversation)}>
          I have checked: continue
        </button>
      </div>
    </div>
  );
}
