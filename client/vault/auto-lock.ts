/**
 * Lock the vault after inactivity (ARCHITECTURE.md, boundary 9). The UI decides what counts as
 * activity and calls `touch()` for it (key presses, taps, scrolls); background work such as
 * sync must not, or a device left on a desk would never lock. A timer, not a polling loop:
 * browsers throttle timers in hidden pages, so the UI should also call `check()` on
 * `visibilitychange`, which locks at once if the deadline passed while hidden.
 * Timers and the clock are injectable so tests need no wall-clock waits.
 *
 * `beforeLock` runs at the timer's deadline with the vault still open (the app saves the draft
 * being written there, issue 9 item 12); the lock follows when it settles, and after
 * `BEFORE_LOCK_MAX_MS` at the latest, so nothing can hold the vault open. `check()` on a page
 * shown again locks at once without it: whatever was typed was saved long before the deadline.
 * @module
 */
import { vaultFail } from './errors.ts';
import type { Vault } from './vault.ts';

export interface AutoLock {
  /** Activity: push the deadline to now + idleMs. */
  touch(): void;
  /** Lock now if the deadline has passed (call on visibilitychange / resume). */
  check(): void;
  /** Stop watching (the vault is left as it is). */
  stop(): void;
}

/** The longest `beforeLock` may delay an idle lock. */
export const BEFORE_LOCK_MAX_MS = 2_000;

export interface AutoLockOptions {
  /** Runs at the idle deadline before the lock (e.g. save what is being written). */
  readonly beforeLock?: () => Promise<unknown>;
  readonly now?: () => number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

export function startAutoLock(vault: Vault, idleMs: number, options: AutoLockOptions = {}): AutoLock {
  if (!Number.isFinite(idleMs) || idleMs <= 0) throw vaultFail('invalid_argument', `idleMs must be a positive number, got ${idleMs}`);
  const now = options.now ?? (() => Date.now());
  const setTimer = options.setTimer ?? ((run: () => void, ms: number) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let deadline = now() + idleMs;
  let timer: unknown;
  let stopped = false;

  const disarm = () => {
    if (timer !== undefined) clearTimer(timer);
    timer = undefined;
  };
  const arm = () => {
    disarm();
    if (stopped || !vault.isUnlocked) return;
    timer = setTimer(expire, Math.max(0, deadline - now()));
  };
  let saving = false;
  /** The timer's path: give `beforeLock` its bounded moment, then lock. */
  const expire = (): void => {
    if (stopped || !vault.isUnlocked) return disarm();
    if (now() < deadline) return arm();
    disarm();
    if (!options.beforeLock) return vault.lock();
    if (saving) return;
    saving = true;
    let bound: unknown;
    const lock = () => {
      saving = false;
      if (bound !== undefined) clearTimer(bound);
      vault.lock(); // even if stopped meanwhile: the deadline had passed
    };
    bound = setTimer(lock, BEFORE_LOCK_MAX_MS);
    void options.beforeLock().then(lock, lock);
  };
  function check(): void {
    if (stopped || !vault.isUnlocked) return disarm();
    if (now() >= deadline) {
      disarm();
      vault.lock();
    } else {
      arm();
    }
  }
  const unsubscribe = vault.onLockChange((unlocked) => {
    if (unlocked) {
      deadline = now() + idleMs;
      arm();
    } else {
      disarm();
    }
  });
  arm();
  return {
    touch() {
      deadline = now() + idleMs;
      if (timer === undefined) arm();
    },
    check,
    stop() {
      stopped = true;
      disarm();
      unsubscribe();
    },
  };
}
