/**
 * Unsent drafts, kept in the vault so a lock does not lose them (issue 9 item 12). The composer
 * reports every change with `update`; the latest text of each conversation is written after
 * `DRAFT_DELAY_MS` of quiet (one vault write per pause, not per key), and at once by `flush`,
 * which the app awaits before it locks (client/state/lock.ts, client/vault/auto-lock.ts
 * `beforeLock`): once the vault has dropped its keys nothing can be written. A sent message
 * `discard`s its draft.
 *
 * Writes are chained, so they land in the order they were made (each vault write encrypts
 * before its transaction opens, so two unchained writes could overtake each other). A write the
 * vault refuses (locked meanwhile) is dropped; drafts are a convenience, the lock comes first.
 * Does not: keep attachments (a draft is text, urgency and the reply target).
 * @module
 */
import type { Draft, Records } from './records.ts';

/** Quiet time after the last change before the draft is written. */
export const DRAFT_DELAY_MS = 600;

export type DraftInput = Omit<Draft, 'savedAt'>;

export interface DraftsOptions {
  readonly delayMs?: number;
  readonly now?: () => number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

export class Drafts {
  /** Changes not yet written: a draft, or null for "remove it". */
  private readonly pending = new Map<string, Draft | null>();
  private timer: unknown;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly records: Records,
    private readonly options: DraftsOptions = {},
  ) {}

  /** The person changed the composer: remember it, write it after a quiet moment. Empty text removes the draft. */
  update(conversationId: string, draft: DraftInput): void {
    if (this.stopped) return;
    const empty = draft.text.trim() === '';
    this.pending.set(conversationId, empty ? null : { ...draft, savedAt: this.options.now?.() ?? Date.now() });
    this.cancelTimer();
    const setTimer = this.options.setTimer ?? ((run: () => void, ms: number) => setTimeout(run, ms));
    this.timer = setTimer(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.delayMs ?? DRAFT_DELAY_MS);
  }

  /** The draft to put back: one waiting to be written, else the stored one. */
  async get(conversationId: string): Promise<Draft | undefined> {
    const waiting = this.pending.get(conversationId);
    if (waiting !== undefined) return waiting ?? undefined;
    await this.chain;
    return this.records.draft(conversationId);
  }

  /** The draft was sent: drop what waits and remove the stored one. */
  discard(conversationId: string): Promise<void> {
    this.pending.delete(conversationId);
    return this.write([[conversationId, null]]);
  }

  /** Writes every waiting change now; resolves when they (and earlier writes) have landed. Never rejects. */
  flush(): Promise<void> {
    this.cancelTimer();
    const entries = [...this.pending];
    this.pending.clear();
    return this.write(entries);
  }

  /** The session ended: no more timers; what was not written is dropped. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
    this.pending.clear();
  }

  private write(entries: [string, Draft | null][]): Promise<void> {
    if (entries.length > 0) {
      const ops = entries.map(([id, d]) => this.records.draftOp(id, d ?? undefined));
      this.chain = this.chain.then(() =>
        this.records.vault.batch(ops).catch((e: unknown) => {
          console.warn('confidant: draft not saved', (e as Error).name);
        }),
      );
    }
    return this.chain;
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    (this.options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>)))(this.timer);
    this.timer = undefined;
  }
}
