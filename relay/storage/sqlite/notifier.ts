/**
 * Live-delivery notifier for the SQLite store: one relay process owns the file, so listeners
 * live in a Map of sets keyed by the mailbox id in hex. The caller publishes after the write
 * committed, so a listener that fetches right away sees the message.
 * @module
 */
import { toHex } from '../../../shared/index.ts';
import type { Notifier } from '../types.ts';

export class InProcessNotifier implements Notifier {
  readonly #listeners = new Map<string, Set<(seq: number) => void>>();

  async publish(mailboxId: Uint8Array, seq: number): Promise<void> {
    const set = this.#listeners.get(toHex(mailboxId));
    if (set === undefined) return;
    // A copy: a listener may unsubscribe (itself or others) while we iterate.
    for (const listener of [...set]) {
      try {
        listener(seq);
      } catch {
        // One broken subscriber (say, a socket that closed mid-send) must not starve the others.
      }
    }
  }

  subscribe(mailboxId: Uint8Array, listener: (seq: number) => void): () => void {
    const key = toHex(mailboxId);
    let set = this.#listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry = (seq: number): void => listener(seq);
    set.add(entry);
    return () => {
      const current = this.#listeners.get(key);
      if (current === undefined) return;
      current.delete(entry);
      if (current.size === 0) this.#listeners.delete(key);
    };
  }

  /** Subscriptions currently held (for tests and leak checks). */
  get size(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }
}
