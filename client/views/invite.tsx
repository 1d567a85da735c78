/**
 * Inviting a client: a label only this device knows, then the link and its QR code. The link's
 * fragment carries the keys and the consent text; the relay never sees it.
 * @module
 */
import { useState } from 'preact/hooks';
import { OfflineError } from '../api/relay.ts';
import type { LocalInvite } from '../data/records.ts';
import { session } from '../state/session.ts';
import { conversations } from '../state/signals.ts';
import { QrCode } from './qr.tsx';
import { TopBar } from './topbar.tsx';
import { ErrorAlert } from './error-alert.tsx';

/** `replaces`: a re-invite for this existing conversation (the person's new device). */
export function InviteClient({ replaces }: { replaces?: string }) {
  const existing = replaces ? conversations.value.find((c) => c.id === replaces) : undefined;
  const [label, setLabel] = useState(existing?.label ?? '');
  const [invite, setInvite] = useState<LocalInvite | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

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
  const copy = async () => {
    if (!invite) return;
    try {
      await navigator.clipboard.writeText(invite.link);
      setCopied(true);
    } catch {
      setError('Copying is not allowed here; select the link and copy it by hand.');
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
            <QrCode text={invite.link} label={`QR code of the invite for ${invite.label}`} />
            <label for="invite-link">Invite link</label>
            <textarea id="invite-link" class="invite-link" readOnly rows={4} value={invite.link} autocomplete="off" />
            <div class="actions">
              <button type="button" onClick={() => void copy()}>
                {copied ? 'Copied' : 'Copy link'}
              </button>
            </div>
            <ErrorAlert message={error} />
          </section>
        )}
      </main>
    </div>
  );
}
