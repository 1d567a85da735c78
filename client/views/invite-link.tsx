/**
 * An invite's link shown to hand over: its QR code, the link itself and a Copy button. Used by
 * the invite screen once an invite is made and by the inbox's pending invites to show it again.
 * The link is short (PROTOCOL.md §14, version 2), so the QR code stays small enough to scan
 * from a screen or a printout.
 * @module
 */
import { useState } from 'preact/hooks';
import type { LocalInvite } from '../data/records.ts';
import { ErrorAlert } from './error-alert.tsx';
import { QrCode } from './qr.tsx';

export function InviteLink({ invite, idPrefix = 'invite' }: { invite: LocalInvite; idPrefix?: string }) {
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(invite.link);
      setCopied(true);
      setError('');
    } catch {
      setError('Copying is not allowed here; select the link and copy it by hand.');
    }
  };
  return (
    <div class="invite-link-card">
      <QrCode text={invite.link} label={`QR code of the invite for ${invite.label}`} />
      <label for={`${idPrefix}-link`}>Invite link</label>
      <textarea id={`${idPrefix}-link`} class="invite-link" readOnly rows={3} value={invite.link} autocomplete="off" />
      <div class="actions">
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy link'}
        </button>
      </div>
      <ErrorAlert message={error} />
    </div>
  );
}
