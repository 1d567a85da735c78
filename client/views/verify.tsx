/**
 * The safety number with one person: 60 digits (the same on both devices) and a QR code of
 * them, to compare in person or on a call. Marking it verified is remembered on this device.
 * @module
 */
import { formatSafetyNumber, safetyNumber } from '../../shared/fingerprint.ts';
import { toBase64url } from '../../shared/encoding.ts';
import { decodePublicIdentity } from '../../shared/keys.ts';
import { session } from '../state/session.ts';
import { conversations, navigate } from '../state/signals.ts';
import { QrCode } from './qr.tsx';
import { TopBar } from './topbar.tsx';

export function Verify({ id }: { id: string }) {
  const s = session();
  const conversation = conversations.value.find((c) => c.id === id);
  if (!s || !conversation) return null;
  // While a new identity waits for acknowledgement, the number to compare is the new one.
  const pending = conversation.pendingIdentity !== undefined;
  const number = safetyNumber(s.identity.publicIdentity, decodePublicIdentity(conversation.pendingIdentity ?? conversation.peer));
  const isTherapist = s.profile.role === 'therapist';
  const markVerified = async () => {
    await s.records.saveConversation({ ...conversation, verifiedAt: Date.now() });
    await s.sync();
  };
  return (
    <div class="app-frame">
      <TopBar title={`Safety number with ${conversation.label}`} back={`#/c/${encodeURIComponent(id)}`} />
      <main class="screen" id="main">
        <p>
          Compare these numbers with {conversation.label}, in person or on a call. If they match on both devices, nobody is between you. If they differ, do not send anything
          sensitive and tell them.
        </p>
        <p class="safety-number card" aria-label="Safety number">
          {formatSafetyNumber(number)}
        </p>
        <QrCode text={toBase64url(number.qr)} label="Safety number as a QR code" />
        {pending ? (
          <p class="notice" role="status">
            This is the new safety number of {conversation.label}. When it matches on their device, confirm it in the conversation.
          </p>
        ) : conversation.verifiedAt ? (
          <p class="notice" role="status">
            You marked this safety number as verified on {new Date(conversation.verifiedAt).toLocaleDateString()}.
          </p>
        ) : (
          <button type="button" class="primary" onClick={() => void markVerified()}>
            The numbers match: mark as verified
          </button>
        )}
        {isTherapist && !pending && (
          <section class="card" aria-labelledby="reinvite-title">
            <h2 id="reinvite-title">New device?</h2>
            <p>If {conversation.label} lost their device or their recovery phrase, send them a new invite for this conversation. You will be asked to confirm their new safety number.</p>
            <button type="button" onClick={() => navigate(`#/invite/${encodeURIComponent(id)}`)}>
              Invite {conversation.label} again
            </button>
          </section>
        )}
      </main>
    </div>
  );
}
