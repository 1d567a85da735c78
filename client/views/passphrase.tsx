/**
 * Choosing the passphrase that locks the vault on this device: entered twice, at least 10
 * characters, with what it protects said plainly.
 * @module
 */
import { useState } from 'preact/hooks';

export const MIN_PASSPHRASE = 10;

/**
 * What a password manager files the passphrase under. Without a username field of its own,
 * Chromium takes the text field before the password as the username and keeps it on disk
 * (Login Data), even when the person declines to save: on the setup form that was the
 * practice name or the registration code (issue 9 item 17). This fixed, hidden one is picked
 * instead, and says nothing about the person.
 */
export function PasswordManagerName() {
  return <input type="text" name="username" autocomplete="username" value="Confidant" readOnly hidden tabIndex={-1} aria-hidden="true" />;
}

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
      <PasswordManagerName />
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
