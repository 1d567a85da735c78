/**
 * A client's first run from an invite link: the link is read, then checked with the relay
 * (a used or expired invite is said at once, before anything else; no connection is said as
 * such, with a retry, never as a bad invite), then who invited them, the emergency notice, the
 * consent to read and accept, the recovery phrase and a passphrase. Nothing is registered until
 * the last step, which still handles a refusal (someone used the invite meanwhile).
 * @module
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Invite } from '../../shared/invite.ts';
import { generateRootSecret, rootSecretToPhrase } from '../../shared/keys.ts';
import { OnboardingError } from '../account/onboarding.ts';
import { OfflineError } from '../api/relay.ts';
import { checkJoinInvite, inviteFromRoute, joinFromInvite } from '../state/account.ts';
import { PassphraseFields } from './passphrase.tsx';
import { ConfirmPhrase, ShowPhrase } from './phrase.tsx';
import { Progress } from './progress.tsx';
import { ErrorAlert, onboardingFailure } from './error-alert.tsx';

type Step = 'consent' | 'phrase' | 'confirm' | 'passphrase';

/** The relay's answer about the invite: still usable, refused, or not known (no answer). */
type Check = { state: 'checking' } | { state: 'usable' } | { state: 'refused'; message: string } | { state: 'unknown'; message: string };

const checkFailure = (e: unknown): Check =>
  e instanceof OnboardingError
    ? { state: 'refused', message: e.message }
    : {
        state: 'unknown',
        message:
          e instanceof OfflineError
            ? 'Your invite could not be checked because the Confidant server cannot be reached. Check your connection and try again.'
            : 'The Confidant server could not check your invite just now. Try again in a moment.',
      };

export function Join({ hash }: { hash: string }) {
  const [invite, setInvite] = useState<Invite | undefined>();
  const [check, setCheck] = useState<Check>({ state: 'checking' });
  const [attempt, setAttempt] = useState(0);
  const rootSecret = useMemo(() => generateRootSecret(), []);
  const words = useMemo(() => rootSecretToPhrase(rootSecret).split(' '), [rootSecret]);
  const [step, setStep] = useState<Step>('consent');
  const [accepted, setAccepted] = useState(false);
  const [passphrase, setPassphrase] = useState<string | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<number | undefined>();

  // Read the link (a short one fetches its body from the relay), then ask the relay whether the
  // invite can still be used, before the first step; again on "Try again" or back online.
  useEffect(() => {
    let live = true;
    setCheck({ state: 'checking' });
    (async () => {
      const read = invite ?? (await inviteFromRoute(hash));
      if (live) setInvite(read);
      await checkJoinInvite(read);
    })().then(
      () => live && setCheck({ state: 'usable' }),
      (e: unknown) => live && setCheck(checkFailure(e)),
    );
    return () => {
      live = false;
    };
    // `invite` is read, not watched: once read it is kept for the retries.
  }, [hash, attempt]);
  const unknown = check.state === 'unknown';
  useEffect(() => {
    if (!unknown) return;
    const retry = () => setAttempt((n) => n + 1);
    addEventListener('online', retry);
    return () => removeEventListener('online', retry);
  }, [unknown]);

  if (check.state === 'refused') {
    return (
      <main class="screen" aria-labelledby="join-title">
        <h1 id="join-title">This invite cannot be used</h1>
        <ErrorAlert message={check.message} />
      </main>
    );
  }
  if (!invite || check.state === 'checking') {
    return (
      <main class="screen boot" aria-busy="true">
        <p>{invite ? 'Checking your invite…' : 'Reading your invite…'}</p>
      </main>
    );
  }
  if (check.state === 'unknown') {
    return (
      <main class="screen" aria-labelledby="join-title">
        <h1 id="join-title">Your invite could not be checked</h1>
        <ErrorAlert message={check.message} />
        <div class="actions">
          <button type="button" class="primary" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </div>
      </main>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!passphrase) {
      setError('Choose a passphrase of at least 10 characters and type it twice.');
      return;
    }
    setError('');
    setBusy(0);
    try {
      await joinFromInvite({ invite, rootSecret, passphrase, onProgress: (f) => setBusy(f) });
    } catch (err) {
      setBusy(undefined);
      setError(onboardingFailure(err, 'Something went wrong while joining. Try again, or ask your therapist for a new invite link.'));
    }
  };

  return (
    <main class="screen" aria-labelledby="join-title">
      <h1 id="join-title">Join {invite.practiceName}</h1>
      {step === 'consent' && (
        <section class="card" aria-labelledby="consent-title">
          <p class="notice" role="note">
            <strong>Important: </strong>
            {invite.emergencyNotice}
          </p>
          <h2 id="consent-title">Before you start</h2>
          <div class="consent-text" tabIndex={0} aria-label="Consent text">
            {invite.consentText}
          </div>
          <label class="checkbox">
            <input type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.currentTarget.checked)} />
            <span>I have read this and I agree to message {invite.practiceName} on these terms.</span>
          </label>
          <div class="actions">
            <button type="button" class="primary" disabled={!accepted} onClick={() => setStep('phrase')}>
              Continue
            </button>
          </div>
        </section>
      )}
      {step === 'phrase' && <ShowPhrase words={words} onDone={() => setStep('confirm')} />}
      {step === 'confirm' && <ConfirmPhrase words={words} onConfirmed={() => setStep('passphrase')} onBack={() => setStep('phrase')} />}
      {step === 'passphrase' && (
        <form class="card" onSubmit={submit} noValidate>
          <PassphraseFields onChange={setPassphrase} />
          <ErrorAlert message={error} />
          {busy !== undefined && <Progress label="Creating your encrypted vault" fraction={busy} />}
          <div class="actions">
            <button type="submit" class="primary" disabled={busy !== undefined}>
              Start messaging
            </button>
          </div>
        </form>
      )}
    </main>
  );
}
