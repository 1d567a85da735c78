/**
 * Choosing the passphrase that locks the vault on this device: entered twice, at least 10
 * characters, with what it protects said plainly.
 * @module
 */
import { useState } from 'preact/hooks';

export const MIN_PASSPHRASE = 10;

export function PassphraseFields({ onChange }: { onChange: (passphrase: string | undefined) => void }) {
  const [first, setFirst] = useState('');
  const [second, setSecond] = useState('');
  const update = (a: string, b: string) => {
    setFirst(a);
    setSecond(b);
    onChange(a.length >= MIN_PASSPHRASE && a === b ? a : undefined);
  };
  const mismatch = second.length > 0 && first !== second;
  return (
    <fieldset class="field-group">
      <legend>Passphrase for this device</legend>
      <p class="hint">It unlocks Confidant on this device. Use at least {MIN_PASSPHRASE} characters; a few unrelated words work well.</p>
      <div class="field">
        <label for="passphrase">Passphrase</label>
        <input id="passphrase" type="password" autocomplete="new-password" value={first} onInput={(e) => update(e.currentTarget.value, second)} aria-describedby="passphrase-rule" />
        <span id="passphrase-rule" class="hint">
          {first.length > 0 && first.length < MIN_PASSPHRASE ? `${MIN_PASSPHRASE - first.length} more characters needed.` : ' '}
        </span>
      </div>
      <div class="field">
        <label for="passphrase-again">Passphrase again</label>
        <input
          id="passphrase-again"
          type="password"
          autocomplete="new-password"
          value={second}
          onInput={(e) => update(first, e.currentTarget.value)}
          aria-invalid={mismatch}
          aria-describedby="passphrase-match"
        />
        <span id="passphrase-match" class="hint" aria-live="polite">
          {mismatch ? 'The two passphrases differ.' : ' '}
        </span>
      </div>
    </fieldset>
  );
}
