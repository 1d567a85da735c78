/**
 * What a client sees instead of the composer while their consent is needed
 * (client/account/consent.ts `consentToAccept`): a new version of their therapist's consent
 * text to accept before their next message, or, after they withdrew consent, what that means and
 * the text to accept again. Reading the conversation is never held back; only writing waits.
 * @module
 */
import { useState } from 'preact/hooks';
import type { ConsentOffer, Conversation } from '../data/records.ts';
import { session } from '../state/session.ts';
import { ErrorAlert } from './error-alert.tsx';

/** Long texts start folded to their first lines; "Read the full text" unfolds them. */
const FOLDED_LINES = 6;

/** The consent text, as the therapist wrote it (rendered as text, bidi-isolated), foldable when long. */
export function ConsentText({ text, id }: { text: string; id: string }) {
  const lines = text.split('\n');
  const long = lines.length > FOLDED_LINES || text.length > 600;
  const [open, setOpen] = useState(!long);
  const shown = open ? text : `${lines.slice(0, FOLDED_LINES).join('\n').slice(0, 600)}…`;
  return (
    <>
      <div class="consent-text" id={id} tabIndex={0} aria-label="Consent text" dir="auto">
        {shown}
      </div>
      {long && (
        <button type="button" class="link" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
          {open ? 'Show less' : 'Read the full text'}
        </button>
      )}
    </>
  );
}

/** A consent action in progress (`busy`) and its failure in plain words (`error`), for the buttons that start one. */
export function useConsentAction(failure: string): { busy: boolean; error: string; run: (work: () => Promise<void>) => Promise<boolean> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = async (work: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    setError('');
    try {
      await work();
      return true;
    } catch {
      setError(failure);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export function ConsentPrompt({ conversation, offer }: { conversation: Conversation; offer: ConsentOffer }) {
  const { busy, error, run } = useConsentAction('Your answer could not be saved on this device. Try again.');
  const withdrawn = conversation.consentWithdrawnAt !== undefined && !(conversation.consentOffer && offer.version === conversation.consentOffer.version);
  const accept = () => run(async () => session()?.acceptConsent(conversation.id));
  return (
    <section class="composer consent-prompt" aria-labelledby="consent-prompt-title">
      <h2 id="consent-prompt-title">{withdrawn ? 'You withdrew your consent to messaging' : 'Your therapist updated the consent text'}</h2>
      <p>
        {withdrawn
          ? `On ${new Date(conversation.consentWithdrawnAt!).toLocaleDateString()} you withdrew your consent. You can still read this conversation, but you cannot send messages until you give your consent again. To do that, read the text below and choose "Accept and write again".`
          : `Please read version ${offer.version} and accept it before your next message. You can still read the conversation meanwhile.`}
      </p>
      <ConsentText text={offer.text} id="consent-prompt-text" />
      <ErrorAlert id="consent-prompt-error" message={error} />
      <div class="actions-row">
        <button type="button" class="primary" disabled={busy} onClick={() => void accept()}>
          {withdrawn ? 'Accept and write again' : 'Accept'}
        </button>
      </div>
    </section>
  );
}
