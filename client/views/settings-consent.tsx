/**
 * Consent in Settings (client/account/consent.ts). A therapist edits the consent text: saving
 * makes a new version, offered to every client, who accepts it before their next message. A
 * client sees which version they accepted and when, the history, and can withdraw their consent
 * (or give it again), with what that means said plainly before they choose.
 * @module
 */
import { useState } from 'preact/hooks';
import { consentToAccept } from '../account/consent.ts';
import { DEFAULT_CONSENT_TEXT } from '../account/onboarding.ts';
import { MAX_CONSENT_TEXT } from '../../shared/consts.ts';
import type { Conversation, Profile } from '../data/records.ts';
import { session } from '../state/session.ts';
import { conversations, navigate, profile } from '../state/signals.ts';
import { useConsentAction } from './consent-prompt.tsx';
import { ErrorAlert } from './error-alert.tsx';

export function SettingsConsent() {
  const p = profile.value;
  if (!p) return null;
  if (p.role === 'therapist') return <TherapistConsent profile={p} />;
  const c = conversations.value[0];
  return c ? <ClientConsent conversation={c} /> : null;
}

function TherapistConsent({ profile: p }: { profile: Profile }) {
  const current = p.consentText ?? DEFAULT_CONSENT_TEXT;
  const version = p.consentVersion ?? 1;
  const [text, setText] = useState(current);
  const { busy, error, run } = useConsentAction('The consent text could not be saved on this device. Try again.');
  const [saved, setSaved] = useState('');
  const changed = text.trim().length > 0 && text !== current;
  const save = async (e: Event) => {
    e.preventDefault();
    const s = session();
    if (!s || !changed) return;
    setSaved('');
    if (await run(() => s.publishConsent(text))) setSaved(`Saved as version ${version + 1}. Each client will be asked to accept it before their next message.`);
  };
  return (
    <section class="card consent-settings" aria-labelledby="consent-settings-title">
      <h2 id="consent-settings-title">Consent</h2>
      <form onSubmit={save}>
        <div class="field">
          <label for="consent-text-edit">Consent text (version {version})</label>
          <textarea
            id="consent-text-edit"
            dir="auto"
            maxLength={MAX_CONSENT_TEXT}
            aria-describedby="consent-settings-hint"
            value={text}
            onInput={(e) => {
              setText(e.currentTarget.value);
              setSaved('');
            }}
          />
        </div>
        <p id="consent-settings-hint" class="hint">
          New clients accept this text when they join. Saving a change makes version {version + 1}: it is sent to every client, who must accept it
          before they can write again (they can still read). What each client accepted stays in their consent history.
        </p>
        <ErrorAlert id="consent-settings-error" message={error} />
        <p role="status" class="muted">
          {saved}
        </p>
        <button type="submit" class="primary" disabled={!changed || busy}>
          Save as version {version + 1}
        </button>
      </form>
    </section>
  );
}

function ClientConsent({ conversation: c }: { conversation: Conversation }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useConsentAction('Your choice could not be saved on this device. Try again.');
  const withdrawn = c.consentWithdrawnAt !== undefined;
  const waiting = consentToAccept(c);
  const act = async (what: 'withdraw' | 'accept') => {
    const s = session();
    if (s && (await run(() => (what === 'withdraw' ? s.withdrawConsent(c.id) : s.acceptConsent(c.id))))) setConfirming(false);
  };
  return (
    <section class="card" aria-labelledby="consent-settings-title">
      <h2 id="consent-settings-title">Consent to messaging</h2>
      <p>
        {withdrawn
          ? `You withdrew your consent on ${new Date(c.consentWithdrawnAt!).toLocaleDateString()}. You can read your conversation, but you cannot send messages until you give your consent again.`
          : `You accepted version ${c.consentVersion ?? 1} of your therapist's consent text${c.consentAt ? ` on ${new Date(c.consentAt).toLocaleDateString()}` : ''}.`}
        {!withdrawn && waiting && ` Version ${waiting.version} is waiting for your answer in your conversation.`}
      </p>
      <button type="button" class="link" onClick={() => navigate(`#/consent/${encodeURIComponent(c.id)}`)}>
        Consent history
      </button>
      <ErrorAlert id="consent-settings-error" message={error} />
      {withdrawn ? (
        <div class="actions-row">
          <button type="button" class="primary" disabled={busy} onClick={() => void act('accept')}>
            Give consent again
          </button>
        </div>
      ) : confirming ? (
        <div class="notice" role="group" aria-labelledby="withdraw-title">
          <h3 id="withdraw-title">Withdraw your consent?</h3>
          <ul>
            <li>Your therapist sees at once that you withdrew, and when.</li>
            <li>You will not be able to send messages here. You can still read the conversation, and your therapist can still write to you.</li>
            <li>Messages you already exchanged stay on both devices; your therapist may have to keep them as part of your record.</li>
            <li>This does not end your therapy. Talk to your therapist about what you would like instead.</li>
            <li>To resume, come back here (or to your conversation) and give your consent again.</li>
          </ul>
          <div class="actions-row">
            <button type="button" class="danger" disabled={busy} onClick={() => void act('withdraw')}>
              Withdraw consent
            </button>
            <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
              Keep my consent
            </button>
          </div>
        </div>
      ) : (
        <div class="actions-row">
          <button type="button" onClick={() => setConfirming(true)}>
            Withdraw consent…
          </button>
        </div>
      )}
    </section>
  );
}
