/**
 * Exclusive locks across the whole origin: every tab, window and worker of the app, through
 * the Web Locks API (`navigator.locks`), so that a step which reads shared vault state, changes
 * it and writes it back runs one at a time wherever it starts. Two unlocked tabs of one
 * therapist are a normal way to work; without this, both could step one Double Ratchet
 * session from the same stored state and seal two messages under one message key
 * (docs/CLIENT.md, "Several tabs").
 *
 * Where the API is missing (Node, in unit tests) the lock holds within this JavaScript realm,
 * by name, which still covers several store instances on one database in one process.
 *
 * Not re-entrant: a holder asking for the same name again waits for itself forever. Callers
 * take locks in one order (outbox, then sessions) and never the other way round.
 * @module
 */

interface LockManagerLike {
  request<T>(name: string, options: { mode: 'exclusive' }, callback: () => Promise<T>): Promise<T>;
}

const local = new Map<string, Promise<unknown>>();

function lockManager(): LockManagerLike | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return typeof locks?.request === 'function' ? locks : undefined;
}

/** True when locks reach other tabs and workers (the Web Locks API is there). */
export const locksSpanOrigin = (): boolean => lockManager() !== undefined;

/** Runs `run` while holding the exclusive lock `name`; resolves or rejects as `run` does. */
export function withLock<T>(name: string, run: () => Promise<T>): Promise<T> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('lock name must be a non-empty string');
  const manager = lockManager();
  if (manager) return manager.request(name, { mode: 'exclusive' }, () => run());
  const next = (local.get(name) ?? Promise.resolve()).then(run, run);
  const tail = next.then(
    () => undefined,
    () => undefined,
  );
  local.set(name, tail);
  void tail.then(() => {
    if (local.get(name) === tail) local.delete(name);
  });
  return next;
}
