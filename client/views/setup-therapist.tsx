/**
 * A therapist's first run: the recovery phrase (shown, then checked), then the practice name,
 * the operator's registration code and the passphrase for this device.
 * @module
 */
import { useMemo, useState } from 'preact/hooks';
import { generateRootSecret, rootSecretToPhrase } from '../../shared/keys.ts';
import { setUpTherapist } from '../state/account.ts';
import { navigate } from '../state/signals.ts';
import { PassphraseFields } from './passphrase.tsx';
import { ConfirmPhrase, ShowPhrase } from './phrase.tsx';
import { Progress } from './progress.tsx';
import { ErrorAlert, onboardingFailure } from './error-alert.tsx';

type Step = 'phrase' | 'confirm' | 'details';

export function SetupTherapist() {
  const rootSecret = useMemo(() => generateRootSecret(), []);
  const words = useMemo(() => rootSecretToPhrase(rootSecret).split(' '), [rootSecret]);
  const [step, setStep] = useState<Step>('phrase');
  const [practiceName, setPracticeName] = useState('');
  const [code, setCode] = useState('');
  const [passphrase, setPassphrase] = useState<string | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<number | undefined>();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!passphrase || !practiceName.trim() || !code.trim()) {
      setError('Fill in the practice name, the registration code and the passphrase (twice).');
      return;
    }
    setError('');
    setBusy(0);
    try {
      await setUpTherapist({ rootSecret, passphrase, code, practiceName, onProgress: (f) => setBusy(f) });
    } catch (err) {
      setBusy(undefined);
      setError(onboardingFailure(err, 'Something went wrong while setting up. Try again; if it keeps happening, tell your administrator.'));
    }
  };

  return (
    <main class="screen" aria-labelledby="setup-title">
      <h1 id="setup-title">Set up your practice</h1>
      <p class="muted">Step {step === 'phrase' ? 1 : step === 'confirm' ? 2 : 3} of 3</p>
      {step === 'phrase' && <ShowPhrase words={words} onDone={() => setStep('confirm')} />}
      {step === 'confirm' && <ConfirmPhrase words={words} onConfirmed={() => setStep('details')} onBack={() => setStep('phrase')} />}
      {step === 'details' && (
        <form class="card" onSubmit={submit} noValidate aria-labelledby="details-title">
          <h2 id="details-title">Your practice</h2>
          <div class="field">
            <label for="practice-name">Practice name</label>
            <input id="practice-name" maxLength={80} value={practiceName} onInput={(e) => setPracticeName(e.currentTarget.value)} autocomplete="off" aria-describedby="practice-hint" />
            <span id="practice-hint" class="hint">
              Your clients see this. It stays on devices; the server never stores it.
            </span>
          </div>
          <div class="field">
            <label for="registration-code">Registration code</label>
            <input id="registration-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} autocomplete="off" autocapitalize="none" spellcheck={false} aria-describedby="code-hint" />
            <span id="code-hint" class="hint">
              The one-time code your Confidant administrator gave you.
            </span>
          </div>
          <PassphraseFields onChange={setPassphrase} />
          <ErrorAlert message={error} />
          {busy !== undefined && <Progress label="Creating your encrypted vault" fraction={busy} />}
          <div class="actions">
            <button type="submit" class="primary" disabled={busy !== undefined}>
              Create my practice
            </button>
          </div>
        </form>
      )}
      <button type="button" class="link" onClick={() => navigate('#/')}>
        Cancel
      </button>
    </main>
  );
}
