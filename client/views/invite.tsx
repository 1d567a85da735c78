/**
 * Inviting a client: a label only this device knows, then the link and its QR code. The link's
 * fragment carries one secret; the invite itself waits on the relay, encrypted under a key made
 * from that secret, which the relay never sees (PROTOCOL.md §14).
 * @module
 */
import { useState } from 'preact/hooks';
import { OfflineError } from '../api/relay.ts';
import type { LocalInvite } from '../data/records.ts';
import { session } from '../state/session.ts';
import { conversations } from '../state/signals.ts';
import { InviteLink } from './invite-link.tsx';
import { TopBar } from './topbar.tsx';
import { ErrorAlert } from './error-alert.tsx';

/** `replaces`: a re-invite for this existing conversation (the person's new device). */
export function InviteClient({ replaces }: { replaces?: string }) {
  const existing = replaces ? conversations.value.find((c) => c.id === replaces) : undefined;
  const [label, setLabel] = useState(existing?.label ?? '');
  const [invite, setInvite] = useState<LocalInvite | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const s = session();
    if (!s || !label.trim()) return;
    setBusy(true);
    setError('');
    try {
      setInvite(await s.createInvite(label.trim(), existing?.id));
    } catch (err) {
      setError(err instanceof OfflineError ? 'Creating an invite needs a connection to the Confidant server. Try again when you are online.' : 'The invite could not be created. Try again.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="app-frame">
      <TopBar title={existing ? `Invite ${existing.label} again` : 'Invite a client'} back="#/" />
      <main class="screen" id="main">
        {!invite ? (
          <form class="card" onSubmit={submit} noValidate>
            <div class="field">
              <label for="invite-label">Who is this invite for?</label>
              <input id="invite-label" maxLength={80} value={label} onInput={(e) => setLabel(e.currentTarget.value)} aria-describedby="invite-label-hint" autocomplete="off" />
              <span id="invite-label-hint" class="hint">
                A label only you see, e.g. "J., Tuesday 3pm". It never leaves this device.
              </span>
            </div>
            <ErrorAlert message={error} />
            <button type="submit" class="primary" disabled={busy || !label.trim()}>
              Create invite
            </button>
          </form>
        ) : (
          <section class="card" aria-labelledby="invite-ready">
            <h2 id="invite-ready">Invite for {invite.label}</h2>
            <p>
              Give this link to your client in person or through a channel you trust. It works once and expires on {new Date(invite.expiresAt).toLocaleDateString()}.
            </p>
            <InviteLink invite={invite} />
            <p class="muted">You can show it again, copy it or withdraw it from your inbox until it is used.</p>
          </section>
        )}
      </main>
    </div>
  );
}
