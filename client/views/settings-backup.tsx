/**
 * Settings: an encrypted backup of everything on this device, saved as a file (client/backup/).
 * The recovery phrase always opens it; a passphrase may be added for whoever keeps the file.
 * @module
 */
import { useState } from 'preact/hooks';
import { makeBackup } from '../backup/backup.ts';
import { session } from '../state/session.ts';
import { Progress } from './progress.tsx';

function offer(file: Blob, name: string): void {
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const megabytes = (bytes: number): string => `${(bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 1 : 0)} MB`;

export function BackupSettings() {
  const [passphrase, setPassphrase] = useState('');
  const [progress, setProgress] = useState<number | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const s = session();
  if (!s) return null;
  const run = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setDone(undefined);
    setProgress(0);
    try {
      const made = await makeBackup(s, { ...(passphrase ? { passphrase } : {}), onProgress: (d, t) => setProgress(t > 0 ? d / t : 0) });
      offer(made.file, made.name);
      setDone(`Saved ${made.name} (${megabytes(made.bytes)}). Keep it somewhere safe, away from this device.`);
      setPassphrase('');
    } catch (err) {
      setError(`The backup could not be made (${(err as Error).message}). Nothing was saved; try again.`);
    } finally {
      setProgress(undefined);
    }
  };
  return (
    <section class="card" aria-labelledby="backup-title">
      <h2 id="backup-title">Backup</h2>
      <p>
        Save everything on this device (messages, files, settings and keys) as one encrypted file. Your 24-word recovery phrase opens it on a new device; without the phrase the
        file cannot be read by anyone, including us.
      </p>
      <form onSubmit={run}>
        <div class="field">
          <label for="backup-passphrase">Also open with this passphrase (optional)</label>
          <input id="backup-passphrase" type="password" autocomplete="new-password" value={passphrase} onInput={(e) => setPassphrase(e.currentTarget.value)} aria-describedby="backup-passphrase-hint" />
          <span id="backup-passphrase-hint" class="hint">
            For whoever keeps the file for you. The recovery phrase always opens it.
          </span>
        </div>
        {progress !== undefined && <Progress label="Encrypting the backup" fraction={progress} />}
        <button type="submit" class="primary" disabled={progress !== undefined}>
          Save an encrypted backup
        </button>
      </form>
      <div role="status" aria-live="polite">
        {done && <p class="notice">{done}</p>}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
