/**
 * The recovery phrase: shown once, then confirmed by asking for three of its words, so a
 * person cannot click past the one thing that restores their account.
 * @module
 */
import { useMemo, useState } from 'preact/hooks';
import { randomBytes } from '../../shared/provider.ts';
import { ErrorAlert } from './error-alert.tsx';

export function ShowPhrase({ words, onDone }: { words: readonly string[]; onDone: () => void }) {
  const [saved, setSaved] = useState(false);
  return (
    <section class="card" aria-labelledby="phrase-title">
      <h2 id="phrase-title">Your recovery phrase</h2>
      <p>
        These 24 words are the only way to restore your account on a new device. Write them on paper, in order, and keep them somewhere safe. Nobody at Confidant can recover
        them for you.
      </p>
      <ol class="phrase" aria-label="Recovery phrase, 24 words">
        {words.map((w, i) => (
          <li key={i}>{w}</li>
        ))}
      </ol>
      <label class="checkbox">
        <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.currentTarget.checked)} />
        <span>I have written down all 24 words.</span>
      </label>
      <div class="actions">
        <button type="button" class="primary" disabled={!saved} onClick={onDone}>
          Continue
        </button>
      </div>
    </section>
  );
}

/** Three distinct positions chosen with the CSPRNG (rejection sampling: no modulo bias). */
function pickPositions(count: number): number[] {
  const picked = new Set<number>();
  const limit = 256 - (256 % count);
  while (picked.size < 3) {
    const byte = randomBytes(1)[0]!;
    if (byte < limit) picked.add(byte % count);
  }
  return [...picked].sort((a, b) => a - b);
}

export function ConfirmPhrase({ words, onConfirmed, onBack }: { words: readonly string[]; onConfirmed: () => void; onBack: () => void }) {
  const positions = useMemo(() => pickPositions(words.length), [words]);
  const [answers, setAnswers] = useState<string[]>(['', '', '']);
  const [error, setError] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const ok = positions.every((p, i) => answers[i]!.trim().toLowerCase() === words[p]);
    if (ok) onConfirmed();
    else setError('One or more words do not match. Check your paper copy, or go back to see the phrase again.');
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="confirm-title" noValidate>
      <h2 id="confirm-title">Check your copy</h2>
      <p>Type these words from your recovery phrase.</p>
      {positions.map((p, i) => (
        <div class="field" key={p}>
          <label for={`word-${p}`}>Word {p + 1}</label>
          <input
            id={`word-${p}`}
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            value={answers[i]}
            onInput={(e) => setAnswers(answers.map((a, j) => (j === i ? e.currentTarget.value : a)))}
          />
        </div>
      ))}
      <ErrorAlert message={error} />
      <div class="actions">
        <button type="submit" class="primary">
          Confirm
        </button>
        <button type="button" onClick={onBack}>
          Show the phrase again
        </button>
      </div>
    </form>
  );
}
