/**
 * First run on this device: what Confidant is, and the two ways in (set up a practice, or
 * join from an invite link a therapist sent).
 * @module
 */
export function Welcome() {
  return (
    <main class="screen welcome" aria-labelledby="welcome-title">
      <img class="brand-mark" src="/icons/icon.svg" alt="" width={72} height={72} />
      <h1 id="welcome-title">Confidant</h1>
      <p class="lede">Private messages between you and your therapist. Everything is encrypted on this device before it leaves; the server cannot read a word.</p>
      <div class="actions">
        <a class="button primary" href="#/setup">I am a therapist: set up my practice</a>
        <p class="hint">Joining your therapist? Open the invite link they sent you on this device.</p>
        <a class="button" href="#/restore">
          Restore from a backup
        </a>
      </div>
    </main>
  );
}
