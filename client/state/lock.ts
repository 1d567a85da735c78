/**
 * Locking and unlocking: at load, whether this device has a vault; unlock with the passphrase
 * (which opens the session, session.ts); lock now (after the draft being written is saved); and
 * auto-lock after inactivity. Any lock, from here, from the idle timer or from another tab,
 * closes the session, so the signals hold nothing decrypted afterwards.
 * @module
 */
import { batch } from '@preact/signals';
import { clearFailures, countFailedUnlock, readFailures } from '../audit/failures.ts';
import { VaultError } from '../vault/errors.ts';
import { BEFORE_LOCK_MAX_MS, startAutoLock as startVaultAutoLock, type AutoLock } from '../vault/auto-lock.ts';
import { openVault, vaultExists, type Vault } from '../vault/vault.ts';
import { closeSession, openSession, session } from './session.ts';
import { browserOnline, phase, profile, route } from './signals.ts';

/** The IndexedDB database of this device's vault. */
export const VAULT_DB = 'confidant-vault';

/** Opens the session of an unlocked vault and starts it, with auto-lock. */
export async function begin(vault: Vault): Promise<void> {
  const s = await openSession(vault);
  // The security log starts with the vault (setting up, joining, or the first unlock since the log existed).
  if ((await s.audit.count()) === 0) await s.audit.record('log_started');
  s.onEnd(
    vault.onLockChange((unlocked) => {
      if (!unlocked && session() === s) endSession();
    }),
  );
  batch(() => {
    profile.value = s.profile;
    phase.value = 'ready';
  });
  await s.refresh();
  s.start();
  startAutoLock(s.profile.autoLockMinutes);
}

function endSession(): void {
  batch(() => {
    closeSession();
    stopAutoLock();
    phase.value = 'locked';
  });
}

let lockedVault: Vault | undefined;

/** At load: is there a vault on this device? */
export async function boot(): Promise<void> {
  addEventListener('hashchange', () => (route.value = location.hash));
  addEventListener('online', () => {
    browserOnline.value = true;
    void session()?.sync();
  });
  addEventListener('offline', () => (browserOnline.value = false));
  phase.value = (await vaultExists(VAULT_DB)) ? 'locked' : 'welcome';
}

/** Unlocks with the passphrase; rejects with the vault's `wrong_passphrase` error otherwise. */
export async function unlock(passphrase: string, onProgress?: (fraction: number) => void): Promise<void> {
  lockedVault ??= await openVault(VAULT_DB);
  try {
    await lockedVault.unlock(passphrase, onProgress ? { onProgress } : {});
  } catch (e) {
    if (e instanceof VaultError && e.code === 'wrong_passphrase') countFailedUnlock(Date.now());
    throw e;
  }
  await begin(lockedVault);
  const audit = session()?.audit;
  if (!audit) return;
  const failures = readFailures();
  if (failures) {
    await audit.record('unlock_failed', { attempts: failures.attempts, first: failures.first, last: failures.last });
    clearFailures();
  }
  await audit.record('unlock');
}

/** Locks now, once the draft being written is saved (the vault cannot write after the lock); bounded like auto-lock's. */
export async function lockNow(): Promise<void> {
  const current = session();
  const saving = current && Promise.all([current.drafts.flush(), current.audit.record('lock', { how: 'now' })]);
  if (saving) await Promise.race([saving, new Promise((r) => setTimeout(r, BEFORE_LOCK_MAX_MS))]);
  const vault = current?.vault;
  endSession();
  vault?.lock();
  lockedVault = vault ?? lockedVault;
}

// Auto-lock after inactivity (client/vault/auto-lock.ts keeps the deadline). Input counts as
// activity; sync never does. A page coming back into view checks the deadline at once, since
// browsers throttle the timers of hidden pages.
let autoLock: AutoLock | undefined;
const activity = (): void => autoLock?.touch();
const visibility = (): void => autoLock?.check();
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'scroll'] as const;

/** (Re)starts auto-lock for the open session with `minutes` of allowed inactivity. */
export function startAutoLock(minutes: number): void {
  stopAutoLock();
  const s = session();
  const vault = s?.vault;
  if (!vault || !(minutes > 0)) return;
  autoLock = startVaultAutoLock(vault, minutes * 60_000, {
    beforeLock: async () => {
      if (s) await Promise.all([s.drafts.flush(), s.audit.record('lock', { how: 'inactivity' })]);
    },
  });
  for (const e of ACTIVITY_EVENTS) addEventListener(e, activity, { passive: true, capture: true });
  document.addEventListener('visibilitychange', visibility);
}

function stopAutoLock(): void {
  autoLock?.stop();
  autoLock = undefined;
  for (const e of ACTIVITY_EVENTS) removeEventListener(e, activity, { capture: true });
  document.removeEventListener('visibilitychange', visibility);
}
