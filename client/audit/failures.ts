/**
 * Failed unlocks, counted while the vault is locked. A wrong passphrase opens nothing, so the
 * security log (in the vault) cannot be written then; the count waits here, in this origin's
 * localStorage (a number and two times, nothing else), and the next unlock moves it into the log
 * as one `unlock_failed` entry. Whoever holds the unlocked browser profile could clear it: the
 * log says what this device saw, not what it could not (docs/THREAT-MODEL.md).
 * @module
 */

const KEY = 'confidant:unlock-failures';

export interface UnlockFailures {
  readonly attempts: number;
  readonly first: number;
  readonly last: number;
}

const storage = (): Storage | undefined => {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // storage blocked by the browser's settings
  }
};

export function countFailedUnlock(now: number): void {
  const s = storage();
  if (!s) return;
  const before = readFailures();
  const next: UnlockFailures = before ? { attempts: before.attempts + 1, first: before.first, last: now } : { attempts: 1, first: now, last: now };
  s.setItem(KEY, JSON.stringify(next));
}

export function readFailures(): UnlockFailures | undefined {
  const raw = storage()?.getItem(KEY);
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<UnlockFailures>;
    const ok = [v.attempts, v.first, v.last].every((n) => Number.isSafeInteger(n) && (n as number) >= 0) && (v.attempts as number) > 0;
    return ok ? (v as UnlockFailures) : undefined;
  } catch {
    return undefined;
  }
}

export function clearFailures(): void {
  storage()?.removeItem(KEY);
}
