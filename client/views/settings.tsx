/**
 * Settings on this device: auto-lock delay, and locking now.
 * @module
 */
import { lockNow, startAutoLock } from '../state/lock.ts';
import { session } from '../state/session.ts';
import { profile } from '../state/signals.ts';
import { BackupSettings } from './settings-backup.tsx';
import { SettingsConsent } from './settings-consent.tsx';
import { NotificationSettings } from './settings-notifications.tsx';
import { TemplatesSettings } from './settings-templates.tsx';
import { PracticeSettings } from './settings-practice.tsx';
import { TopBar } from './topbar.tsx';

const CHOICES = [1, 5, 15, 60] as const;

export function Settings() {
  const p = profile.value;
  const s = session();
  if (!p || !s) return null;
  const setMinutes = async (minutes: number) => {
    await s.saveProfile({ ...p, autoLockMinutes: minutes });
    startAutoLock(minutes);
    await s.audit.record('settings_changed', { setting: 'autoLockMinutes', value: minutes });
  };
  return (
    <div class="app-frame">
      <TopBar title="Settings" back="#/" />
      <main class="screen" id="main">
        <PracticeSettings />
        <section class="card" aria-labelledby="lock-title">
          <h2 id="lock-title">Lock</h2>
          <div class="field">
            <label for="auto-lock">Lock after inactivity</label>
            <select id="auto-lock" value={String(p.autoLockMinutes)} onChange={(e) => void setMinutes(Number(e.currentTarget.value))}>
              {CHOICES.map((m) => (
                <option key={m} value={String(m)}>
                  {m === 1 ? '1 minute' : m === 60 ? '1 hour' : `${m} minutes`}
                </option>
              ))}
            </select>
          </div>
          <button type="button" onClick={lockNow}>
            Lock now
          </button>
        </section>
        <BackupSettings />
        <section class="card" aria-labelledby="security-log-title">
          <h2 id="security-log-title">Security log</h2>
          <p>Unlocks, wrong passphrases, locks, safety number changes and exports, signed by this device. Check it or export it for your records.</p>
          <a class="button" href="#/security-log">
            Open the security log
          </a>
        </section>
        <SettingsConsent />
        <NotificationSettings />
        {p.role === 'therapist' && <TemplatesSettings />}
        <section class="card" aria-labelledby="about-title">
          <h2 id="about-title">This device</h2>
          <p>
            You are signed in as {p.role === 'therapist' ? `the therapist of ${p.practiceName}` : `a client of ${p.practiceName}`}. Your messages and keys are stored encrypted on
            this device and unlock only with your passphrase.
          </p>
        </section>
      </main>
    </div>
  );
}
