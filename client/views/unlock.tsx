/**
 * The locked screen: nothing but the passphrase field. No names, no counts, no previews.
 * @module
 */
import { useState } from 'preact/hooks';
import { VaultError } from '../vault/errors.ts';
import { unlock } from '../state/lock.ts';
import { Progress } from './progress.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { PasswordManagerName } from './passphrase.tsx';

export function Unlock() {
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<number | undefined>();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!passphrase) return;
    setError('');
    setBusy(0);
    try {
      await unlock(passphrase, (f) => setBusy(f));
    } catch (err) {
      setBusy(undefined);
      setError(
        VaultError.is(err, 'wrong_passphrase')
          ? 'That passphrase is not right. Check for typing mistakes and try again.'
          : 'Confidant could not open its storage on this device. Close other Confidant tabs and try again.',
      );
    }
  };
  return (
    <main class="screen welcome" aria-labelledby="unlock-title">
      <img class="brand-mark" src="/icons/icon.svg" alt="" width={64} height={64} />
      <h1 id="unlock-title">Confidant is locked</h1>
      <form onSubmit={submit} noValidate>
        <PasswordManagerName />
        <div class="field">
          <label for="unlock-passphrase">Passphrase</label>
          <input
            id="unlock-passphrase"
            type="password"
            autocomplete="current-password"
            value={passphrase}
            onInput={(e) => setPassphrase(e.currentTarget.value)}
            aria-invalid={error !== ''}
            aria-describedby={error ? 'unlock-error' : undefined}
            autoFocus
          />
        </div>
        <ErrorAlert id="unlock-error" message={error} />
        {busy !== undefined && <Progress label="Unlocking" fraction={busy} />}
        <button type="submit" class="primary" disabled={busy !== undefined || passphrase === ''}>
          Unlock
        </button>
      </form>
    </main>
  );
}
