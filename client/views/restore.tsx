/**
 * A new device from a backup: the backup file, the 24-word recovery phrase it was made with,
 * and a passphrase for this device. What comes back and what does not is said before and after
 * (docs/FOR-THERAPISTS.md, part two).
 * @module
 */
import { useState } from 'preact/hooks';
import { BackupError } from '../backup/format.ts';
import { restoreDevice } from '../state/account.ts';
import { ErrorAlert } from './error-alert.tsx';
import { PassphraseFields } from './passphrase.tsx';
import { Progress } from './progress.tsx';

const failure = (e: unknown): string => {
  if (e instanceof BackupError) {
    switch (e.code) {
      case 'wrong_phrase':
        return 'This recovery phrase does not open this backup. Check each of the 24 words, and that the file is a backup of this account.';
      case 'not_a_backup':
        return 'This file is not a Confidant backup. Choose the file that ends in .confidant.';
      case 'unsupported_version':
        return 'This backup was made by a newer version of Confidant. Update the app, then try again.';
      case 'damaged':
        return 'This backup file is damaged or incomplete, so nothing was restored. Try another copy of it.';
      default:
        return e.message;
    }
  }
  return 'The backup could not be restored on this device. Nothing was changed; try again.';
};

export function Restore() {
  const [file, setFile] = useState<File | undefined>();
  const [phrase, setPhrase] = useState('');
  const [passphrase, setPassphrase] = useState<string | undefined>();
  const [progress, setProgress] = useState<number | undefined>();
  const [error, setError] = useState('');
  const words = phrase.trim().split(/\s+/).filter(Boolean).length;
  const ready = file !== undefined && words === 24 && passphrase !== undefined;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!ready) return;
    setError('');
    setProgress(0);
    try {
      await restoreDevice({ file, phrase, passphrase, onProgress: setProgress });
    } catch (err) {
      setProgress(undefined);
      setError(failure(err));
    }
  };
  return (
    <main class="screen" id="main" aria-labelledby="restore-title">
      <h1 id="restore-title">Restore from a backup</h1>
      <p>
        Everything in the backup comes back: your conversations, files, settings and keys, and your safety numbers stay the same. Messages sent or received after the backup
        was made were only on the old device and do not come back; each conversation will show where the backup ends.
      </p>
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="restore-file">Backup file</label>
          <input id="restore-file" type="file" accept=".confidant,application/octet-stream" onChange={(e) => setFile(e.currentTarget.files?.[0])} />
        </div>
        <div class="field">
          <label for="restore-phrase">Your 24-word recovery phrase</label>
          <textarea
            id="restore-phrase"
            rows={4}
            value={phrase}
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            onInput={(e) => setPhrase(e.currentTarget.value)}
            aria-describedby="restore-phrase-count"
          />
          <span id="restore-phrase-count" class="hint" aria-live="polite">
            {words === 24 ? '24 words.' : `${words} of 24 words.`}
          </span>
        </div>
        <PassphraseFields onChange={setPassphrase} />
        <ErrorAlert id="restore-error" message={error} />
        {progress !== undefined && <Progress label="Restoring" fraction={progress} />}
        <div class="actions">
          <button type="submit" class="primary" disabled={!ready || progress !== undefined}>
            Restore
          </button>
          <a class="button" href="#/">
            Back
          </a>
        </div>
      </form>
    </main>
  );
}
