/**
 * The therapist's invites not yet used, in the inbox (issue 11): each with when it expires, and
 * ways to show its link and QR code again, copy it, or withdraw it (the relay deletes it and the
 * link stops working; onboarding's `revokeInvite`). Labels are the therapist's own words, shown
 * as text in their own bidi isolate.
 * @module
 */
import { useState } from 'preact/hooks';
import { OfflineError } from '../api/relay.ts';
import type { LocalInvite } from '../data/records.ts';
import { session } from '../state/session.ts';
import { invites } from '../state/signals.ts';
import { ErrorAlert } from './error-alert.tsx';
import { InviteLink } from './invite-link.tsx';

const when = (ms: number): string => new Date(ms).toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** Invites that can still be used: not used, not withdrawn, not expired at `now`. */
export const pendingInvites = (list: readonly LocalInvite[], now: number): LocalInvite[] =>
  list.filter((i) => !i.usedBy && i.revokedAt === undefined && i.expiresAt > now);

function PendingInvite({ invite, index }: { invite: LocalInvite; index: number }) {
  const [shown, setShown] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const region = `pending-invite-${index}`;

  const withdraw = async () => {
    const s = session();
    if (!s) return;
    setBusy(true);
    setError('');
    try {
      await s.revokeInvite(invite); // the list refreshes without it
    } catch (e) {
      setBusy(false);
      setError(
        e instanceof OfflineError
          ? 'Withdrawing an invite needs a connection to the Confidant server. Try again when you are online; until then the link still works.'
          : 'The invite could not be withdrawn. Try again; until then the link still works.',
      );
    }
  };

  return (
    <li class="pending-invite">
      <div class="pending-invite-head">
        <bdi class="name" dir="auto">
          {invite.label}
        </bdi>
        <span class="muted">Expires {when(invite.expiresAt)}</span>
      </div>
      <div class="actions">
        <button type="button" aria-expanded={shown} aria-controls={region} onClick={() => setShown(!shown)}>
          {shown ? 'Hide link' : 'Show link and QR code'}
        </button>
        {!confirming && (
          <button type="button" onClick={() => setConfirming(true)}>
            Withdraw…
          </button>
        )}
      </div>
      {confirming && (
        <div class="notice" role="group" aria-label={`Withdraw the invite for ${invite.label}`}>
          <p>
            Withdraw this invite? The link and its QR code stop working at once, also on paper or in a message you sent. You can make a new invite any time.
          </p>
          <div class="actions">
            <button type="button" class="danger" disabled={busy} onClick={() => void withdraw()}>
              Withdraw invite
            </button>
            <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </div>
      )}
      <ErrorAlert message={error} />
      <div id={region} hidden={!shown}>
        {shown && <InviteLink invite={invite} idPrefix={region} />}
      </div>
    </li>
  );
}

export function PendingInvites() {
  const pending = pendingInvites(invites.value, Date.now());
  if (pending.length === 0) return null;
  return (
    <section aria-labelledby="pending-title">
      <h2 id="pending-title">Invites not yet used</h2>
      <ul class="conversations pending-invites">
        {pending.map((i, n) => (
          <PendingInvite key={i.hash} invite={i} index={n} />
        ))}
      </ul>
    </section>
  );
}
